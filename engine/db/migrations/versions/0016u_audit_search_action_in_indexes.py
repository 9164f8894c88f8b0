"""audit_event: the unit's and the person's search indexes carry the event's id and its
action after the time, (unit_id, at, id, action) and (actor_id, at, id, action), still
partial: a search by unit or person and an action (or a period) reads its page and its
capped count from the index alone, with no row read per entry to test the action, and the
index still gives the order (at, id) a page is read in. No index is added: an event's
insert writes the same B-trees as before, each entry some 20 bytes wider

Revision ID: 0016u
Revises: 0015a
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0016u"
down_revision: str | None = "0015a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _where(cond: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(cond), "postgresql_where": sa.text(cond)}


def _indexes(*tail: str) -> None:
    op.drop_index("ix_audit_event_unit_at", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_at", table_name="audit_event")
    op.create_index(
        "ix_audit_event_unit_at",
        "audit_event",
        ["unit_id", "at", *tail],
        **_where("unit_id IS NOT NULL"),
    )
    op.create_index(
        "ix_audit_event_actor_at",
        "audit_event",
        ["actor_id", "at", *tail],
        **_where("actor_id IS NOT NULL"),
    )


def _analyze() -> None:
    """SQLite: where the database keeps planner statistics (someone ran ANALYZE), give the
    two new indexes theirs too (dropping an index drops its statistics, and a planner that
    knows the other indexes but not these may pass them by)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # (PostgreSQL's statistics are the table's, kept by autovacuum)
    if bind.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).first():
        bind.exec_driver_sql("ANALYZE ix_audit_event_unit_at")
        bind.exec_driver_sql("ANALYZE ix_audit_event_actor_at")


def upgrade() -> None:
    _indexes("id", "action")
    _analyze()


def downgrade() -> None:
    _indexes()
    _analyze()
