"""Throttling failed sign-ins per (account, address), counted in the database.

After ``login_max_failures`` failures within ``login_lock_minutes`` the pair is refused for
that many minutes, whatever the password. Keyed by account *and* address so one attacker
cannot lock a colleague out from elsewhere, and guessing many accounts from one address
costs a lock per account. The counter is one guarded ``UPDATE ... SET failures = failures +
1`` so concurrent failures in several threads or processes are all counted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Executable, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine.db.models_accounts import LoginThrottle
from engine.domain.errors import TooManyAttempts
from engine.services.context import App, Tx


def key(email: str, ip: str) -> str:
    return f"{email.strip().lower()[:254]}|{ip[:64]}"


def check(app: App, throttle_key: str) -> None:
    """Refuse at once (before the slow password check) while the pair is locked."""
    now = app.clock.now()
    with app.read() as s:
        locked = s.scalar(
            select(LoginThrottle.locked_until).where(LoginThrottle.key == throttle_key)
        )
    if locked is not None and locked > now:
        minutes = max(1, int((locked - now).total_seconds() // 60) + 1)
        raise TooManyAttempts(minutes)


def fail(app: App, throttle_key: str) -> None:
    """Count one failure; lock the pair when the window holds too many."""
    window = timedelta(minutes=app.settings.login_lock_minutes)
    limit = app.settings.login_max_failures

    def work(tx: Tx) -> None:
        s = tx.session
        s.execute(_insert_ignore(s.get_bind().dialect.name, throttle_key, tx))
        s.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == throttle_key, LoginThrottle.window_start < tx.now - window)
            .values(failures=0, window_start=tx.now, locked_until=None)
        )
        s.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == throttle_key)
            .values(failures=LoginThrottle.failures + 1)
        )
        s.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == throttle_key, LoginThrottle.failures >= limit)
            .values(locked_until=tx.now + window, failures=0, window_start=tx.now)
        )

    app.run(work)


def _insert_ignore(dialect: str, throttle_key: str, tx: Tx) -> Executable:
    values = {"key": throttle_key, "failures": 0, "window_start": tx.now, "locked_until": None}
    if dialect == "postgresql":
        return postgresql.insert(LoginThrottle).values(**values).on_conflict_do_nothing()
    return sqlite.insert(LoginThrottle).values(**values).on_conflict_do_nothing()


def clear(tx: Tx, throttle_key: str) -> None:
    """A successful sign-in forgets earlier failures of the pair."""
    tx.session.execute(delete(LoginThrottle).where(LoginThrottle.key == throttle_key))
