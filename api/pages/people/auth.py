"""Pages: signing in and out, and the account page (password, API tokens)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from api.deps import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Engine,
    Id,
    PageUser,
    Posted,
    PostedForm,
    client_ip,
    lang_of,
    read_form,
)
from api.errors import field_messages, headers_of, problem
from api.rendering import redirect, render, safe_next
from engine.accounts import oidc, tokens
from engine.accounts import signin as accounts
from engine.domain.errors import InvalidInput, NotPermitted, SamflowError
from engine.org import view as orgview

router = APIRouter()


@router.get("/")
def home() -> RedirectResponse:
    return redirect("/home")


@router.get("/login")
def login_page(request: Request, next: str = "/home") -> Response:
    return _login(request, safe_next(next))


def _login(
    request: Request, target: str, *, email: str = "", prob: dict[str, object] | None = None
) -> Response:
    """The sign-in form with a fresh double-submit token (there is no session yet)."""
    token = secrets.token_urlsafe(24)
    status = int(str(prob["status"])) if prob else 200
    response = render(
        request,
        "login.html",
        status=status,
        login_token=token,
        next=target,
        email=email,
        problem=prob,
        oidc_label=request.app.state.engine.settings.oidc_label
        if oidc.enabled(request.app.state.engine)
        else "",
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.post("/login")
def login(
    request: Request, engine: Engine, form: Annotated[FormData, Depends(read_form)]
) -> Response:
    sent, expected = str(form.get("csrf_token", "")), request.cookies.get(LOGIN_COOKIE, "")
    target = safe_next(str(form.get("next", "")))
    email = str(form.get("email", ""))[:254]
    lang = lang_of(request)
    try:
        if not expected or not hmac.compare_digest(sent, expected):
            raise NotPermitted(
                "the sign-in form expired; please try again",
                "inloggningsformuläret hade gått ut; försök igen",
            )
        session = accounts.sign_in(engine, email, str(form.get("password", "")), client_ip(request))
    except SamflowError as exc:
        page = _login(request, target, email=email, prob=problem(exc, lang))
        page.headers.update(headers_of(exc))  # Retry-After when refused for a while
        return page
    response = redirect(target)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=engine.settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


OIDC_COOKIE = "samflow_oidc"


@router.get("/login/oidc")
def oidc_begin(request: Request, engine: Engine, next: str = "/home") -> Response:
    """Off to the identity provider; the state also goes into a cookie of this browser, so
    an answer the browser did not ask for (login CSRF) is refused."""
    target = safe_next(next)
    if not oidc.enabled(engine):
        return redirect("/login")
    try:
        state, url = oidc.begin(engine, target)
    except SamflowError as exc:
        return _login(request, target, prob=problem(exc, lang_of(request)))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        OIDC_COOKIE,
        state,
        max_age=oidc.LOGIN_MINUTES * 60,
        httponly=True,
        samesite="lax",  # it must come back on the provider's top-level redirect
        secure=_secure(request),
        path="/login/oidc",
    )
    return response


@router.get("/login/oidc/callback")
def oidc_callback(
    request: Request,
    engine: Engine,
    state: str = "",
    code: str = "",
    error: str = "",
    error_description: str = "",
) -> Response:
    lang = lang_of(request)
    try:
        if error:
            raise NotPermitted(
                f"the identity provider said: {error} {error_description}".strip(),
                f"identitetsleverantören svarade: {error} {error_description}".strip(),
            )
        expected = request.cookies.get(OIDC_COOKIE, "")
        if not expected or not hmac.compare_digest(expected, state):
            raise NotPermitted(
                "this answer from the identity provider was not asked for by this browser "
                "(start the sign-in again)",
                "svaret från identitetsleverantören begärdes inte av den här webbläsaren "
                "(börja om inloggningen)",
            )
        done = oidc.finish(engine, state[:200], code[:2000], client_ip(request))
    except SamflowError as exc:
        page = _login(request, "/home", prob=problem(exc, lang))
        page.delete_cookie(OIDC_COOKIE, path="/login/oidc")
        return page
    response = redirect(safe_next(done.next_path))
    response.set_cookie(
        SESSION_COOKIE,
        done.session.token,
        max_age=engine.settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(OIDC_COOKIE, path="/login/oidc")
    return response


def _secure(request: Request) -> bool:
    mode = request.app.state.engine.settings.cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


@router.post("/logout")
def logout(request: Request, engine: Engine, posted: PostedForm) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    # signed in through the provider: end its session too, where it offers that
    after = engine.settings.base_url.rstrip("/") + "/login"
    elsewhere = oidc.logout_url(engine, token, after)
    accounts.sign_out(engine, token)
    response = RedirectResponse(elsewhere, status_code=303) if elsewhere else redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request, engine: Engine, user: PageUser) -> Response:
    return _account(request, engine, user)


def _account(
    request: Request, engine: Engine, user: accounts.Principal, status: int = 200, **extra: Any
) -> Response:
    roles, _ = orgview.my_roles(engine, user.actor)
    mine = tokens.list_tokens(engine, user.actor)
    extra.setdefault("errors", {})
    extra.setdefault("problem", None)
    extra.setdefault("new_token", "")
    return render(request, "account.html", status=status, roles=roles, tokens=mine, **extra)


@router.post("/account/password")
def change_password(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Other sessions end; API tokens too unless the box is unticked (ticked by default)."""
    user = posted.principal
    try:
        accounts.change_password(
            engine,
            user.actor,
            posted.get("current"),
            posted.get("password"),
            keep_session=request.cookies.get(SESSION_COOKIE),
            revoke_tokens=_ticked(posted, "revoke_tokens"),
            ip=client_ip(request),
        )
    except InvalidInput as exc:
        lang = lang_of(request)
        return _account(
            request,
            engine,
            user,
            status=422,
            errors=field_messages(exc, lang),
            problem=problem(exc, lang),
        )
    return redirect("/account", done="password")


@router.post("/account/sign-out-everywhere")
def sign_out_everywhere(engine: Engine, posted: PostedForm) -> Response:
    """Every session ends, this one too; API tokens too unless the box is unticked."""
    accounts.sign_out_everywhere(
        engine, posted.principal.actor, revoke_tokens=_ticked(posted, "revoke_tokens")
    )
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _ticked(posted: Posted, name: str) -> bool:
    """A box that is ticked unless unticked: the form sends "false" before the box's "true",
    so a form without the field at all (an older page) counts as ticked."""
    return posted.get(name, "true") != "false"


@router.post("/account/tokens")
def create_token(request: Request, engine: Engine, posted: PostedForm) -> Response:
    user = posted.principal
    secret, _ = tokens.create_token(engine, user.actor, user.email, posted.get("name", "api"))
    return _account(request, engine, user, new_token=secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: Id, engine: Engine, posted: PostedForm) -> Response:
    tokens.revoke_token(engine, posted.principal.actor, token_id)
    return redirect("/account", done="token_revoked")
