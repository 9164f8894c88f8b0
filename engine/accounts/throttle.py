"""Throttling sign-ins: every password check is paid for, in advance, from three budgets.

    account  ``<e-mail>|<address>``  ``login_max_failures`` per window
    address  ``ip:<address>``        ``login_address_max_failures`` (IPv6: per /64)
    global   ``*``                   ``login_global_max_failures``

``reserve`` runs before the slow password check, in one write transaction that locks the
budgets' rows (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's single writer, taken at
``BEGIN IMMEDIATE``): it refuses when any budget is locked or spent, and otherwise counts
the attempt as a failure in every budget. So forty parallel tries cost at most
``login_max_failures`` checks, however the requests interleave, in threads or processes.
A successful sign-in gives its attempt back (``settle_success``) and forgets the account's
failures from that address; a process that dies mid-check leaves a failure counted.

A spent budget locks for ``login_lock_minutes``, doubling with each lock in a row (the
backoff), up to ``login_max_lock_minutes``; the doubling starts over once a budget has had
no lock for ``login_max_lock_minutes``. The account budget is keyed by address too, so an
attacker elsewhere cannot lock a colleague out; the address budget slows one address
guessing many accounts; the global one slows guessing spread over many addresses.
A refusal reads the same whichever budget refused and whether or not the account exists.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Executable, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine.context import App, Tx
from engine.db.models.people.accounts import LoginThrottle
from engine.domain.errors import TooManyAttempts
from engine.settings import Settings

GLOBAL = "*"
#: Locks stop doubling here whatever the settings say (2**20 lock lengths is plenty).
MAX_STRIKES = 20


@dataclass(frozen=True)
class Budget:
    key: str
    limit: int


@dataclass(frozen=True)
class Reservation:
    """An attempt paid for: the account budget's key and the shared budgets' keys."""

    account_key: str
    shared_keys: tuple[str, ...]


def address(ip: str) -> str:
    """The address a budget is kept for: IPv6 by its /64 (one host's usual share)."""
    try:
        parsed = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip()[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def key(email: str, ip: str) -> str:
    return f"{email.strip().lower()[:254]}|{address(ip)}"


def budgets(settings: Settings, email: str, ip: str) -> list[Budget]:
    """The account's budget first; a shared budget whose limit is 0 is not kept."""
    shared = [
        Budget(f"ip:{address(ip)}", settings.login_address_max_failures),
        Budget(GLOBAL, settings.login_global_max_failures),
    ]
    return [Budget(key(email, ip), settings.login_max_failures)] + [
        b for b in shared if b.limit > 0
    ]


def reserve(app: App, email: str, ip: str) -> Reservation:
    """Pay for one password check now, or refuse (``TooManyAttempts``) with the wait."""
    wanted = budgets(app.settings, email, ip)

    def work(tx: Tx) -> int:
        rows = _locked_rows(tx, sorted(b.key for b in wanted))
        wait = max(_wait_seconds(rows[b.key], b.limit, tx.now, app.settings) for b in wanted)
        if wait == 0:
            for b in wanted:
                rows[b.key].failures += 1
        return wait

    wait = app.run(work)
    if wait:
        raise TooManyAttempts(math.ceil(wait / 60), seconds=wait)
    return Reservation(wanted[0].key, tuple(b.key for b in wanted[1:]))


def settle_success(tx: Tx, held: Reservation) -> None:
    """The password was right: forget the account's failures from this address and give
    the attempt back to the shared budgets (in the transaction that opens the session)."""
    s = tx.session
    s.execute(delete(LoginThrottle).where(LoginThrottle.key == held.account_key))
    s.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key.in_(held.shared_keys))
        .values(failures=case((LoginThrottle.failures > 0, LoginThrottle.failures - 1), else_=0))
        .execution_options(synchronize_session=False)
    )


def _locked_rows(tx: Tx, keys: list[str]) -> dict[str, LoginThrottle]:
    """The budgets' rows, created if new, locked until the commit (always in key order, so
    two attempts never wait on each other crosswise)."""
    s = tx.session
    s.execute(_insert_missing(s.get_bind().dialect.name, keys, tx.now))
    rows = s.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key.in_(keys))
        .order_by(LoginThrottle.key)
        .with_for_update()
    )
    return {r.key: r for r in rows}


def _insert_missing(dialect: str, keys: list[str], now: datetime) -> Executable:
    values = [
        {"key": k, "failures": 0, "window_start": now, "locked_until": None, "strikes": 0}
        for k in keys
    ]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(LoginThrottle).values(values).on_conflict_do_nothing()


def _wait_seconds(row: LoginThrottle, limit: int, now: datetime, settings: Settings) -> int:
    """0 when the budget has room; else the seconds to wait (locking a spent budget)."""
    if row.locked_until is not None and row.locked_until > now:
        return math.ceil((row.locked_until - now).total_seconds())
    longest = timedelta(minutes=settings.login_max_lock_minutes)
    if row.window_start <= now - timedelta(minutes=settings.login_lock_minutes):
        if row.locked_until is None or row.locked_until <= now - longest:
            row.strikes = 0
        row.failures, row.window_start = 0, now
    if row.failures < limit:
        return 0
    lock = min(timedelta(minutes=settings.login_lock_minutes * 2**row.strikes), longest)
    row.locked_until, row.window_start, row.failures = now + lock, now, 0
    row.strikes = min(row.strikes + 1, MAX_STRIKES)
    return math.ceil(lock.total_seconds())
