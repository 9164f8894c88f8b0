"""API: who am I, and my API tokens."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.schemas import DoneOut, MeOut, NewTokenOut, RoleOut, TokenIn, TokenOut, reply
from engine.services import orgview, tokens

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
