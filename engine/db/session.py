"""Database engines and sessions. SQLite file by default, PostgreSQL by URL.

SQLite is tuned for one writer and many readers: WAL, foreign keys on, and write
transactions that start with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of
both reading and then failing to upgrade (SQLITE_BUSY in the middle of a use case).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///samflow.db"


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (the driver we install)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def create_db_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        return _sqlite_engine(url, echo)
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _sqlite_engine(url: str, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            "cache_size=-65536",
            "temp_store=MEMORY",
            "wal_autocheckpoint=10000",  # fewer, larger checkpoints: hot pages coalesce
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.connection.driver_connection.execute(f"BEGIN {mode}")

    return engine


@dataclass
class Database:
    """The engine and two session factories: writes (locking early on SQLite) and reads.

    On SQLite the writers of one process also queue on a lock of their own before BEGIN
    IMMEDIATE: SQLite's busy handler makes a waiting writer sleep in growing steps, so
    under many concurrent writers (a web server's threads) the database lock would often
    sit free while everyone sleeps. Other processes still queue on SQLite's own lock.
    """

    engine: Engine
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    write_lock: AbstractContextManager[object] = field(default_factory=nullcontext)

    @classmethod
    def connect(cls, url: str, *, echo: bool = False) -> Database:
        engine = create_db_engine(url, echo=echo)
        sqlite = is_sqlite(url)
        writer = engine.execution_options(sqlite_begin="IMMEDIATE") if sqlite else engine
        return cls(
            engine,
            sessionmaker(bind=writer, expire_on_commit=False, autoflush=False),
            sessionmaker(bind=engine, expire_on_commit=False, autoflush=False),
            threading.RLock() if sqlite else nullcontext(),
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.write_lock, self.write_sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.read_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
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
