"""The write transaction at the driver level: one connection, statements compiled once.

A use case's transaction is a :class:`Unit`: a SQLAlchemy ``Connection`` in a transaction,
and an ORM ``Session`` only if the use case asks for one (``Unit.session``, bound to the
same connection and transaction). The statements every use case runs (load the task,
update it, append to the audit log) are :class:`Prepared`: compiled to the dialect's SQL
once, their parameters converted by the column types' own processors, and sent straight
to the driver's cursor — no Session begin/flush/close, no statement cache lookup, no
result-proxy set-up per call. psycopg 3 prepares a statement on the server after a few
executions of the same SQL text, so on PostgreSQL these are also server-side prepared.

Driver errors are raised as SQLAlchemy's own exceptions (``IntegrityError``,
``OperationalError`` …) so the transaction's retry and busy handling see them alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    names: tuple[str, ...]  # parameter order (positional) or the names used (named)
    defaults: Mapping[str, Any]  # literal values compiled into the statement
    binds: tuple[Processor, ...]  # per name, or None
    results: tuple[Processor, ...] | None  # per result column; None: no processing at all

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        out = []
        for name, proc in zip(self.names, self.binds, strict=True):
            value = values[name] if name in values else self.defaults[name]
            out.append(value if proc is None or value is None else proc(value))
        return out if self.positional else dict(zip(self.names, out, strict=True))

    def row(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if self.results is None:
            return tuple(row)
        return tuple(
            v if p is None or v is None else p(v) for v, p in zip(row, self.results, strict=True)
        )


class Prepared:
    """A Core statement compiled once per dialect for the driver (no expanding IN lists)."""

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        c: Any = self.stmt.compile(dialect=dialect)
        if any(b.expanding for b in c.binds.values()):
            raise ValueError("a prepared statement cannot have an expanding IN list")
        names = tuple(c.positiontup) if c.positional else tuple(c.bind_names.values())
        by_name = {c.bind_names[b]: b for b in c.binds.values()}
        defaults = {
            n: b.effective_value
            for n, b in by_name.items()
            if b.value is not None or b.callable is not None
        }
        procs = c._bind_processors
        binds = tuple(procs.get(n) for n in names)
        results: tuple[Processor, ...] | None = None
        if c._result_columns:
            results = tuple(
                col.type._cached_result_processor(dialect, None) for col in c._result_columns
            )
            if all(p is None for p in results):
                results = None
        return _Compiled(c.string, c.positional, names, defaults, binds, results)


class Unit:
    """One transaction's connection; the ORM session only when someone needs it."""

    def __init__(self, conn: Connection, session: Session | None = None) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self._session = session
        self._cursor: Any = None

    @classmethod
    def of_session(cls, session: Session) -> Unit:
        """The unit of a session's current transaction (one per transaction)."""
        txn = session.get_transaction()
        cached = session.info.get("_unit")
        if cached is not None and cached[0] is txn:
            return cast(Unit, cached[1])
        unit = cls(conn_of(session), session)
        session.info["_unit"] = (txn, unit)
        return unit

    @property
    def session(self) -> Session:
        """An ORM session in this same transaction (made on first use)."""
        if self._session is None:
            self._session = Session(
                bind=self.conn,
                expire_on_commit=False,
                autoflush=False,
                join_transaction_mode="rollback_only",
            )
        return self._session

    @property
    def has_session(self) -> bool:
        return self._session is not None

    def _cur(self) -> Any:
        if self._cursor is None:
            raw: Any = self.conn.connection.driver_connection
            self._cursor = raw.cursor()
        return self._cursor

    def _run(self, p: Prepared, values: Mapping[str, Any]) -> tuple[Any, _Compiled]:
        c = p.compiled(self.dialect)
        params = c.params(values)
        cur = self._cur()
        try:
            cur.execute(c.sql, params)
        except self.dialect.loaded_dbapi.Error as e:
            raise _wrapped(c.sql, params, e, self.dialect) from e
        return cur, c

    def first(self, p: Prepared, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        cur, c = self._run(p, values)
        row = cur.fetchone()
        return None if row is None else c.row(row)

    def all(self, p: Prepared, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        cur, c = self._run(p, values)
        return [c.row(r) for r in cur.fetchall()]

    def execute(self, p: Prepared, values: Mapping[str, Any]) -> int:
        """Run a statement without rows to read; the number of rows it touched."""
        cur, _ = self._run(p, values)
        return int(cur.rowcount)

    def executemany(self, p: Prepared, rows: Sequence[Mapping[str, Any]]) -> None:
        c = p.compiled(self.dialect)
        params = [c.params(r) for r in rows]
        try:
            self._cur().executemany(c.sql, params)
        except self.dialect.loaded_dbapi.Error as e:
            raise _wrapped(c.sql, params, e, self.dialect) from e

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None


def _wrapped(sql: str, params: Any, e: Exception, dialect: Dialect) -> exc.StatementError:
    return exc.DBAPIError.instance(
        sql, params, e, dialect.loaded_dbapi.Error, dialect=dialect, ismulti=None
    )


def as_unit(where: Session | Unit) -> Unit:
    """Functions on the hot path take a Unit; called with a Session they use its unit."""
    return where if isinstance(where, Unit) else Unit.of_session(where)


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
