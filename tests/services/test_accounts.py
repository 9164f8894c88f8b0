"""Accounts, sessions, tokens and sign-in throttling (engine.accounts.signin/throttle),
on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from engine.accounts import signin as accounts
from engine.accounts import tokens
from engine.audit import log as audit
from engine.context import Actor, App
from engine.db.models.people.accounts import Account, LoginThrottle
from engine.domain.clock import FrozenClock
from engine.domain.errors import InvalidInput, NotAuthenticated, NotPermitted, TooManyAttempts
from tests.factories import build_org

SYSTEM = Actor.system("test")
PASSWORD = "ett-långt-lösenord"


@pytest.fixture
def fast(app: App) -> App:
    app.cache["password_hasher"] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    build_org(app)
    return app


def test_passwords_are_stored_as_argon2_hashes(fast: App) -> None:
    accounts.set_password(fast, SYSTEM, "m1@x.se", PASSWORD)
    with fast.read() as s:
        stored = s.scalar(select(Account.password_hash))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    events = audit.events(fast, chain="accounts")
    assert events[0].action == "account.password_set" and PASSWORD not in events[0].data


def test_short_passwords_and_other_peoples_passwords_are_refused(fast: App) -> None:
    with pytest.raises(InvalidInput):
        accounts.set_password(fast, SYSTEM, "m1@x.se", "kort")
    m2 = Actor(None, "x")
    accounts.set_password(fast, SYSTEM, "m2@x.se", PASSWORD)
    session = accounts.sign_in(fast, "m2@x.se", PASSWORD)
    with pytest.raises(NotPermitted):
        accounts.set_password(fast, session.principal.actor, "m1@x.se", PASSWORD)
    assert m2.is_system


def test_sign_in_opens_a_session_that_expires(fast: App, clock: FrozenClock) -> None:
    accounts.set_password(fast, SYSTEM, "m1@x.se", PASSWORD)
    session = accounts.sign_in(fast, " M1@X.se", PASSWORD, "10.0.0.1")
    principal = accounts.session_principal(fast, session.token)
    assert principal.email == "m1@x.se" and principal.csrf_token
    clock.advance(timedelta(hours=11))
    accounts.session_principal(fast, session.token)  # renewed by use
    clock.advance(timedelta(hours=11))
    assert accounts.session_principal(fast, session.token).person_id == principal.person_id
    clock.advance(timedelta(hours=13))
    with pytest.raises(NotAuthenticated):
        accounts.session_principal(fast, session.token)


def test_sign_out_and_a_new_password_end_sessions(fast: App) -> None:
    accounts.set_password(fast, SYSTEM, "m1@x.se", PASSWORD)
    one = accounts.sign_in(fast, "m1@x.se", PASSWORD)
    two = accounts.sign_in(fast, "m1@x.se", PASSWORD)
    accounts.sign_out(fast, one.token)
    with pytest.raises(NotAuthenticated):
        accounts.session_principal(fast, one.token)
    accounts.change_password(fast, two.principal.actor, PASSWORD, "ett-nytt-lösenord", two.token)
    accounts.session_principal(fast, two.token)  # the one that changed it stays
    with pytest.raises(NotAuthenticated):
        accounts.sign_in(fast, "m1@x.se", PASSWORD)
    with pytest.raises(InvalidInput):
        accounts.change_password(fast, two.principal.actor, "fel", "ett-tredje-lösenord")


def test_throttling_per_account_and_address(fast: App, clock: FrozenClock) -> None:
    accounts.set_password(fast, SYSTEM, "m1@x.se", PASSWORD)
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            accounts.sign_in(fast, "m1@x.se", "fel", "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        accounts.sign_in(fast, "m1@x.se", PASSWORD, "10.0.0.1")
    accounts.sign_in(fast, "m1@x.se", PASSWORD, "10.0.0.2")  # another address is not locked
    clock.advance(timedelta(minutes=16))
    accounts.sign_in(fast, "m1@x.se", PASSWORD, "10.0.0.1")
    with fast.read() as s:
        assert (
            s.scalar(select(LoginThrottle).where(LoginThrottle.key == "m1@x.se|10.0.0.1")) is None
        )


def test_failures_from_many_threads_are_all_counted(fast: App) -> None:
    """The counter lives in the database, so concurrent failures add up (no lost update)."""

    def fail() -> None:
        for _ in range(2):
            with contextlib.suppress(NotAuthenticated, TooManyAttempts):
                accounts.sign_in(fast, "nobody@x.se", "fel", "10.9.9.9")

    threads = [threading.Thread(target=fail) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with pytest.raises(NotAuthenticated):  # 4 failures counted: one more try is allowed
        accounts.sign_in(fast, "nobody@x.se", "fel", "10.9.9.9")
    with pytest.raises(TooManyAttempts):
        accounts.sign_in(fast, "nobody@x.se", "fel", "10.9.9.9")


def test_api_tokens_act_as_their_person_until_revoked(fast: App, clock: FrozenClock) -> None:
    secret, view = tokens.create_token(fast, SYSTEM, "m1@x.se", "lön", days=1)
    assert secret.startswith("sf_") and view.prefix == secret[:10]
    principal = tokens.token_principal(fast, secret)
    assert principal.email == "m1@x.se" and principal.csrf_token is None
    assert tokens.list_tokens(fast, principal.actor)[0].last_used_at is not None
    clock.advance(timedelta(days=2))
    with pytest.raises(NotAuthenticated):
        tokens.token_principal(fast, secret)
    other, view2 = tokens.create_token(fast, SYSTEM, "m1@x.se")
    tokens.revoke_token(fast, principal.actor, view2.id)
    with pytest.raises(NotAuthenticated):
        tokens.token_principal(fast, other)
    with pytest.raises(InvalidInput):
        tokens.create_token(fast, SYSTEM, "m1@x.se", days=0)
