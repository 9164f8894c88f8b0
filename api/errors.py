"""The one map from the engine's errors to HTTP, for the JSON API and the pages alike.

    NotAuthenticated  401   (pages: to the sign-in page)
    TooManyAttempts   429
    NotPermitted      403
    NotFound          404
    Conflict          409   GateBlocked lists every unmet reason
    InvalidInput      422   each bad field by its path
    NotReady          503   not set up for this yet (e.g. the schema is behind)
    DatabaseBusy      503   + Retry-After: a lock not had within the busy timeout (also a
                            driver's own lock timeout, SQLite "database is locked")
    TooLarge          413   a body over its route's limit (api.middleware.limits),
                            + Connection: close

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
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import lang_of
from api.middleware import http_methods
from api.rendering import render_error
from api.schemas import Problem
from engine.db.session import is_lock_timeout
from engine.domain.errors import (
    DatabaseBusy,
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
#: FastAPI's detail when ``json.loads`` fails other than by a syntax error (which is a 422).
FASTAPI_BODY_ERROR = "There was an error parsing the body"
BODY_UNREADABLE = N_(
    "brödtexten går inte att läsa som JSON: den är för djupt nästlad eller har ett tal med "
    "för många siffror"
)


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The request could not be read (e.g. broken JSON)"},
    401: {"model": Problem, "description": "Not signed in (no or a bad API token)"},
    403: {"model": Problem, "description": "Not permitted"},
    404: {"model": Problem, "description": "Not found, or not visible to you"},
    409: {"model": Problem, "description": "Conflict; `unmet` lists what blocks a sign-off"},
    422: {"model": Problem, "description": "Invalid input; `errors` names each bad field"},
    413: {"model": Problem, "description": "The body is larger than this route takes"},
    429: {"model": Problem, "description": "Too many failed sign-ins, or too many jobs waiting"},
    503: {"model": Problem, "description": "The database is busy; try again (Retry-After)"},
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
        return samflow_response(request, exc)

    async def on_operational(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OperationalError)
        if is_lock_timeout(exc):
            return busy_response(request, DatabaseBusy())
        return await on_crash(request, exc)

    async def on_busy(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DatabaseBusy)
        return busy_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        body = validation_problem(exc, lang_of(request))
        if is_api(request):
            return JSONResponse(body, status_code=422)
        return page_error(request, body)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return http_response(request, exc)

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
    app.add_exception_handler(OperationalError, on_operational)
    app.add_exception_handler(DatabaseBusy, on_busy)
    app.add_exception_handler(Exception, on_crash)


def samflow_response(request: Request, exc: SamflowError) -> Response:
    """An engine error as the API's problem document, or as a page (401: the sign-in)."""
    if not is_api(request) and status_of(exc) == 401:
        return RedirectResponse(f"/login?next={_next(request)}", status_code=303)
    body = problem(exc, lang_of(request))
    headers = headers_of(exc)
    if is_api(request):
        return JSONResponse(body, status_code=body["status"], headers=headers)
    return page_error(request, body, headers)


def busy_response(request: Request, exc: DatabaseBusy) -> Response:
    body = _plain(503, exc.code, exc.message(lang_of(request)))
    headers = {"Retry-After": str(exc.retry_after_seconds)}
    if is_api(request):
        return JSONResponse(body, status_code=503, headers=headers)
    return page_error(request, body, headers)


class TooLarge(StarletteHTTPException):
    """A request body over its route's limit (raised by ``api.middleware.limits`` before or
    while the body is read). The connection is closed after the answer: the rest is not read."""

    def __init__(self, limit: int, setting: str) -> None:
        super().__init__(413, f"larger than {limit} bytes ({setting})", {"Connection": "close"})
        self.limit, self.setting = limit, setting

    def message(self, lang: str) -> str:
        size = f"{self.limit // 1000} kB" if self.limit < 1_000_000 else f"{self.limit / 1e6:g} MB"
        if lang == "sv":
            return f"begäran är större än vad som tas emot här ({size}, {self.setting})"
        return f"the request is larger than this address takes ({size}, {self.setting})"


def http_response(request: Request, exc: StarletteHTTPException) -> Response:
    """Starlette's own errors (404, 405, 413 ...) in the same shape as ours."""
    lang = lang_of(request)
    text = HTTP_TEXT.get(exc.status_code)
    message = tr(lang, text) if text else str(exc.detail)
    if exc.status_code == 400 and exc.detail == FASTAPI_BODY_ERROR:
        message = tr(lang, BODY_UNREADABLE)
    if isinstance(exc, TooLarge):
        message = exc.message(lang)
    body = _plain(exc.status_code, HTTP_CODES.get(exc.status_code, "error"), message)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers.update(_allow(request))
    if is_api(request):
        return JSONResponse(body, status_code=exc.status_code, headers=headers)
    return page_error(request, body, headers)


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
