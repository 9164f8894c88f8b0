"""The audit log's bulk window (migration 0014s).

A bulk append (the sweep's, the year start's thousands of events) is checked and advances
the chain heads once for the whole batch instead of once per event. On SQLite, which has no
statement-level triggers, the batch opens a window by inserting a row here (the row
trigger then stands aside) and closes it by deleting that row: a trigger on the delete
checks every event written since ``from_id`` — each chain's new events follow its head, in
insertion order and without a gap — and advances the heads, or aborts the statement.
PostgreSQL does the same check in a statement-level trigger and does not use this table.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class AuditBulk(Base):
    __tablename__ = "audit_bulk"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The highest event id when the window opened: the batch is what came after it.
    from_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
