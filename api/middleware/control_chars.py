"""No control character in what a request names or posts as a form (before any route runs).

PostgreSQL refuses NUL in a text; a NUL in a path, a query parameter or a form field would
reach a statement and end in a server error. So a request whose path, query string or
urlencoded form carries a control character (``engine.domain.validation.CONTROL``: the C0
controls but tab, line feed and carriage return, and DEL) is answered 422, naming the
parameter or field. A JSON body is checked by its schema (``api.schemas.In``, the forms'
``Form``), field by field. A multipart body is parsed by its route, not here: its text
fields and files' names are checked once it is (``api.middleware.form_checks``). What the
files hold is checked by what reads them (the importers name the line and column).

Inside ``api.middleware.limits``: a form's body is bounded and its sender signed in before
it is read here whole.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import samflow_response
from engine.domain.errors import InvalidInput
from engine.domain.validation import CONTROL, CONTROL_EN, CONTROL_SV, first_with_control

FORM = b"application/x-www-form-urlencoded"


def _query(scope: Scope) -> str | None:
    raw = scope.get("query_string", b"")
    if b"%" not in raw and not CONTROL.search(raw.decode("latin-1")):
        return None
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    return first_with_control(pairs)


class ControlChars:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = "path" if CONTROL.search(scope["path"]) else _query(scope)
        if where is None and _is_form(scope):
            body, more = await _read(receive)
            where = first_with_control(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
            receive = _replay(body, more, receive)
        if where is not None:
            refusal = InvalidInput.field(where, CONTROL_EN, CONTROL_SV)
            await samflow_response(Request(scope), refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _is_form(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == FORM)
    return False


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The whole body (bounded by ``limits``, which counts it as it is received), and
    whether it came whole (False: the client disconnected first)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, whole: bool, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if whole:
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}
        return await receive()

    return again


def install(app: FastAPI) -> None:
    app.add_middleware(ControlChars)
