"""Database engines, Core only: SQLite file by default, PostgreSQL by URL.

SQLite is tuned for one writer and many readers: WAL, foreign keys on, and write
transactions that start with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of
both reading and then failing to upgrade (SQLITE_BUSY in the middle of a use case).

Nothing here imports the ORM, so read paths that need only Core start without it;
``engine.db.session`` adds the sessions. SQLAlchemy itself is imported when an engine is
made, so the constants here cost nothing to read (``samflow inbox``'s plain path).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.domain.errors import DatabaseBusy

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.exc import OperationalError

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
    from sqlalchemy.engine import make_url

    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def is_lock_timeout(exc: OperationalError) -> bool:
    """The database answered that a lock was not had within the busy timeout."""
    code = getattr(exc.orig, "sqlstate", None)
    return code == "55P03" or any(m in str(exc.orig).lower() for m in LOCK_TIMEOUTS)


def create_db_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, busy_seconds: int = BUSY_SECONDS
) -> Engine:
    from sqlalchemy import create_engine

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
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url

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
