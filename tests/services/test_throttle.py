"""Sign-in budgets (engine.accounts.throttle): paid for before the password check, per
account and address, per address and for everyone, with backoff; on SQLite and PostgreSQL.

Password checks are counted with a real argon2 hasher that counts its ``verify`` calls."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from engine.accounts import signin as accounts
from engine.accounts import throttle
from engine.context import Actor, App
from engine.domain.clock import FrozenClock
from engine.domain.errors import InvalidInput, NotAuthenticated, TooManyAttempts
from tests.factories import build_org

SYSTEM = Actor.system("test")
PASSWORD = "ett-långt-lösenord"


class CountingHasher(PasswordHasher):
    """argon2 as in production (small parameters), counting the password checks."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.checks = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.checks += 1
        return bool(super().verify(hash, password))


def counting(app: App, memory_cost: int = 1024) -> CountingHasher:
    hasher = CountingHasher(time_cost=1, memory_cost=memory_cost, parallelism=1)
    app.cache["password_hasher"] = hasher
    return hasher


@pytest.fixture
def fast(app: App) -> App:
    counting(app)
    build_org(app)
    return app


def _attempt(app: App, email: str, ip: str, password: str = "fel") -> str:
    try:
        accounts.sign_in(app, email, password, ip)
    except NotAuthenticated:
        return "wrong"
    except TooManyAttempts:
        return "refused"
    return "ok"


def test_forty_parallel_wrong_tries_cost_five_password_checks(app: App) -> None:
    """Reproducer: 40 parallel wrong tries gave 9 checks instead of 5 (check, then count)."""
    hasher = counting(app, memory_cost=8192)  # a check that takes a while, as in production
    build_org(app)
    accounts.set_password(app, SYSTEM, "m1@x.se", PASSWORD)
    start = threading.Barrier(40)
    results: list[str] = []

    def guess() -> None:
        start.wait()
        results.append(_attempt(app, "m1@x.se", "10.0.0.9"))

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hasher.checks == app.settings.login_max_failures == 5
    assert sorted(results) == ["refused"] * 35 + ["wrong"] * 5


def test_guesses_spread_over_accounts_from_one_address_are_slowed(fast: App) -> None:
    """Reproducer: 36 guesses over 12 accounts (3 each) from one address were never slowed."""
    hasher = fast.cache["password_hasher"]
    people = ["dir", "hr", "hso", "dep", "m1", "so1", "m2", "so2", "n1", "n2", "n3", "n4"]
    results = [_attempt(fast, f"{p}@x.se", "203.0.113.5") for _ in range(3) for p in people]
    budget = fast.settings.login_address_max_failures
    assert results == ["wrong"] * budget + ["refused"] * (36 - budget)
    assert hasher.checks == budget
    assert _attempt(fast, "m1@x.se", "203.0.113.6") == "wrong"  # another address is not slowed


def test_the_refusal_says_when_and_not_whether_the_account_exists(fast: App) -> None:
    accounts.set_password(fast, SYSTEM, "m1@x.se", PASSWORD)
    refusals = []
    for email in ("m1@x.se", "nobody@x.se"):
        for _ in range(5):
            _attempt(fast, email, "10.0.0.1")
        with pytest.raises(TooManyAttempts) as caught:
            accounts.sign_in(fast, email, PASSWORD, "10.0.0.1")
        refusals.append(caught.value)
    known, unknown = refusals
    assert (
        known.message("en")
        == unknown.message("en")
        == ("too many failed sign-ins; try again in 15 minutes")
    )
    assert (
        known.details
        == unknown.details
        == {
            "retry_after_minutes": 15,
            "retry_after_seconds": 900,
        }
    )


def test_locks_in_a_row_double_up_to_the_longest(fast: App, clock: FrozenClock) -> None:
    fast.settings = fast.settings.model_copy(
        update={
            "login_max_lock_minutes": 50,
        }
    )
    waits = []
    for _ in range(4):
        for _ in range(5):
            assert _attempt(fast, "m1@x.se", "10.0.0.1") == "wrong"
        with pytest.raises(TooManyAttempts) as caught:
            accounts.sign_in(fast, "m1@x.se", "fel", "10.0.0.1")
        waits.append(caught.value.details["retry_after_seconds"] // 60)
        clock.advance(timedelta(minutes=waits[-1]))
    assert waits == [15, 30, 50, 50]
    clock.advance(timedelta(minutes=51))  # a quiet spell as long as the longest lock
    for _ in range(5):
        _attempt(fast, "m1@x.se", "10.0.0.1")
    with pytest.raises(TooManyAttempts) as caught:
        accounts.sign_in(fast, "m1@x.se", "fel", "10.0.0.1")
    assert caught.value.details["retry_after_seconds"] == 15 * 60  # the doubling starts over


def test_the_global_budget_slows_guessing_from_many_addresses(fast: App) -> None:
    fast.settings = fast.settings.model_copy(
        update={
            "login_global_max_failures": 12,
        }
    )
    results = [_attempt(fast, f"p{i}@x.se", f"198.51.100.{i}") for i in range(15)]
    assert results == ["wrong"] * 12 + ["refused"] * 3
    assert fast.cache["password_hasher"].checks == 12


def test_successful_sign_ins_give_their_attempt_back(fast: App) -> None:
    """An office behind one address signs in all day without spending the address budget;
    signing in to one's own account does not wipe an address's failures either."""
    accounts.set_password(fast, SYSTEM, "m1@x.se", PASSWORD)
    for _ in range(30):
        assert _attempt(fast, "m1@x.se", "192.0.2.1", PASSWORD) == "ok"
    guesses = [_attempt(fast, f"x{i}@x.se", "192.0.2.1") for i in range(19)]
    assert guesses == ["wrong"] * 19
    assert _attempt(fast, "m1@x.se", "192.0.2.1", PASSWORD) == "ok"
    assert _attempt(fast, "x99@x.se", "192.0.2.1") == "wrong"  # the 20th failure
    assert _attempt(fast, "x98@x.se", "192.0.2.1") == "refused"


def test_ipv6_addresses_share_a_budget_per_64(fast: App) -> None:
    assert throttle.address("2001:db8:1:2::5") == throttle.address("2001:db8:1:2:ffff::9")
    assert throttle.address("::ffff:10.0.0.1") == "10.0.0.1"
    results = [_attempt(fast, f"p{i}@x.se", f"2001:db8:1:2::{i + 1:x}") for i in range(21)]
    assert results[-1] == "refused"


def test_guessing_the_current_password_on_a_stolen_session_is_throttled(fast: App) -> None:
    accounts.set_password(fast, SYSTEM, "m1@x.se", PASSWORD)
    actor = accounts.sign_in(fast, "m1@x.se", PASSWORD, "10.0.0.1").principal.actor
    for _ in range(5):
        with pytest.raises(InvalidInput):
            accounts.change_password(fast, actor, "gissning", "ett-nytt-lösenord", ip="10.0.0.1")
    with pytest.raises(TooManyAttempts):
        accounts.change_password(fast, actor, PASSWORD, "ett-nytt-lösenord", ip="10.0.0.1")
    assert fast.cache["password_hasher"].checks == 6  # the sign-in and five guesses
