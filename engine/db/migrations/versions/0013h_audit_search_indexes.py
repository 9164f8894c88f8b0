"""audit_event: fewer, narrower search indexes (the log's insert is the hottest write):
drop the unused subject index; unit and actor indexes partial (system events and events
outside a unit skip them); a small partial index on on_behalf_of_id so a search by person
(actor or on behalf) uses indexes; on PostgreSQL the period index becomes a BRIN

Revision ID: 0013h
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013h"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _where(cond: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(cond), "postgresql_where": sa.text(cond)}


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_audit_event_subject", table_name="audit_event")
    op.drop_index("ix_audit_event_unit_at", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_at", table_name="audit_event")
    op.create_index(
        "ix_audit_event_unit_at", "audit_event", ["unit_id", "at"], **_where("unit_id IS NOT NULL")
    )
    op.create_index(
        "ix_audit_event_actor_at",
        "audit_event",
        ["actor_id", "at"],
        **_where("actor_id IS NOT NULL"),
    )
    op.create_index(
        "ix_audit_event_on_behalf_at",
        "audit_event",
        ["on_behalf_of_id", "at"],
        **_where("on_behalf_of_id IS NOT NULL"),
    )
    if pg:
        op.drop_index("ix_audit_event_at", table_name="audit_event")
        op.create_index("ix_audit_event_at", "audit_event", ["at"], postgresql_using="brin")


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        op.drop_index("ix_audit_event_at", table_name="audit_event")
        op.create_index("ix_audit_event_at", "audit_event", ["at"], unique=False)
    op.drop_index("ix_audit_event_on_behalf_at", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_at", table_name="audit_event")
    op.drop_index("ix_audit_event_unit_at", table_name="audit_event")
    op.create_index("ix_audit_event_actor_at", "audit_event", ["actor_id", "at"], unique=False)
    op.create_index("ix_audit_event_unit_at", "audit_event", ["unit_id", "at"], unique=False)
    op.create_index(
        "ix_audit_event_subject", "audit_event", ["subject_type", "subject_id"], unique=False
    )
