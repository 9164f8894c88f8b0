"""heartbeats on jobs and outbox rows; a stable Message-ID per notification

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = sa.text("status IN ('queued', 'running')")
SENDING = sa.text("status = 'sending'")


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_job_unfinished",
            ["status", "id"],
            unique=False,
            sqlite_where=UNFINISHED,
            postgresql_where=UNFINISHED,
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
        batch_op.create_index(
            "ix_notification_sending",
            ["heartbeat_at"],
            unique=False,
            sqlite_where=SENDING,
            postgresql_where=SENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_sending")
        batch_op.drop_column("message_id")
        batch_op.drop_column("heartbeat_at")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_unfinished")
        batch_op.drop_column("heartbeat_at")
