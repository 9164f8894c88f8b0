"""What wraps every request before a handler sees it: body limits decided before a byte
is read, 405 with an Allow header, the proxies to believe, the security headers, and
the operator's health, readiness and metrics with a request id.
"""
