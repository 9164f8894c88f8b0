"""API: who am I, my API tokens, my password, signing out everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response

from api.deps import SESSION_COOKIE, ApiUser, Engine, Id, client_ip
from api.schemas import DoneOut, MeOut, NewTokenOut, RoleOut, TokenIn, TokenOut, reply
from api.schemas.account import EndedOut, PasswordIn, SignOutEverywhereIn
from engine.accounts import signin as accounts
from engine.accounts import tokens
from engine.org import view as orgview

router = APIRouter(tags=["me"])


@router.get("/me", response_model=MeOut)
def me(user: ApiUser, engine: Engine) -> Response:
    roles, admin = orgview.my_roles(engine, user.actor)
    return reply(
        MeOut(
            person_id=user.person_id,
            email=user.email,
            name=user.name,
            via=user.via,
            roles=[RoleOut.model_validate(r) for r in roles],
            admin=admin,
        )
    )


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(user: ApiUser, engine: Engine) -> Response:
    return reply([TokenOut.model_validate(t) for t in tokens.list_tokens(engine, user.actor)])


@router.post("/tokens", response_model=NewTokenOut, status_code=201)
def create_token(body: TokenIn, user: ApiUser, engine: Engine) -> Response:
    """A new token for yourself; the secret is in this reply only."""
    secret, view = tokens.create_token(engine, user.actor, user.email, body.name, body.days)
    return reply(NewTokenOut(token=secret, **TokenOut.model_validate(view).model_dump()), 201)


@router.delete("/tokens/{token_id}", response_model=DoneOut)
def revoke_token(token_id: Id, user: ApiUser, engine: Engine) -> Response:
    tokens.revoke_token(engine, user.actor, token_id)
    return reply(DoneOut())


@router.post("/me/password", response_model=EndedOut)
def change_password(
    body: PasswordIn,
    request: Request,
    user: ApiUser,
    engine: Engine,
    authorization: Annotated[str, Header(include_in_schema=False)] = "",
) -> Response:
    """Change your password, proving the current one (counted like a sign-in: 429 with
    Retry-After after too many wrong ones). Your other sessions end; your API tokens are
    revoked unless `revoke_tokens` is false. The session or token making the call stays."""
    ended = accounts.change_password(
        engine,
        user.actor,
        body.current,
        body.password,
        keep_session=request.cookies.get(SESSION_COOKIE) if user.via == "session" else None,
        revoke_tokens=body.revoke_tokens,
        keep_token=_bearer(authorization) if user.via == "token" else None,
        ip=client_ip(request),
    )
    return reply(EndedOut(sessions_ended=ended.sessions, tokens_revoked=ended.tokens))


@router.post("/me/sign-out-everywhere", response_model=EndedOut)
def sign_out_everywhere(body: SignOutEverywhereIn, user: ApiUser, engine: Engine) -> Response:
    """End every session of yours, and revoke every API token (the calling one too) unless
    `revoke_tokens` is false."""
    ended = accounts.sign_out_everywhere(engine, user.actor, revoke_tokens=body.revoke_tokens)
    return reply(EndedOut(sessions_ended=ended.sessions, tokens_revoked=ended.tokens))


def _bearer(authorization: str) -> str | None:
    scheme, _, secret = authorization.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None
