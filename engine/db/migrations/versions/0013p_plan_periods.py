"""action plans as organisations write them: due periods on measures (kind, start, label
as written), the day a status is about (measure_event.about), follow-up points per measure
(measure_follow_up), the plan's own header (plan, plan_participant)

Revision ID: 0013p
Revises: 0013k
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013p"
down_revision: str | None = "0013k"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_kind", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("due_start", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("due_label", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("responsible_position_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("responsible_group_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("measure_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("about", sa.Date(), nullable=True))
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("theme", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=True),
        sa.Column("responsible_manager", sa.Text(), nullable=False),
        sa.Column("follow_up_months", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cycle_id", name="uq_plan_cycle"),
    )
    op.create_table(
        "plan_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_participant", schema=None) as batch_op:
        batch_op.create_index("ix_plan_participant_plan", ["plan_id", "position"], unique=False)
    op.create_table(
        "measure_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["measure_id"], ["measure.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("measure_follow_up", schema=None) as batch_op:
        batch_op.create_index(
            "ix_measure_follow_up_measure", ["measure_id", "position"], unique=False
        )

    _positions()


def _positions() -> None:
    op.create_table(
        "position",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "key", name="uq_position_unit_key"),
    )
    op.create_table(
        "position_holder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["position_id"], ["position.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("position_holder", schema=None) as batch_op:
        batch_op.create_index(
            "ix_position_holder_position", ["position_id", "valid_from"], unique=False
        )
    op.create_table(
        "org_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("convener_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["convener_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "key", name="uq_org_group_unit_key"),
    )
    op.create_table(
        "org_group_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["org_group.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_id", "person_id", name="uq_org_group_member"),
    )


def downgrade() -> None:
    op.drop_table("org_group_member")
    op.drop_table("org_group")
    with op.batch_alter_table("position_holder", schema=None) as batch_op:
        batch_op.drop_index("ix_position_holder_position")
    op.drop_table("position_holder")
    op.drop_table("position")
    with op.batch_alter_table("measure_follow_up", schema=None) as batch_op:
        batch_op.drop_index("ix_measure_follow_up_measure")
    op.drop_table("measure_follow_up")
    with op.batch_alter_table("plan_participant", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_participant_plan")
    op.drop_table("plan_participant")
    op.drop_table("plan")
    with op.batch_alter_table("measure_event", schema=None) as batch_op:
        batch_op.drop_column("about")
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.drop_column("responsible_group_id")
        batch_op.drop_column("responsible_position_id")
        batch_op.drop_column("due_label")
        batch_op.drop_column("due_start")
        batch_op.drop_column("due_kind")
