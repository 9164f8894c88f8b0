"""Ending credentials: a password change revokes API tokens (unless asked not to), "sign out
everywhere" ends every session and token; each revocation is an audit event."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from engine.accounts import signin as accounts
from engine.accounts import tokens
from engine.audit import log as audit
from engine.context import Actor, App
from engine.domain.clock import FrozenClock
from engine.domain.errors import NotAuthenticated
from tests.factories import build_org

SYSTEM = Actor.system("test")
PASSWORD = "ett-långt-lösenord"
NEW = "ett-nytt-lösenord"


@pytest.fixture
def fast(app: App) -> App:
    app.cache["password_hasher"] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    build_org(app)
    accounts.set_password(app, SYSTEM, "m1@x.se", PASSWORD)
    return app


def _data(app: App, action: str) -> list[dict[str, Any]]:
    found = [e for e in audit.events(app, chain="accounts") if e.action == action]
    return [json.loads(e.data) for e in found]


def _revocations(app: App) -> list[dict[str, Any]]:
    return _data(app, "token.revoked")


def test_api_tokens_end_with_a_password_change(fast: App) -> None:
    """Reproducer: API tokens survived a password change (whoever held one kept access)."""
    stolen, _ = tokens.create_token(fast, SYSTEM, "m1@x.se", "lön")
    other, _ = tokens.create_token(fast, SYSTEM, "m2@x.se", "lön")
    session = accounts.sign_in(fast, "m1@x.se", PASSWORD)
    ended = accounts.change_password(fast, session.principal.actor, PASSWORD, NEW, session.token)
    assert ended.tokens == 1
    with pytest.raises(NotAuthenticated):
        tokens.token_principal(fast, stolen)
    assert tokens.token_principal(fast, other).email == "m2@x.se"  # nobody else's
    assert [d["reason"] for d in _revocations(fast)] == ["password_changed"]
    assert _data(fast, "account.password_set")[-1]["tokens_revoked"] == 1


def test_a_password_change_may_keep_the_tokens_and_keeps_the_callers(fast: App) -> None:
    kept, _ = tokens.create_token(fast, SYSTEM, "m1@x.se", "integration")
    caller, _ = tokens.create_token(fast, SYSTEM, "m1@x.se", "the caller")
    actor = tokens.token_principal(fast, caller).actor
    assert accounts.change_password(fast, actor, PASSWORD, NEW, revoke_tokens=False).tokens == 0
    assert tokens.token_principal(fast, kept).email == "m1@x.se"
    ended = accounts.change_password(fast, actor, NEW, PASSWORD, keep_token=caller)
    assert ended.tokens == 1
    assert tokens.token_principal(fast, caller).email == "m1@x.se"
    with pytest.raises(NotAuthenticated):
        tokens.token_principal(fast, kept)


def test_sign_out_everywhere_ends_every_session_and_token(fast: App, clock: FrozenClock) -> None:
    one = accounts.sign_in(fast, "m1@x.se", PASSWORD)
    two = accounts.sign_in(fast, "m1@x.se", PASSWORD)
    secret, _ = tokens.create_token(fast, SYSTEM, "m1@x.se")
    tokens.create_token(fast, SYSTEM, "m1@x.se", days=1)
    clock.advance(timedelta(days=2))  # an expired token is not revoked again
    ended = accounts.sign_out_everywhere(fast, one.principal.actor)
    assert (ended.sessions, ended.tokens) == (2, 1)
    for token in (one.token, two.token):
        with pytest.raises(NotAuthenticated):
            accounts.session_principal(fast, token)
    with pytest.raises(NotAuthenticated):
        tokens.token_principal(fast, secret)
    assert _data(fast, "account.signed_out_everywhere") == [
        {"sessions_ended": 2, "tokens_revoked": 1}
    ]
    assert [d["reason"] for d in _revocations(fast)] == ["signed_out_everywhere"]


def test_sign_out_everywhere_may_keep_the_tokens(fast: App) -> None:
    one = accounts.sign_in(fast, "m1@x.se", PASSWORD)
    secret, _ = tokens.create_token(fast, SYSTEM, "m1@x.se")
    ended = accounts.sign_out_everywhere(fast, one.principal.actor, revoke_tokens=False)
    assert (ended.sessions, ended.tokens) == (1, 0)
    assert tokens.token_principal(fast, secret).email == "m1@x.se"
