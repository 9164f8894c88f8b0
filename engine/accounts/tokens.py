"""API tokens for integrations: a long random secret, shown once, stored as its SHA-256,
acting as the person it belongs to until it expires or is revoked (one by one, or all at
once with a password change or "sign out everywhere", see ``engine.accounts.signin``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update

from engine.accounts.signin import (
    ACCOUNTS_CHAIN,
    RENEW_EVERY,
    Lookup,
    Principal,
    digest,
    read_one,
)
from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Person
from engine.db.models.people.accounts import ApiToken
from engine.db.unit import Prepared
from engine.domain.errors import InvalidInput, NotAuthenticated, NotFound, NotPermitted

TOKEN_PREFIX = "sf_"


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def create_token(
    app: App, actor: Actor, email: str, name: str = "api", days: int | None = None
) -> tuple[str, TokenView]:
    """A new bearer token for a person; the secret is shown once and stored as a hash."""
    if days is not None and not 1 <= days <= 3650:
        raise InvalidInput.field("days", "days must be 1–3650", "dagar måste vara 1–3650")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def work(tx: Tx) -> TokenView:
        person = queries.person_by_email(tx.session, email)
        if not actor.is_system and actor.person_id != person.id:
            raise NotPermitted(
                "you may only create tokens for yourself", "du får bara skapa token åt dig själv"
            )
        row = ApiToken(
            person_id=person.id,
            name=name.strip()[:100] or "api",
            token_hash=digest(secret),
            prefix=secret[:10],
            created_at=tx.now,
            expires_at=tx.now + timedelta(days=days) if days else None,
            revoked_at=None,
            last_used_at=None,
        )
        tx.session.add(row)
        tx.session.flush()
        tx.record(
            ACCOUNTS_CHAIN,
            "token.created",
            "token",
            row.id,
            actor,
            data={"person": person.email, "name": row.name, "prefix": row.prefix},
        )
        return _token_view(row)

    return secret, app.run(work)


def token_principal(app: App, secret: str) -> Principal:
    found = find_token(app, secret)
    if found.touch:
        touch_token(app, secret)
    return found.principal


#: The lookup on every API request, compiled once and sent straight to the driver: one
#: indexed read of the token with its person, no ORM objects (the ORM select it replaced was
#: a third of a request's server CPU, issue 14). It is read every time, not kept in this
#: process: a token revoked through another worker, or a person made inactive, is refused
#: on the very next request in every process.
_TOKEN = Prepared(
    select(
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        Person.id,
        Person.email,
        Person.name,
        Person.active,
    )
    .join(Person, Person.id == ApiToken.person_id)
    .where(ApiToken.token_hash == bindparam("h"))
)


def find_token(app: App, secret: str) -> Lookup:
    now = app.clock.now()
    row = read_one(app, _TOKEN, {"h": digest(secret)})
    if row is None:
        raise NotAuthenticated("unknown API token", "okänd API-token")
    revoked_at, expires_at, last_used_at, person_id, email, name, active = row
    expired = expires_at is not None and expires_at <= now
    if revoked_at is not None or expired or not active:
        raise NotAuthenticated(
            "the API token is revoked or expired", "API-token är återkallad eller har gått ut"
        )
    touch = last_used_at is None or now - last_used_at >= RENEW_EVERY
    return Lookup(Principal(person_id, email, name, "token"), touch)


#: Noting a token's use, compiled once like the lookup (no ORM session for one UPDATE).
_TOUCH = Prepared(
    update(ApiToken)
    .where(ApiToken.token_hash == bindparam("h"))
    .values(last_used_at=bindparam("now"))
)


def touch_token(app: App, secret: str) -> None:
    """Note when a token was last used (shown on the account page)."""
    with app.db.write_unit() as unit:
        unit.execute(_TOUCH, {"h": digest(secret), "now": app.clock.now()})


def list_tokens(app: App, actor: Actor) -> list[TokenView]:
    with app.read() as s:
        rows = s.scalars(
            select(ApiToken).where(ApiToken.person_id == actor.person_id).order_by(ApiToken.id)
        )
        return [_token_view(t) for t in rows]


def revoke_token(app: App, actor: Actor, token_id: int) -> None:
    def work(tx: Tx) -> None:
        token = tx.session.get(ApiToken, token_id)
        if token is None or (not actor.is_system and token.person_id != actor.person_id):
            raise NotFound("token", token_id)
        if token.revoked_at is None:
            token.revoked_at = tx.now
            tx.record(ACCOUNTS_CHAIN, "token.revoked", "token", token.id, actor)

    app.run(work)


def _token_view(t: ApiToken) -> TokenView:
    return TokenView(
        t.id, t.name, t.prefix, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
    )
