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
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db.models import Base, table

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
        conn.execute(t.insert(), [{**r, "id": i} for r, i in zip(rows, ids, strict=True)])
        return ids
    stmt = t.insert().returning(t.c.id, sort_by_parameter_order=True)
    out: list[int] = []
    for i in range(0, len(rows), BATCH):
        out.extend(conn.execute(stmt, list(rows[i : i + BATCH])).scalars())
    return out
