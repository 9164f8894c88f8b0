"""task allocation: allocations per unit's manager, their items, returns and holds

Revision ID: 0014a
Revises: 0014o
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014a"
down_revision: str | None = "0014o"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    ref = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint([col], [target], name=f"fk_{table}_{col}_{ref}")


def upgrade() -> None:
    t = "task_allocation"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("position_title", sa.String(length=200), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("substitute_id", sa.Integer(), nullable=True),
        sa.Column("allocator_id", sa.Integer(), nullable=True),
        sa.Column("allocator_unit_id", sa.Integer(), nullable=True),
        sa.Column("board", sa.String(length=200), nullable=False),
        sa.Column("board_decision", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("offered_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=False),
        sa.Column("answer_lacking", sa.String(length=64), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        _fk(t, "allocator_id", "person.id"),
        _fk(t, "allocator_unit_id", "org_unit.id"),
        _fk(t, "manager_id", "person.id"),
        _fk(t, "substitute_id", "person.id"),
        _fk(t, "superseded_by_id", "task_allocation.id"),
        _fk(t, "unit_id", "org_unit.id"),
        sa.PrimaryKeyConstraint("id", name="pk_task_allocation"),
    )
    with op.batch_alter_table(t, schema=None) as b:
        b.create_index("ix_task_allocation_manager", ["manager_id"], unique=False)
        b.create_index("ix_task_allocation_unit", ["unit_id", "state"], unique=False)
    t = "allocation_item"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("resources", sa.Text(), nullable=False),
        sa.Column("knowledge", sa.Text(), nullable=False),
        _fk(t, "allocation_id", "task_allocation.id"),
        sa.PrimaryKeyConstraint("id", name="pk_allocation_item"),
    )
    with op.batch_alter_table(t, schema=None) as b:
        b.create_index("ix_allocation_item_allocation", ["allocation_id"], unique=False)
    t = "allocation_return"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("to_unit_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("new_task_id", sa.Integer(), nullable=True),
        sa.Column("tasks", sa.Text(), nullable=False),
        sa.Column("lacking", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("returned_by", sa.Integer(), nullable=True),
        sa.Column("returned_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("to_person_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        _fk(t, "allocation_id", "task_allocation.id"),
        _fk(t, "decided_by", "person.id"),
        _fk(t, "item_id", "allocation_item.id"),
        _fk(t, "new_task_id", "task.id"),
        _fk(t, "returned_by", "person.id"),
        _fk(t, "task_id", "task.id"),
        _fk(t, "to_person_id", "person.id"),
        _fk(t, "to_unit_id", "org_unit.id"),
        _fk(t, "unit_id", "org_unit.id"),
        sa.PrimaryKeyConstraint("id", name="pk_allocation_return"),
    )
    with op.batch_alter_table(t, schema=None) as b:
        b.create_index("ix_allocation_return_allocation", ["allocation_id"], unique=False)
        b.create_index("ix_allocation_return_task", ["new_task_id"], unique=False)
    t = "allocation_hold"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("held_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        _fk(t, "holder_id", "person.id"),
        _fk(t, "manager_id", "person.id"),
        _fk(t, "task_id", "task.id"),
        _fk(t, "unit_id", "org_unit.id"),
        sa.PrimaryKeyConstraint("id", name="pk_allocation_hold"),
    )
    with op.batch_alter_table(t, schema=None) as b:
        b.create_index("ix_allocation_hold_unit", ["unit_id", "released_at"], unique=False)


def downgrade() -> None:
    for t in ("allocation_hold", "allocation_return", "allocation_item", "task_allocation"):
        op.drop_table(t)
