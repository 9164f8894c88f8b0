"""Database sessions and the write transaction (engines: ``engine.db.engine``).

On SQLite the writers of one process take turns on a lock of their own (see ``Database``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.db.engine import (
    BUSY_SECONDS,
    DEFAULT_URL,
    LOCK_TIMEOUTS,
    create_db_engine,
    is_lock_timeout,
    is_sqlite,
    normalise_url,
)
from engine.db.unit import Unit, conn_of
from engine.domain.errors import DatabaseBusy

__all__ = [
    "BUSY_SECONDS",
    "DEFAULT_URL",
    "LOCK_TIMEOUTS",
    "Database",
    "conn_of",
    "create_db_engine",
    "is_lock_timeout",
    "is_sqlite",
    "normalise_url",
]


@dataclass
class Database:
    """The engine and two session factories: writes (locking early on SQLite) and reads.

    On SQLite the writers of one process also queue on a lock of their own before BEGIN
    IMMEDIATE: SQLite's busy handler makes a waiting writer sleep in growing steps, so
    under many concurrent writers (a web server's threads) the database lock would often
    sit free while everyone sleeps. Other processes still queue on SQLite's own lock.
    Neither wait lasts longer than the busy timeout: then ``DatabaseBusy`` (answered 503
    with Retry-After).
    """

    engine: Engine
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    write_lock: threading.RLock | None = None
    busy_seconds: int = BUSY_SECONDS
    writer: Engine | None = None
    #: SQLite: the connection this process's writers share (they take turns on write_lock).
    _kept: Connection | None = field(default=None, repr=False)
    _kept_pid: int = field(default=-1, repr=False)

    @classmethod
    def connect(cls, url: str, *, echo: bool = False, busy_seconds: int = BUSY_SECONDS) -> Database:
        engine = create_db_engine(url, echo=echo, busy_seconds=busy_seconds)
        sqlite = is_sqlite(url)
        writer = engine.execution_options(sqlite_begin="IMMEDIATE") if sqlite else engine
        return cls(
            engine,
            sessionmaker(bind=writer, expire_on_commit=False, autoflush=False),
            sessionmaker(bind=engine, expire_on_commit=False, autoflush=False),
            threading.RLock() if sqlite else None,
            busy_seconds,
            writer,
        )

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        if self.write_lock is None:
            yield
            return
        if not self.write_lock.acquire(timeout=self.busy_seconds):
            raise DatabaseBusy()
        try:
            yield
        finally:
            self.write_lock.release()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._writer_turn(), self.write_sessions() as session, session.begin():
            yield session

    @contextmanager
    def write_unit(self) -> Iterator[Unit]:
        """One write transaction at the driver level (``engine.db.unit``): committed when the
        block ends (with the ORM session's changes, if one was used), rolled back if it
        raises. On SQLite the writers of a process share one kept connection — they take
        turns anyway — so no pool check-out per transaction either."""
        with self._writer_turn():
            conn = self._kept_connection() if self.write_lock is not None else None
            kept = conn is not None
            if conn is None:
                conn = (self.writer or self.engine).connect()
            unit = Unit(conn)
            try:
                trans = conn.begin()
                try:
                    yield unit
                    if unit.has_session:
                        unit.session.flush()
                    trans.commit()
                except BaseException:
                    if trans.is_active:
                        trans.rollback()
                    raise
            except BaseException:
                if kept and (conn.invalidated or conn.closed):
                    self._kept = None
                raise
            finally:
                unit.close()
                if unit.has_session:
                    unit.session.close()
                if not kept:
                    conn.close()

    def _kept_connection(self) -> Connection:
        conn = self._kept
        if conn is None or conn.closed or conn.invalidated or self._kept_pid != os.getpid():
            conn = self._kept = (self.writer or self.engine).connect()
            self._kept_pid = os.getpid()
        return conn

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.read_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        if self._kept is not None:
            self._kept.close()
            self._kept = None
        self.engine.dispose()
