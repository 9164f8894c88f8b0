"""Sign-in: local accounts with argon2 password hashes, and web sessions (API tokens are
in ``engine.accounts.tokens``).

Every door asks here who a request acts as (``session_principal``, ``token_principal``);
nothing about passwords or tokens is decided in the web layer. Secrets are stored only as
hashes. Every password check is paid for in advance from sign-in budgets per account and
address, per address and for everyone, kept in the database (``engine.accounts.throttle``),
so the limits hold across threads and server processes.
Each change is an audit event on the ``accounts`` chain; passwords and tokens never are.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, or_, select, update

from engine.accounts import throttle
from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Person
from engine.db.models.people.accounts import Account, ApiToken, WebSession
from engine.db.unit import Prepared, Unit
from engine.domain.errors import InvalidInput, NotAuthenticated, NotPermitted

ACCOUNTS_CHAIN = "accounts"
MIN_PASSWORD = 10
#: Sliding sessions: a request renews the session at most this often (a write per request
#: would serialise every page view on SQLite's single writer).
RENEW_EVERY = timedelta(minutes=5)
WRONG = ("wrong e-mail or password", "fel e-postadress eller lösenord")


@dataclass(frozen=True)
class Principal:
    """Who a request acts as. ``csrf_token`` is set for browser sessions only."""

    person_id: int
    email: str
    name: str
    via: str  # "session" | "token"
    csrf_token: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.person_id, self.email)


@dataclass(frozen=True)
class NewSession:
    token: str
    principal: Principal
    expires_at: datetime


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hasher(app: App) -> PasswordHasher:
    """The argon2 hasher (argon2-cffi's recommended parameters unless a door set its own)."""
    found = app.cache.get("password_hasher")
    if not isinstance(found, PasswordHasher):
        found = app.cache["password_hasher"] = PasswordHasher()
    return found


# --- passwords ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Ended:
    """What a password change or "sign out everywhere" ended."""

    sessions: int
    tokens: int


def change_password(
    app: App,
    actor: Actor,
    current: str,
    new: str,
    keep_session: str | None = None,
    *,
    revoke_tokens: bool = True,
    keep_token: str | None = None,
    ip: str = "",
) -> Ended:
    """A signed-in person changes their own password, proving they know the current one.
    That proof is paid for from the sign-in budgets (a stolen session must not guess the
    password freely); the person's API tokens are revoked too unless they say not to."""
    _check_length(new)
    with app.read() as s:
        row = s.execute(
            select(Person.email, Account.password_hash)
            .join(Account, Account.person_id == Person.id)
            .where(Person.id == actor.person_id)
        ).first()
    email, stored = (row[0], row[1]) if row is not None else (actor.label, _dummy_hash(app))
    held = throttle.reserve(app, email, ip)
    if not _verify(app, stored, current) or row is None:
        raise InvalidInput.field(
            "current", "the current password is wrong", "nuvarande lösenord stämmer inte"
        )
    return set_password(
        app,
        actor,
        email,
        new,
        keep_session=keep_session,
        revoke_tokens=revoke_tokens,
        keep_token=keep_token,
        held=held,
    )


def set_password(
    app: App,
    actor: Actor,
    email: str,
    password: str,
    *,
    keep_session: str | None = None,
    revoke_tokens: bool = False,
    keep_token: str | None = None,
    held: throttle.Reservation | None = None,
) -> Ended:
    """Set a person's password (the CLI as the system, or the person themself). Their other
    sessions end: a changed password must lock out whoever knew the old one; with
    ``revoke_tokens`` their API tokens too (but ``keep_token``, the one asking)."""
    _check_length(password)
    hashed = hasher(app).hash(password)  # slow on purpose: outside the transaction

    def work(tx: Tx) -> Ended:
        person = queries.person_by_email(tx.session, email)
        if not actor.is_system and actor.person_id != person.id:
            raise NotPermitted(
                "you may only change your own password",
                "du får bara byta ditt eget lösenord",
            )
        account = tx.session.get(Account, person.id)
        if account is None:
            tx.session.add(
                Account(
                    person_id=person.id, password_hash=hashed, created_at=tx.now, updated_at=tx.now
                )
            )
        else:
            account.password_hash, account.updated_at = hashed, tx.now
        if held is not None:
            throttle.settle_success(tx, held)
        ended = _end_sessions(tx, person.id, digest(keep_session) if keep_session else None)
        revoked = _revoke_tokens(
            tx, person.id, actor, "password_changed", keep_token, revoke_tokens
        )
        tx.record(
            ACCOUNTS_CHAIN,
            "account.password_set",
            "person",
            person.id,
            actor,
            data={"email": person.email, "sessions_ended": ended, "tokens_revoked": revoked},
        )
        return Ended(ended, revoked)

    return app.run(work)


def sign_out_everywhere(app: App, actor: Actor, *, revoke_tokens: bool = True) -> Ended:
    """End every session of the person, this one included, and (unless they say not to)
    revoke every API token: for a lost laptop or a password seen by someone else."""
    if actor.person_id is None:
        raise NotPermitted("only a person signs out", "bara en person kan logga ut")
    person_id = actor.person_id

    def work(tx: Tx) -> Ended:
        ended = _end_sessions(tx, person_id)
        revoked = _revoke_tokens(tx, person_id, actor, "signed_out_everywhere", None, revoke_tokens)
        tx.record(
            ACCOUNTS_CHAIN,
            "account.signed_out_everywhere",
            "person",
            person_id,
            actor,
            data={"sessions_ended": ended, "tokens_revoked": revoked},
        )
        return Ended(ended, revoked)

    return app.run(work)


def _revoke_tokens(
    tx: Tx, person_id: int, actor: Actor, reason: str, keep: str | None, wanted: bool
) -> int:
    if not wanted:
        return 0
    return revoke_all_tokens(tx, person_id, actor, reason, keep=digest(keep) if keep else None)


def revoke_all_tokens(
    tx: Tx, person_id: int, actor: Actor, reason: str, *, keep: str | None = None
) -> int:
    """Revoke every live API token of a person (but the one whose digest is ``keep``), each with
    its own ``token.revoked`` event; in the caller's transaction. Returns how many."""
    live = tx.session.scalars(
        select(ApiToken)
        .where(
            ApiToken.person_id == person_id,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > tx.now),
            ApiToken.token_hash != (keep or ""),
        )
        .order_by(ApiToken.id)
    ).all()
    for token in live:
        token.revoked_at = tx.now
        tx.record(
            ACCOUNTS_CHAIN,
            "token.revoked",
            "token",
            token.id,
            actor,
            data={"prefix": token.prefix, "reason": reason},
        )
    return len(live)


def _check_length(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput.field(
            "password",
            f"the password must be at least {MIN_PASSWORD} characters",
            f"lösenordet måste ha minst {MIN_PASSWORD} tecken",
        )


def _end_sessions(tx: Tx, person_id: int, keep: str | None = None) -> int:
    result = tx.session.execute(
        update(WebSession)
        .where(
            WebSession.person_id == person_id,
            WebSession.ended_at.is_(None),
            WebSession.token_hash != (keep or ""),
        )
        .values(ended_at=tx.now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- web sessions -------------------------------------------------------------------------
def sign_in(app: App, email: str, password: str, ip: str = "") -> NewSession:
    """Check a password and open a session; refused while a sign-in budget is spent."""
    email = email.strip().lower()
    held = throttle.reserve(app, email, ip)  # before the check: paid for, or refused
    with app.read() as s:
        row = s.execute(
            select(Person, Account.password_hash)
            .join(Account, Account.person_id == Person.id)
            .where(Person.email == email)
        ).first()
    person, stored = (row[0], row[1]) if row is not None else (None, _dummy_hash(app))
    ok = _verify(app, stored, password) and person is not None and person.active
    if not ok or person is None:
        raise NotAuthenticated(*WRONG)  # the reserved attempt stays counted as a failure
    rehash = hasher(app).check_needs_rehash(stored)
    return _open_session(app, person, ip, hasher(app).hash(password) if rehash else None, held)


def _verify(app: App, stored: str, password: str) -> bool:
    try:
        return bool(hasher(app).verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash(app: App) -> str:
    """A hash to verify against when the account does not exist, so an unknown e-mail takes
    as long as a wrong password (no account discovery by timing)."""
    found = app.cache.get("dummy_hash")
    if not isinstance(found, str):
        found = app.cache["dummy_hash"] = hasher(app).hash(secrets.token_hex(16))
    return found


def _open_session(
    app: App, person: Person, ip: str, new_hash: str | None, held: throttle.Reservation
) -> NewSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)

    def work(tx: Tx) -> NewSession:
        expires = tx.now + timedelta(hours=app.settings.session_hours)
        tx.session.add(
            WebSession(
                token_hash=digest(token),
                person_id=person.id,
                csrf_token=csrf,
                created_at=tx.now,
                last_seen_at=tx.now,
                expires_at=expires,
                ended_at=None,
                ip=ip[:64],
            )
        )
        if new_hash is not None:
            account = tx.session.get(Account, person.id)
            if account is not None:
                account.password_hash = new_hash
        throttle.settle_success(tx, held)
        actor = Actor(person.id, person.email)
        tx.record(ACCOUNTS_CHAIN, "session.started", "person", person.id, actor, data={"ip": ip})
        principal = Principal(person.id, person.email, person.name, "session", csrf)
        return NewSession(token, principal, expires)

    return app.run(work)


@dataclass(frozen=True)
class Lookup:
    """Who a secret belongs to, and whether its last use should be written down now
    (a read on every request; a write only every few minutes, see ``RENEW_EVERY``)."""

    principal: Principal
    touch: bool


def session_principal(app: App, token: str) -> Principal:
    """The person a session cookie belongs to; renews the session now and then."""
    found = find_session(app, token)
    if found.touch:
        renew_session(app, token)
    return found.principal


#: The lookup on every signed-in page: as ``tokens._TOKEN``, compiled once, one indexed
#: read, no ORM objects, read every time (a sign-out anywhere counts at once everywhere).
_SESSION = Prepared(
    select(
        WebSession.ended_at,
        WebSession.expires_at,
        WebSession.last_seen_at,
        WebSession.csrf_token,
        Person.id,
        Person.email,
        Person.name,
        Person.active,
    )
    .join(Person, Person.id == WebSession.person_id)
    .where(WebSession.token_hash == bindparam("h"))
)


def read_one(app: App, p: Prepared, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """One row of a prepared read on a pooled connection, without a Session."""
    with app.db.engine.connect() as conn:
        unit = Unit(conn)
        try:
            return unit.first(p, values)
        finally:
            unit.close()


def find_session(app: App, token: str) -> Lookup:
    now = app.clock.now()
    row = read_one(app, _SESSION, {"h": digest(token)})
    if row is None:
        raise NotAuthenticated("not signed in", "inte inloggad")
    ended_at, expires_at, last_seen_at, csrf, person_id, email, name, active = row
    if ended_at is not None or expires_at <= now or not active:
        raise NotAuthenticated("the sign-in has ended", "inloggningen har upphört")
    principal = Principal(person_id, email, name, "session", csrf)
    return Lookup(principal, now - last_seen_at >= RENEW_EVERY)


def renew_session(app: App, token: str) -> None:
    """Slide the session's expiry forward from now."""
    now = app.clock.now()
    with app.db.write() as s:
        s.execute(
            update(WebSession)
            .where(WebSession.token_hash == digest(token), WebSession.ended_at.is_(None))
            .values(last_seen_at=now, expires_at=now + timedelta(hours=app.settings.session_hours))
        )


def sign_out(app: App, token: str) -> None:
    def work(tx: Tx) -> None:
        ws = tx.session.get(WebSession, digest(token))
        if ws is None or ws.ended_at is not None:
            return
        ws.ended_at = tx.now
        person = tx.session.get(Person, ws.person_id)
        actor = Actor(ws.person_id, person.email if person else str(ws.person_id))
        tx.record(ACCOUNTS_CHAIN, "session.ended", "person", ws.person_id, actor)

    app.run(work)
