"""The reads of ``engine.db.reads`` on the DB-API driver alone: no SQLAlchemy.

A ``Plain`` connection holds a driver connection (stdlib ``sqlite3``, or ``psycopg`` for
PostgreSQL, imported only then) and the plans SQLAlchemy compiled for its dialect
(``compiled.json``, written by ``engine.db.reads.statements.plans_text``). A read fills in
its IN lists as SQLAlchemy would (each element, or SQLAlchemy's empty-set form), converts
its parameters and columns as the column types' processors do (``CONVERT``), and returns
rows read by attribute. Used where starting SQLAlchemy would cost most of the work
(``samflow inbox``); ``open_url`` answers None for what it does not know, and the caller
then takes the ordinary path.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import namedtuple
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

COMPILED = Path(__file__).with_name("compiled.json")
_MARKER = re.compile(r"__\[POSTCOMPILE_(\w+)\]")


def _utc_datetime(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC)


def _date_in(value: date) -> str:
    if not isinstance(value, date):
        raise TypeError("a date is expected")
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _date_out(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


#: Per dialect and kind (``statements._kind``): the conversion of a parameter ("in") or a
#: column ("out") that the column type's processor makes on that dialect.
CONVERT: dict[str, dict[str, Callable[[Any], Any]]] = {
    "in": {"date": _date_in},
    "out": {"utc_datetime": _utc_datetime, "bool": bool, "date": _date_out},
}


def _in(convert: Callable[[Any], Any] | None, value: Any) -> Any:
    return value if convert is None or value is None else convert(value)


@cache
def plans(dialect: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(COMPILED.read_text("utf-8"))[dialect]
    return found


class Plan:
    """One read's kept plan on one dialect."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.sql: str = data["sql"]
        self.positional: bool = data["positional"]
        self.names: list[str] = data["names"]
        self.expanding: dict[str, list[str]] = data["expanding"]
        self.empty: dict[str, str] = data["empty"]
        self.defaults: dict[str, Any] = data["defaults"]
        self.binds = {n: CONVERT["in"][k] for n, k in data["binds"].items()}
        self.results = [None if k is None else CONVERT["out"][k] for k in data["results"]]
        self.make = namedtuple("Row", data["columns"], rename=True)  # type: ignore[misc]
        self._sql: dict[tuple[int, ...], str] = {}

    def statement(self, values: Mapping[str, Any]) -> tuple[str, Any]:
        """The SQL and its parameters, as ``statements.ReadCompiled.statement`` gives them."""
        lengths = tuple(len(values[n]) for n in self.expanding)
        sql = self._sql.get(lengths)
        if sql is None:
            sql = self._sql[lengths] = _MARKER.sub(lambda m: self._list(m[1], values), self.sql)
        slots: list[tuple[str, Any]] = []
        binds = self.binds
        for name in self.names:
            convert = binds.get(name)
            if name in self.expanding:
                given = enumerate(values[name], 1)
                slots.extend((f"{name}_{i}", _in(convert, v)) for i, v in given)
            else:
                value = values[name] if name in values else self.defaults[name]
                slots.append((name, _in(convert, value)))
        if self.positional:
            return sql, [v for _, v in slots]
        return sql, dict(slots)

    def _list(self, name: str, values: Mapping[str, Any]) -> str:
        n = len(values[name])
        if n == 0:
            return self.empty[name]
        form = self.expanding[name]
        if len(form) == 1:
            return ", ".join([form[0]] * n)
        left, right = form
        return ", ".join(f"{left}{name}_{i}{right}" for i in range(1, n + 1))

    def row(self, row: Any) -> Any:
        return self.make(
            *(v if p is None or v is None else p(v) for v, p in zip(row, self.results, strict=True))
        )


class Plain:
    """A driver connection and its dialect's plans; one read transaction until ``close``."""

    def __init__(self, driver: Any, dialect: str, error: type[Exception]) -> None:
        self.driver = driver
        self.dialect = dialect
        #: The driver's base exception (what a caller falls back on).
        self.Error = error
        self._plans: dict[str, Plan] = {}

    def plan(self, name: str) -> Plan:
        found = self._plans.get(name)
        if found is None:
            found = self._plans[name] = Plan(plans(self.dialect)[name])
        return found

    def rows(self, name: str, values: Mapping[str, Any]) -> list[Any]:
        plan = self.plan(name)
        sql, params = plan.statement(values)
        cur = self.driver.cursor()
        try:
            cur.execute(sql, params)
            return [plan.row(r) for r in cur.fetchall()]
        finally:
            cur.close()

    def revision(self) -> str | None:
        """The schema's Alembic revision (None: no ``alembic_version`` table, or not one row)."""
        cur = self.driver.cursor()
        try:
            if self.dialect == "sqlite":
                cur.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
                )
            else:
                cur.execute("SELECT to_regclass('alembic_version')")
            found = cur.fetchone()
            if found is None or found[0] is None:
                return None
            cur.execute("SELECT version_num FROM alembic_version")
            rows = cur.fetchall()
        finally:
            cur.close()
        return str(rows[0][0]) if len(rows) == 1 else None

    def close(self) -> None:
        """Ends the read transaction (nothing was written) and the connection."""
        with contextlib.suppress(self.Error):
            self.driver.rollback()
        with contextlib.suppress(self.Error):
            self.driver.close()


_SQLITE = re.compile(r"^sqlite:///(?P<path>[^?#%]+)$")
_POSTGRES = re.compile(r"^(?:postgresql|postgres|postgresql\+psycopg)://(?P<rest>[^#]*)$")


def open_url(url: str, *, busy_seconds: int) -> Plain | None:
    """A read transaction on the database at ``url``; None when this module does not
    handle that URL (other drivers, options in the URL, an in-memory or missing SQLite
    file) or cannot connect to it: the ordinary path does, and says why."""
    sqlite_url = _SQLITE.match(url)
    if sqlite_url is not None:
        path = sqlite_url["path"]
        if path == ":memory:" or not Path(path).is_file():
            return None
        import sqlite3

        try:
            driver = sqlite3.connect(
                path, timeout=busy_seconds, isolation_level=None, check_same_thread=False
            )
            driver.execute(f"PRAGMA busy_timeout={busy_seconds * 1000}")
            driver.execute("BEGIN DEFERRED")  # one snapshot for every read, as Core's
        except sqlite3.Error:
            return None
        return Plain(driver, "sqlite", sqlite3.Error)
    pg_url = _POSTGRES.match(url)
    if pg_url is not None:
        try:
            import psycopg
        except ImportError:
            return None
        try:
            conn = psycopg.connect(
                "postgresql://" + pg_url["rest"], options=f"-c lock_timeout={busy_seconds * 1000}"
            )
        except psycopg.Error:
            return None
        return Plain(conn, "postgresql", psycopg.Error)
    return None
