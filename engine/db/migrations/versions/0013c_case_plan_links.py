"""case_plan_link: which action-plan item a case wrote (an incident's investigation
measures, a manager's own risk in the plan above), issue 10

Revision ID: 0013c
Revises: 0013p
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013c"
down_revision: str | None = "0013p"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_plan_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action_item_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["action_item_id"], ["action_item.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["process_case.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_item_id"),
    )
    with op.batch_alter_table("case_plan_link", schema=None) as batch_op:
        batch_op.create_index("ix_case_plan_link_case", ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_plan_link", schema=None) as batch_op:
        batch_op.drop_index("ix_case_plan_link_case")
    op.drop_table("case_plan_link")
