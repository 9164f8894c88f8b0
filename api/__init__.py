"""The HTTP door: the FastAPI app (``api.app``), the JSON API (``api.routers``, shapes in
``api.schemas``), the server-rendered pages (``api.pages``), both grouped like the command
line (people, workflow, duties, followup, records), and what every request passes through
(``api.middleware``: limits, allowed methods, security headers, trusted proxies, request ids
and metrics; errors as 4xx with a reason in ``api.errors``). Thin: every decision is a use
case in ``engine``; background work is handed to a launcher (a thread in the embedded
default, a Prefect deployment in production).
"""
