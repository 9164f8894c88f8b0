"""Database engines and sessions. SQLite file by default, PostgreSQL by URL.

SQLite is tuned for one writer and many readers: WAL, foreign keys on, and write
transactions that start with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of
both reading and then failing to upgrade (SQLITE_BUSY in the middle of a use case).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.db.unit import Unit
from engine.domain.errors import DatabaseBusy

DEFAULT_URL = "sqlite:///samflow.db"
#: Seconds a transaction waits for a lock before giving up (``Settings.db_busy_seconds``).
BUSY_SECONDS = 30
#: What a driver says when a lock was not had in time: SQLite's busy timeout, PostgreSQL's
#: lock_timeout (SQLSTATE 55P03).
LOCK_TIMEOUTS = ("database is locked", "database table is locked", "lock timeout")


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (the driver we install)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def is_lock_timeout(exc: OperationalError) -> bool:
    """The database answered that a lock was not had within the busy timeout."""
    code = getattr(exc.orig, "sqlstate", None)
    return code == "55P03" or any(m in str(exc.orig).lower() for m in LOCK_TIMEOUTS)


def create_db_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, busy_seconds: int = BUSY_SECONDS
) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        return _sqlite_engine(url, echo, busy_seconds)
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=20,
        pool_pre_ping=True,
        connect_args={"options": f"-c lock_timeout={busy_seconds * 1000}"},
    )


def _sqlite_engine(url: str, echo: bool, busy_seconds: int) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, echo=echo, connect_args={"check_same_thread": False, "timeout": busy_seconds}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            f"busy_timeout={busy_seconds * 1000}",
            "cache_size=-65536",
            "temp_store=MEMORY",
            "wal_autocheckpoint=10000",  # fewer, larger checkpoints: hot pages coalesce
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        try:
            conn.connection.driver_connection.execute(f"BEGIN {mode}")
        except sqlite3.OperationalError as exc:  # raised here, SQLAlchemy does not wrap it
            if any(m in str(exc).lower() for m in LOCK_TIMEOUTS):
                raise DatabaseBusy() from exc
            raise

    return engine


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


def conn_of(session: Session) -> Connection:
    """The session's connection for Core statements, looked up once per transaction
    (``Session.connection()`` costs more than a small statement on the hot path)."""
    txn = session.get_transaction()
    cached = session.info.get("_conn")
    if cached is not None and cached[0] is txn:
        return cast(Connection, cached[1])
    connection = session.connection()
    session.info["_conn"] = (txn, connection)
    return connection
