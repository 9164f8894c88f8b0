"""The HTTP door: the FastAPI app (``api.app``), the JSON API (``api.routers``, shapes in
``api.schemas``), the server-rendered pages (``api.pages``), and what every request passes
through (sign-in, limits, security headers, trusted proxies, request ids and metrics, errors
as 4xx with a reason). Thin: every decision is a use case in ``engine``; background work is
handed to a launcher (a thread in the embedded default, a Prefect deployment in production).
"""
