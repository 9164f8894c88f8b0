"""organisation imports held for a second person's confirmation

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("units_file", sa.String(length=255), nullable=False),
        sa.Column("people_file", sa.String(length=255), nullable=False),
        sa.Column("units_csv", sa.Text(), nullable=False),
        sa.Column("people_csv", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("roles_in_reach", sa.Integer(), nullable=False),
        sa.Column("roles_ending", sa.Integer(), nullable=False),
        sa.Column("ending", sa.Text(), nullable=False),
        sa.Column("touched_units", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["person.id"], name=op.f("fk_pending_import_decided_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["person.id"], name=op.f("fk_pending_import_requested_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_import")),
    )
    with op.batch_alter_table("pending_import", schema=None) as batch_op:
        batch_op.create_index("ix_pending_import_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_import", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_import_status")
    op.drop_table("pending_import")
