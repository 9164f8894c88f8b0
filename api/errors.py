"""The one map from the engine's errors to HTTP, for the JSON API and the pages alike.

    NotAuthenticated  401   (pages: to the sign-in page)
    TooManyAttempts   429
    NotPermitted      403
    NotFound          404
    Conflict          409   GateBlocked lists every unmet reason
    InvalidInput      422   each bad field by its path
    NotReady          503   not set up for this yet (e.g. the schema is behind)

The body is a problem document: ``code``, ``message`` (in the asked-for language),
``errors`` (path + message), ``unmet`` (gate + message). Pages show the same in words.
Anything else that escapes a handler is logged and answered 500 without details.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import http_methods
from api.deps import lang_of
from api.pages import render_error
from api.schemas import Problem
from engine.domain.errors import (
    FieldError,
    GateBlocked,
    ImportInvalid,
    ImportNotPermitted,
    InvalidInput,
    SamflowError,
    TooManyAttempts,
    TooManyJobs,
)
from engine.domain.validation import path_of
from forms.i18n import N_, tr

log = logging.getLogger("samflow.web")

STATUS = {
    "unauthenticated": 401,
    "rate_limited": 429,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "invalid": 422,
    "unavailable": 503,
}
HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "not_permitted",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "too_many_attempts",
    503: "not_ready",
}
HTTP_TEXT = {
    400: N_("Felaktig begäran"),
    404: N_("Sidan finns inte"),
    405: N_("Metoden är inte tillåten här"),
    413: N_("För stor begäran"),
    500: N_("Ett oväntat fel inträffade"),
}


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The request could not be read (e.g. broken JSON)"},
    401: {"model": Problem, "description": "Not signed in (no or a bad API token)"},
    403: {"model": Problem, "description": "Not permitted"},
    404: {"model": Problem, "description": "Not found, or not visible to you"},
    409: {"model": Problem, "description": "Conflict; `unmet` lists what blocks a sign-off"},
    422: {"model": Problem, "description": "Invalid input; `errors` names each bad field"},
    429: {"model": Problem, "description": "Too many failed sign-ins, or too many jobs waiting"},
}


def status_of(exc: SamflowError) -> int:
    return STATUS.get(exc.category, 400)


def problem(exc: SamflowError, lang: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": status_of(exc),
        "code": exc.code,
        "message": exc.message(lang),
        "errors": [],
        "unmet": [],
    }
    if isinstance(exc, ImportInvalid | ImportNotPermitted):
        body["errors"] = [
            {
                "path": r.as_field_error().path,
                "message": r.message_sv if lang == "sv" else r.message_en,
                "file": r.file,
                "line": r.line,
                "column": r.field,
            }
            for r in exc.rows
        ]
    elif isinstance(exc, InvalidInput):
        body["errors"] = [{"path": e.path, "message": e.message(lang)} for e in exc.errors]
    if isinstance(exc, GateBlocked):
        body["unmet"] = [
            {"gate": u.gate, "message": u.message(lang), "subject": u.subject} for u in exc.unmet
        ]
    return body


def field_messages(exc: InvalidInput, lang: str) -> dict[str, str]:
    """Path -> message, for putting each message beside its field on a form."""
    out: dict[str, str] = {}
    for e in exc.errors:
        out[e.path] = f"{out[e.path]}; {e.message(lang)}" if e.path in out else e.message(lang)
    return out


def validation_problem(exc: RequestValidationError, lang: str) -> dict[str, Any]:
    """FastAPI's own 422 (a malformed body or parameter) in the same shape as ours."""
    errors = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        path = path_of([p if isinstance(p, int) else str(p) for p in loc])
        errors.append(FieldError(path, str(err.get("msg", "invalid")), "ogiltigt värde"))
    return {
        "status": 422,
        "code": "invalid_input",
        "message": tr(lang, "indata är ogiltig"),
        "errors": [{"path": e.path, "message": e.message(lang)} for e in errors],
        "unmet": [],
    }


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def install(app: FastAPI) -> None:
    """Register the handlers on the app (pages render through ``page_error``)."""

    async def on_samflow(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SamflowError)
        lang = lang_of(request)
        if not is_api(request) and status_of(exc) == 401:
            return RedirectResponse(f"/login?next={_next(request)}", status_code=303)
        body = problem(exc, lang)
        headers = headers_of(exc)
        if is_api(request):
            return JSONResponse(body, status_code=body["status"], headers=headers)
        return page_error(request, body, headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        body = validation_problem(exc, lang_of(request))
        if is_api(request):
            return JSONResponse(body, status_code=422)
        return page_error(request, body)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        lang = lang_of(request)
        text = HTTP_TEXT.get(exc.status_code)
        message = tr(lang, text) if text else str(exc.detail)
        body = _plain(exc.status_code, HTTP_CODES.get(exc.status_code, "error"), message)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers.update(_allow(request))
        if is_api(request):
            return JSONResponse(body, status_code=exc.status_code, headers=headers)
        return page_error(request, body, headers)

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        message = tr(lang_of(request), HTTP_TEXT[500])
        body = _plain(500, "internal_error", message)
        if is_api(request):
            return JSONResponse(body, status_code=500)
        return page_error(request, body)

    app.add_exception_handler(SamflowError, on_samflow)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)


def _plain(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "status": status,
        "code": code,
        "message": message,
        "errors": [],
        "unmet": [],
    }


def headers_of(exc: SamflowError) -> dict[str, str]:
    """Headers that go with an error: when to try again, how to sign in."""
    if isinstance(exc, TooManyAttempts):
        return {"Retry-After": str(int(exc.details.get("retry_after_seconds", 60)))}
    if isinstance(exc, TooManyJobs):
        return {"Retry-After": str(60 * int(exc.details.get("retry_after_minutes", 1)))}
    if status_of(exc) == 401:
        return {"WWW-Authenticate": 'Bearer realm="samflow"'}
    return {}


def _allow(request: Request) -> dict[str, str]:
    """Every method the address takes (the router names only its first match's)."""
    methods = http_methods.allowed_methods(
        request.app.router.routes, http_methods.route_path(request.scope)
    )
    return {"Allow": http_methods.allow_header(methods)} if methods else {}


def _next(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return quote(target if request.method == "GET" else "/inbox", safe="")


def page_error(
    request: Request, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    """The error as a page, in words, with the same status code."""
    return render_error(request, body, headers or {})
