"""the inbox's own tables: task_comment, task_nudge (one a day per task), saved_view

Revision ID: 0013i
Revises: 0013c
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013i"
down_revision: str | None = "0013c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_task_comment_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_comment_task_id_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_comment")),
    )
    with op.batch_alter_table("task_comment", schema=None) as batch_op:
        batch_op.create_index("ix_task_comment_task", ["task_id", "id"], unique=False)
    op.create_table(
        "task_nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_task_nudge_person_id_person")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_task_nudge_task_id_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_nudge")),
        sa.UniqueConstraint("task_id", "day", name=op.f("uq_task_nudge_task_id_day")),
    )
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=400), nullable=False),
        sa.Column("shared_unit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_saved_view_owner_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["shared_unit_id"], ["org_unit.id"], name=op.f("fk_saved_view_shared_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_view")),
    )
    with op.batch_alter_table("saved_view", schema=None) as batch_op:
        batch_op.create_index("ix_saved_view_owner", ["owner_id"], unique=False)
        batch_op.create_index("ix_saved_view_unit", ["shared_unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_view", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_view_unit")
        batch_op.drop_index("ix_saved_view_owner")
    op.drop_table("saved_view")
    op.drop_table("task_nudge")
    with op.batch_alter_table("task_comment", schema=None) as batch_op:
        batch_op.drop_index("ix_task_comment_task")
    op.drop_table("task_comment")
