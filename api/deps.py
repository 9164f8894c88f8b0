"""Dependency aliases: what a handler needs, as annotated parameters.

``Engine`` is the engine's App; ``ApiUser`` the person an API call acts as (bearer token, or
a browser session plus the ``X-CSRF-Token`` header on a change); ``PageUser`` the person
signed in to the pages; ``Posted`` a posted page form whose CSRF token has been checked.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.middleware.form_checks import is_multipart, refuse_in_form
from engine.accounts import signin as accounts
from engine.accounts import tokens
from engine.accounts.signin import Lookup, Principal
from engine.context import App
from engine.domain.errors import InvalidInput, NotAuthenticated, NotPermitted
from forms.render import pick_lang

#: The largest id a database integer holds; larger ones are refused at the door (422), not
#: passed on to overflow in the driver.
MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

SESSION_COOKIE = "samflow_session"
LANG_COOKIE = "samflow_lang"
LOGIN_COOKIE = "samflow_login"  # double-submit CSRF token of the sign-in form
SAFE = ("GET", "HEAD", "OPTIONS")
#: Where a request keeps the sign-in it was found to carry (``find_signin``).
SIGNIN = "samflow.signin"
T = TypeVar("T")

bearer = HTTPBearer(
    auto_error=False,
    description="An API token (`samflow token create EMAIL`), as `Authorization: Bearer sf_…`.",
)


async def get_engine(request: Request) -> App:
    engine: App = request.app.state.engine
    return engine


Engine = Annotated[App, Depends(get_engine)]


def lang_of(request: Request) -> str:
    """?lang=en, else the language cookie, else Accept-Language for the API; Swedish."""
    header = request.headers.get("accept-language", "") if _is_api(request) else ""
    return pick_lang(
        request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), header[:2] or None
    )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


async def _lang(request: Request) -> str:
    return lang_of(request)


Lang = Annotated[str, Depends(_lang)]


def find_signin(engine: App, scope_state: dict[str, object], kind: str, secret: str) -> Lookup:
    """The sign-in a request carries, looked up once per request: ``api.middleware.limits``
    looks it up before any body is read and keeps it in the request's state; the handler's
    dependency takes it from there (same kind, same secret) instead of reading the database
    again."""
    seen = scope_state.get(SIGNIN)
    if isinstance(seen, tuple) and seen[:2] == (kind, secret):
        found: Lookup = seen[2]
        return found
    found = (
        tokens.find_token(engine, secret)
        if kind == "token"
        else accounts.find_session(engine, secret)
    )
    scope_state[SIGNIN] = (kind, secret, found)
    return found


async def on_database(engine: App, call: Callable[..., T], /, *args: Any, **kw: Any) -> T:
    """``call(*args, **kw)`` from the event loop, for the hottest reads (the sign-in, the
    inbox). On SQLite it runs right here: the file is local, a read takes tens of
    microseconds, and a hop to a worker thread would cost more than it. On PostgreSQL every
    read is a round trip to the server, which must not stop the event loop (while it waits no
    other request is read or answered), so it goes to a worker thread: one worker served 155
    ``/api/inbox`` a second there at a third of a core before, 310 after (bench.web_load)."""
    if engine.db.dialect == "sqlite":
        return call(*args, **kw)
    return await run_in_threadpool(call, *args, **kw)


async def lookup_signin(
    engine: App, scope_state: dict[str, object], kind: str, secret: str
) -> Lookup:
    """``find_signin`` from the event loop (``on_database``)."""
    return await on_database(engine, find_signin, engine, scope_state, kind, secret)


def no_signin() -> NotAuthenticated:
    return NotAuthenticated(
        "sign in, or send an API token as 'Authorization: Bearer …'",
        "logga in, eller skicka en API-token som 'Authorization: Bearer …'",
    )


async def api_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Runs on the event loop: the lookup is one indexed read (``lookup_signin``: on SQLite
    no hop to a worker thread); the rare write that notes the last use goes to a thread.
    (The engine is taken from the app, not as a dependency: one node less for FastAPI to
    solve on every API request.)"""
    engine: App = request.app.state.engine
    if credentials is not None:
        found = await lookup_signin(engine, _state(request), "token", credentials.credentials)
        if found.touch:
            await run_in_threadpool(tokens.touch_token, engine, credentials.credentials)
        principal = found.principal
    elif request.cookies.get(SESSION_COOKIE):
        principal = await _session(request, engine, request.cookies[SESSION_COOKIE])
        if request.method not in SAFE:
            _check_csrf(principal, request.headers.get("x-csrf-token", ""))
    else:
        raise no_signin()
    request.state.principal = principal
    return principal


ApiUser = Annotated[Principal, Depends(api_principal)]


async def page_principal(request: Request, engine: Engine) -> Principal:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated("not signed in", "inte inloggad")
    principal = await _session(request, engine, token)
    request.state.principal = principal
    return principal


def _state(request: Request) -> dict[str, object]:
    state: dict[str, object] = request.scope.setdefault("state", {})
    return state


async def _session(request: Request, engine: App, token: str) -> Principal:
    found = await lookup_signin(engine, _state(request), "session", token)
    if found.touch:
        await run_in_threadpool(accounts.renew_session, engine, token)
    return found.principal


PageUser = Annotated[Principal, Depends(page_principal)]


async def read_form(request: Request) -> AsyncIterator[FormData]:
    """The posted form; uploaded files are closed once the reply is sent."""
    settings = request.app.state.engine.settings
    # a field may carry a file the person already chose, base64-encoded (plan import)
    largest = settings.max_upload_bytes
    if request.url.path in ("/surveys/import", "/absence/import"):  # a survey export
        largest = settings.survey_max_bytes
    part = max(largest * 4 // 3 + 4096, 1 << 20)
    form = await request.form(
        max_files=settings.max_form_files,
        max_fields=settings.max_form_fields,
        max_part_size=part,
    )
    try:
        if is_multipart(request):  # an urlencoded form was checked by control_chars
            refuse_in_form(form)
        yield form
    finally:
        await form.close()


@dataclass(frozen=True)
class Posted:
    principal: Principal
    form: FormData

    def get(self, name: str, default: str = "") -> str:
        value = self.form.get(name, default)
        return value if isinstance(value, str) else default


async def posted(user: PageUser, form: Annotated[FormData, Depends(read_form)]) -> Posted:
    """A page form, after checking its CSRF token against the session's."""
    token = form.get("csrf_token")
    _check_csrf(user, token if isinstance(token, str) else "")
    return Posted(user, form)


PostedForm = Annotated[Posted, Depends(posted)]


def _check_csrf(principal: Principal, sent: str) -> None:
    expected = principal.csrf_token or ""
    if not expected or not hmac.compare_digest(expected, sent):
        raise NotPermitted(
            "the form is too old or was not sent from samflow; reload the page and try again",
            "formuläret är för gammalt eller skickades inte från samflow; ladda om sidan "
            "och försök igen",
        )


def as_id(text: str | None) -> int | None:
    """A form or query value as an id, or None when it is not one."""
    if text and text.isdigit() and 0 < int(text) <= MAX_ID:
        return int(text)
    return None


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def parse_date(text: str, field: str) -> date:
    """A posted date (YYYY-MM-DD); a clear error naming the field otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput.field(
            field, "give a date as YYYY-MM-DD", "ange ett datum som ÅÅÅÅ-MM-DD"
        ) from None
