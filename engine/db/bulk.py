"""Bulk writes through Core: many rows per statement, ids back in the order given.

(The ORM's bulk insert with RETURNING splices result sets row by row; on thousands of rows
that costs seconds. Core's insertmanyvalues does the same job in milliseconds.)

On SQLite, ``INSERT ... RETURNING`` with the ids in parameter order is sent one row per
statement (SQLite does not promise the order of a multi-row RETURNING), so there the ids
are given instead: a write transaction holds SQLite's one write lock from ``BEGIN
IMMEDIATE``, so the next free ids are the table's highest plus one, two, ... — exactly what
SQLite itself would pick — and the rows go in with one ``executemany``. Should another
writer have taken an id anyway, the primary key refuses the insert; nothing is overwritten.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select
from sqlalchemy.orm import Session

from engine.db.models import Base, table
from engine.db.unit import Prepared, _wrapped

BATCH = 1000


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector held off for one bounded batch of bulk work (thousands
    of rows, tuples and records, none of them cyclic garbage): each of its passes walks
    every object of the process, and a 10,000-task sweep batch set off enough of them to
    take a third of its time (``bench.sweep``). Reference counting still frees everything;
    the collector runs again, as before, as soon as the batch is done."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def insert_returning_ids(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]]
) -> list[int]:
    t = table(model)
    conn = session.connection()
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        top = conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()
        ids = list(range(top + 1, top + 1 + len(rows)))
        insert_many(conn, t, rows, ids)
        return ids
    stmt = t.insert().returning(t.c.id, sort_by_parameter_order=True)
    out: list[int] = []
    for i in range(0, len(rows), BATCH):
        out.extend(conn.execute(stmt, list(rows[i : i + BATCH])).scalars())
    return out


_INSERTS: dict[tuple[str, tuple[str, ...]], Prepared] = {}


def insert_many(
    conn: Connection, t: Table, rows: Sequence[dict[str, Any]], ids: Sequence[int] | None = None
) -> None:
    """Rows with the same keys (and, given, these ids) inserted with one driver
    ``executemany``: the statement compiled once per table and set of columns, each value
    converted by its column type's own bind processor — once per distinct value of a
    column (a year start's tens of thousands of rows share a few instants and texts) —
    instead of the per-row parameter machinery of ``Connection.execute``."""
    if not rows:
        return
    base = tuple(_leave_out_nulls(t, rows))
    keys = (*base, "id") if ids is not None else base
    pick = itemgetter(*base)
    p = _INSERTS.get((t.name, keys))
    if p is None:
        p = _INSERTS[(t.name, keys)] = Prepared(t.insert().values({k: bindparam(k) for k in keys}))
    c = p.compiled(conn.dialect)
    # columns the rows leave out that have a constant default: the compiled insert names
    # them too (as SQLAlchemy's execute would fill them in)
    fill: list[Any] = []
    for name in c.names:
        if name not in keys:
            default = t.c[name].default
            if default is None or not getattr(default, "is_scalar", False):
                raise ValueError(f"insert_many: no value for {t.name}.{name}")
            keys = (*keys, name)
            fill.append(default.arg)  # type: ignore[attr-defined]
    extra = tuple(fill)
    slot = {k: i for i, k in enumerate(keys)}
    # column by column (a year start's tasks: 9,000 rows of 17 values): each column
    # gathered, converted and the rows zipped back by C loops, not a Python step per value
    n = len(rows)
    got = list(map(pick, rows))  # (a row without one of the columns raises KeyError)
    columns: list[Sequence[Any]] = list(zip(*got, strict=True)) if len(base) > 1 else [got]
    if ids is not None:
        if len(ids) != n:
            raise ValueError(f"insert_many: {len(ids)} ids for {n} rows")
        columns.append(ids)
    columns += [(v,) * n for v in extra]
    ordered = [columns[slot[name]] for name in c.names]
    for j, proc in enumerate(c.binds):
        if proc is not None:
            ordered[j] = _converted(ordered[j], proc)
    params: list[Any] = list(zip(*ordered, strict=True))
    if not c.positional:
        params = [dict(zip(c.names, out, strict=True)) for out in params]
    cur: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(c.sql, params)
    except conn.dialect.loaded_dbapi.Error as e:
        raise _wrapped(c.sql, params, e, conn.dialect) from e
    finally:
        cur.close()


def _converted(values: Sequence[Any], proc: Any) -> Sequence[Any]:
    """A column's values through its type's bind processor, once per distinct value (None
    stays None, as SQLAlchemy sends it)."""
    try:
        distinct = set(values)
    except TypeError:  # not hashable: each converted
        return [None if v is None else proc(v) for v in values]
    done = {v: (None if v is None else proc(v)) for v in distinct}
    return list(map(done.__getitem__, values))


def _leave_out_nulls(t: Table, rows: Sequence[dict[str, Any]]) -> list[str]:
    """The rows' columns without those that are None in every row and have no default of
    either kind: left out of the statement, the database stores the same NULL, and the
    driver binds a third fewer parameters (a year start's tasks: 11 of 27 columns)."""
    out = []
    first = rows[0]
    for k in first:
        if first[k] is None and k != "id":
            c = t.c.get(k)  # (a name that is no column: the compiled insert says so)
            if (
                c is not None
                and c.default is None
                and c.server_default is None
                and list(map(itemgetter(k), rows)).count(None) == len(rows)
            ):
                continue
        out.append(k)
    return out
