"""Request bodies within limits, decided before anything reads them (issue 8).

A pure ASGI middleware around the app's routes. For each request it picks its route's
body limit (``RULES``, from settings; ``max_body_bytes`` for every other route), then:

- a declared ``Content-Length`` over the limit is answered 413 at once, nothing read;
- a body without a length (chunked) is counted as the app reads it, and reading stops
  with 413 at the first byte over the limit (a file being spooled is closed and gone);
- a state-changing request (not GET/HEAD/OPTIONS) needs a valid sign-in, an API token or
  a session, before its body is read: 401 on the API, the sign-in page for pages. Only
  the sign-in form itself (``PUBLIC``) is open to strangers, with a small limit.

A 413 closes the connection (``Connection: close``), so the rest is never received.
Errors are shaped by ``api.errors``, the one map from errors to replies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import SAFE, SESSION_COOKIE, lookup_signin, no_signin
from api.errors import TooLarge, http_response, samflow_response
from api.middleware import http_methods
from engine.context import App
from engine.domain.errors import NotAuthenticated
from engine.settings import Settings

#: Room for a multipart body's boundaries, part headers and small fields around its file.
SLACK = 64_000


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    limit: Callable[[Settings], int]
    setting: str


def _rule(pattern: str, limit: Callable[[Settings], int], setting: str) -> Rule:
    return Rule(re.compile(pattern), limit, setting)


RULES = (
    _rule(r"/login", lambda s: s.max_login_bytes, "SAMFLOW_MAX_LOGIN_BYTES"),
    _rule(r"/api/tasks/\d+/attachments|/tasks/\d+/files|(/api)?/inspections/file",
          lambda s: s.max_upload_bytes + SLACK, "SAMFLOW_MAX_UPLOAD_BYTES"),
    # the page's form may carry the file twice: chosen again, and kept from the preview
    # (base64, 4/3 of its size)
    _rule(r"(/api)?/cycles/\d+/plan-import",
          lambda s: s.max_upload_bytes * 7 // 3 + SLACK, "SAMFLOW_MAX_UPLOAD_BYTES"),
    _rule(
        r"(/api)?/org/import|/api/coop/bodies/import",
        lambda s: s.max_import_bytes,
        "SAMFLOW_MAX_IMPORT_BYTES",
    ),
    # a finding of a safety round with its photos (each checked again by the use case)
    _rule(r"(/api)?/rounds/\d+/findings",
          lambda s: s.round_photo_max_bytes * s.round_photos_max + SLACK,
          "SAMFLOW_ROUND_PHOTO_MAX_BYTES"),
    # a survey or absence file; the page's form keeps it for the confirmation (base64)
    _rule(r"(/api)?/(surveys|absence)/import",
          lambda s: s.survey_max_bytes * 7 // 3 + SLACK, "SAMFLOW_SURVEY_MAX_BYTES"),
    _rule(r"(/api)?/evidence/verify",
          lambda s: s.max_verify_bytes + SLACK, "SAMFLOW_MAX_VERIFY_BYTES"),
)  # fmt: skip
#: State-changing routes open to people not signed in.
PUBLIC = frozenset({"/login"})


def limit_of(path: str, settings: Settings) -> tuple[int, str]:
    """The largest body the route at ``path`` takes, and the setting that says so."""
    for rule in RULES:
        if rule.pattern.fullmatch(path):
            return rule.limit(settings), rule.setting
    return settings.max_body_bytes, "SAMFLOW_MAX_BODY_BYTES"


class BodyLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        engine: App = scope["app"].state.engine
        limit, setting = limit_of(scope["path"], engine.settings)
        request = Request(scope)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await http_response(request, TooLarge(limit, setting))(scope, receive, send)
            return
        if scope["method"] not in SAFE and scope["path"] not in PUBLIC:
            refusal = await _unknown(request, engine)
            if refusal is not None and _routed(scope):
                await samflow_response(request, refusal)(scope, receive, send)
                return
        await self._counted(scope, receive, send, limit, setting)

    async def _counted(
        self, scope: Scope, receive: Receive, send: Send, limit: int, setting: str
    ) -> None:
        received = 0
        started = False

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(limit, setting)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except TooLarge as exc:  # read where no handler answers it (a route's own code)
            if started:
                raise
            await http_response(Request(scope), exc)(scope, receive, send)


def _routed(scope: Scope) -> bool:
    """A route takes this method at this path. If none does, routing answers 404 or 405
    (reading no body), which says more than "sign in" would."""
    methods = http_methods.allowed_methods(
        scope["app"].router.routes, http_methods.route_path(scope)
    )
    return scope["method"] in methods


async def _unknown(request: Request, engine: App) -> NotAuthenticated | None:
    """Why the request has no valid sign-in, or None when it has one (the lookup is kept for
    the handler, ``api.deps.lookup_signin``; renewing and the CSRF check stay there)."""
    auth = request.headers.get("authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE)
    state = request.scope.setdefault("state", {})
    try:
        if auth[:7].lower() == "bearer " and auth[7:].strip():
            await lookup_signin(engine, state, "token", auth[7:].strip())
        elif cookie:
            await lookup_signin(engine, state, "session", cookie)
        else:
            return no_signin()
    except NotAuthenticated as exc:
        return exc
    return None


def install(app: FastAPI) -> None:
    app.add_middleware(BodyLimits)
