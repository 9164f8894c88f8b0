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

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db.models import Base, table

BATCH = 1000


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
