"""Headers every reply carries: HSTS when served over TLS, and no storing in caches.

``Strict-Transport-Security`` goes out only when the request's scheme is https: TLS on the
socket itself, or ``X-Forwarded-Proto: https`` from a proxy listed in ``trusted_proxies``
(uvicorn takes the scheme from that header for trusted proxies only; see
``api.middleware.proxies``). Browsers ignore it over plain http, and a client on a plain connection
must not be able to make the app claim TLS.

``Cache-Control: no-store`` goes on every reply but the static files: signed-in pages, API
replies and downloads carry personal data, and the sign-in page a fresh form token; none of
it may stay in a shared or browser cache. A reply that sets its own ``Cache-Control`` keeps it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware.http_methods import route_path

STATIC_PREFIXES = ("/static/", "/api/docs-assets/")  # files of the package, the same for all


class SecurityHeaders:
    """Pure ASGI (no buffering of the body, streamed downloads stay streamed)."""

    def __init__(self, app: ASGIApp, *, hsts_seconds: int) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_seconds}" if hsts_seconds > 0 else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hsts = self.hsts if scope.get("scheme") == "https" else ""
        no_store = not route_path(scope).startswith(STATIC_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if hsts:
                    headers["Strict-Transport-Security"] = hsts
                if no_store and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
