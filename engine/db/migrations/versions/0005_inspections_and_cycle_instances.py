"""inspections, and cycle instances (several inspection cycles per unit and year)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status <> 'cancelled'")


def upgrade() -> None:
    op.create_table(
        "inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("inspector", sa.String(length=200), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("reply_drafted_at", sa.DateTime(), nullable=True),
        sa.Column("reply_digest", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["person.id"], name=op.f("fk_inspection_created_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycle.id"], name=op.f("fk_inspection_cycle_id_cycle")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_inspection_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection")),
    )
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_unit", ["unit_id", "inspected_on"], unique=False)

    op.create_table(
        "inspection_requirement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_requirement_inspection_id_inspection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_requirement")),
        sa.UniqueConstraint(
            "inspection_id", "number", name=op.f("uq_inspection_requirement_inspection_id_number")
        ),
    )
    op.create_table(
        "requirement_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["inspection_requirement.id"],
            name=op.f("fk_requirement_task_requirement_id_inspection_requirement"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_requirement_task_task_id_task")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_requirement_task_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_task")),
        sa.UniqueConstraint("task_id", name=op.f("uq_requirement_task_task_id")),
    )
    with op.batch_alter_table("requirement_task", schema=None) as batch_op:
        batch_op.create_index("ix_requirement_task_requirement", ["requirement_id"], unique=False)

    # Several live cycles of one template per unit and year, told apart by ``instance``
    # ("" for the yearly cycle, which therefore stays unique).
    with op.batch_alter_table("cycle", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("instance", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.drop_index("uq_cycle_unit_year_template", sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_index(
            "uq_cycle_unit_year_template",
            ["unit_id", "year", "template_key", "instance"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("cycle", schema=None) as batch_op:
        batch_op.drop_index("uq_cycle_unit_year_template", sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_index(
            "uq_cycle_unit_year_template",
            ["unit_id", "year", "template_key"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
        batch_op.drop_column("instance")

    with op.batch_alter_table("requirement_task", schema=None) as batch_op:
        batch_op.drop_index("ix_requirement_task_requirement")
    op.drop_table("requirement_task")
    op.drop_table("inspection_requirement")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_unit")
    op.drop_table("inspection")
