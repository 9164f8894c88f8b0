"""Rendering pages: the template, the language, the signed-in person and their CSRF token,
and the headers every page carries (no framing, no sniffing, scripts only from here)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from api.deps import LANG_COOKIE, lang_of
from engine.accounts.signin import Principal
from engine.views import oversight
from engine.views.oversight import Links

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    env: Environment = request.app.state.jinja[lang]
    me: Principal | None = getattr(request.state, "principal", None)
    context.setdefault("done", request.query_params.get("done", ""))
    links = _links(request, me)
    html = env.get_template(template).render(
        lang=lang,
        me=me,
        csrf=(me.csrf_token or "") if me else "",
        admin=links.admin,
        oversees=links.oversees,
        path=request.url.path,
        other_lang_url=_lang_url(request, "en" if lang == "sv" else "sv"),
        **context,
    )
    response = HTMLResponse(
        html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})}
    )
    asked = request.query_params.get("lang")
    if asked in ("sv", "en"):
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


ADMIN_TTL = 60.0


def _links(request: Request, me: Principal | None) -> Links:
    """Which links the navigation shows (HR/director pages; evidence, audit and report
    pages): remembered a minute per person (only the navigation depends on it; every page
    and use case checks access itself)."""
    if me is None:
        return Links(False, False)
    seen: dict[int, tuple[float, Links]] = request.app.state.admin_links
    now = time.monotonic()
    hit = seen.get(me.person_id)
    if hit is None or hit[0] < now:
        hit = seen[me.person_id] = (
            now + ADMIN_TTL,
            oversight.links(request.app.state.engine, me.actor),
        )
    return hit[1]


def _lang_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = lang
    return f"{request.url.path}?{urlencode(params)}"


def render_error(request: Request, body: dict[str, Any], headers: dict[str, str]) -> Response:
    return render(request, "error.html", status=int(body["status"]), headers=headers, problem=body)


def redirect(url: str, **params: str | int) -> RedirectResponse:
    """After a change: see the result (POST, then redirect, then GET)."""
    target = f"{url}?{urlencode(params)}" if params else url
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


def safe_next(target: str | None) -> str:
    """Only paths on this site (no //evil.example, no scheme)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/home"
