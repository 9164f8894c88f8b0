"""The application object the doors hold, and the transaction every use case runs in.

A use case is one transaction: it loads, decides, writes state and its audit events, and
commits (``App.run``). Audit events are buffered on the ``Tx`` and chained just before the
commit, so a change and its audit record land together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from engine.db.audit_store import AuditLog
from engine.db.session import Database, is_lock_timeout
from engine.db.unit import Unit
from engine.domain.clock import Clock, SystemClock
from engine.domain.errors import ConcurrentChange, DatabaseBusy
from engine.settings import Settings

T = TypeVar("T")
#: The id of the request (or job) this work runs for, set by the door that received it; every
#: audit event written meanwhile carries it (``data.request_id``), so a log line and the
#: events of one request can be found from each other.
REQUEST_ID: ContextVar[str | None] = ContextVar("samflow_request_id", default=None)
Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, what: str) -> None:
    """The default progress sink: says nothing."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: a person, or the system itself (sweeps, schedules)."""

    person_id: int | None
    label: str

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(None, what)

    @property
    def is_system(self) -> bool:
        return self.person_id is None


@dataclass
class Tx:
    """A use case's transaction: the driver-level unit of work (``unit``), the time it runs
    at, its audit events; the ORM session is made on first use of ``session``."""

    unit: Unit
    now: datetime
    audit: AuditLog
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def session(self) -> Session:
        return self.unit.session

    def record(
        self,
        chain: str,
        action: str,
        subject_type: str,
        subject_id: object,
        actor: Actor,
        *,
        on_behalf_of: int | None = None,
        unit_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        request_id = REQUEST_ID.get()
        if request_id is not None:
            data = {**(data or {}), "request_id": request_id}
        self.audit.record(
            chain,
            action,
            subject_type,
            subject_id,
            at=self.now,
            actor_id=actor.person_id,
            actor_label=actor.label,
            on_behalf_of_id=on_behalf_of,
            unit_id=unit_id,
            data=data,
        )


@dataclass
class App:
    """Composition of the engine: database, clock, settings and loaded templates."""

    db: Database
    clock: Clock = field(default_factory=SystemClock)
    settings: Settings = field(default_factory=Settings)
    cache: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> App:
        db = Database.connect(settings.database_url, busy_seconds=settings.db_busy_seconds)
        return cls(db, clock or SystemClock(), settings)

    def run(self, work: Callable[[Tx], T], *, retries: int = 5) -> T:
        """Run ``work`` in one write transaction; retried when it loses a race."""
        for attempt in range(retries):
            try:
                with self.transaction() as tx:
                    result = work(tx)
                for hook in tx.after_commit:
                    hook()
                return result
            except (ConcurrentChange, _Retryable) as exc:
                if attempt == retries - 1:
                    raise ConcurrentChange("the database") from exc
        raise AssertionError("unreachable")

    def preview(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` as if for real, then roll everything back (dry runs, previews)."""
        with _busy(), self.db.write_sessions() as session:
            session.begin()
            try:
                unit = Unit.of_session(session)
                return work(Tx(unit, self.clock.now(), AuditLog(unit)))
            finally:
                session.rollback()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        try:
            with self.db.write_unit() as unit:
                tx = Tx(unit, self.clock.now(), AuditLog(unit))
                yield tx
                tx.audit.flush()
        except IntegrityError as exc:
            if _is_race(exc):
                raise _Retryable() from exc
            raise
        except OperationalError as exc:
            if is_lock_timeout(exc):
                # the busy timeout has been waited already: say so rather than wait again
                raise DatabaseBusy() from exc
            if _is_race_text(str(exc.orig)):
                raise _Retryable() from exc
            raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _busy(), self.db.read() as session:
            yield session

    @contextmanager
    def read_core(self) -> Iterator[Connection]:
        """A read transaction on a Core connection, no Session (the inbox's read model)."""
        with _busy(), self.db.engine.connect() as conn, conn.begin():
            yield conn


@contextmanager
def _busy() -> Iterator[None]:
    """A lock not had within the busy timeout, as the engine's own error."""
    try:
        yield
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise DatabaseBusy() from exc
        raise


class _Retryable(Exception):
    """A database-level race the use case may simply run again."""


def _is_race(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return any(
        name in text
        for name in (
            "audit_chain",
            "audit chain head moved",
            "uq_audit_event",
            "audit_event.chain",
            "uq_cycle_unit_year_template",
            "cycle.unit_id",
            "deadlock",
            "could not serialize",
        )
    )


def _is_race_text(text: str) -> bool:
    """A race lost inside the database (not a lock waited for in vain): run again."""
    text = text.lower()
    return any(
        marker in text
        for marker in ("deadlock detected", "could not serialize", "audit chain head moved")
    )
