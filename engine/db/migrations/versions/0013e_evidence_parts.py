"""laid-out parts of evidence packages, reused by digest

Revision ID: 0013e
Revises: 0013i
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013e"
down_revision: str | None = "0013i"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_part",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("anchors", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_evidence_part")),
    )
    with op.batch_alter_table("evidence_part", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_part_used", ["used_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_part", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_part_used")
    op.drop_table("evidence_part")
