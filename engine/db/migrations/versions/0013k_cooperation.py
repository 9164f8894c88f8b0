"""cooperation: bodies and members, meetings and their items, MBL negotiations, plans
established at a meeting, changes decided

Revision ID: 0013k
Revises: 0013h
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013k"
down_revision: str | None = "0013h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(col: str, target: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [target], name=name)


def upgrade() -> None:
    op.create_table(
        "coop_body",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("created_by", "person.id", "fk_coop_body_created_by_person"),
        _fk("unit_id", "org_unit.id", "fk_coop_body_unit_id_org_unit"),
        sa.PrimaryKeyConstraint("id", name="pk_coop_body"),
        sa.UniqueConstraint("code", name="uq_coop_body_code"),
    )
    with op.batch_alter_table("coop_body", schema=None) as batch_op:
        batch_op.create_index("ix_coop_body_unit", ["unit_id"], unique=False)
    op.create_table(
        "coop_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        _fk("body_id", "coop_body.id", "fk_coop_member_body_id_coop_body"),
        _fk("person_id", "person.id", "fk_coop_member_person_id_person"),
        sa.PrimaryKeyConstraint("id", name="pk_coop_member"),
    )
    with op.batch_alter_table("coop_member", schema=None) as batch_op:
        batch_op.create_index("ix_coop_member_body", ["body_id"], unique=False)
        batch_op.create_index("ix_coop_member_person", ["person_id"], unique=False)
    op.create_table(
        "coop_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.Column("signed_by", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        _fk("body_id", "coop_body.id", "fk_coop_meeting_body_id_coop_body"),
        _fk("created_by", "person.id", "fk_coop_meeting_created_by_person"),
        _fk("signed_by", "person.id", "fk_coop_meeting_signed_by_person"),
        sa.PrimaryKeyConstraint("id", name="pk_coop_meeting"),
    )
    with op.batch_alter_table("coop_meeting", schema=None) as batch_op:
        batch_op.create_index("ix_coop_meeting_body", ["body_id", "held_on"], unique=False)
    op.create_table(
        "coop_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("disagreement", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        _fk("meeting_id", "coop_meeting.id", "fk_coop_item_meeting_id_coop_meeting"),
        _fk("recorded_by", "person.id", "fk_coop_item_recorded_by_person"),
        sa.PrimaryKeyConstraint("id", name="pk_coop_item"),
        sa.UniqueConstraint("meeting_id", "number", name="uq_coop_item_meeting_id_number"),
    )
    with op.batch_alter_table("coop_item", schema=None) as batch_op:
        batch_op.create_index("ix_coop_item_subject", ["subject_type", "subject_id"], unique=False)
    op.create_table(
        "mbl_negotiation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("protocol", sa.Text(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        _fk("ended_by", "person.id", "fk_mbl_negotiation_ended_by_person"),
        _fk("item_id", "coop_item.id", "fk_mbl_negotiation_item_id_coop_item"),
        _fk("requested_by", "person.id", "fk_mbl_negotiation_requested_by_person"),
        sa.PrimaryKeyConstraint("id", name="pk_mbl_negotiation"),
        sa.UniqueConstraint("item_id", name="uq_mbl_negotiation_item_id"),
    )
    op.create_table(
        "plan_establishment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("body_label", sa.String(length=64), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=False),
        sa.Column("mbl", sa.String(length=16), nullable=False),
        sa.Column("decided_task_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("cycle_id", "cycle.id", "fk_plan_establishment_cycle_id_cycle"),
        _fk("decided_task_id", "task.id", "fk_plan_establishment_decided_task_id_task"),
        _fk("item_id", "coop_item.id", "fk_plan_establishment_item_id_coop_item"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_establishment"),
        sa.UniqueConstraint("cycle_id", name="uq_plan_establishment_cycle_id"),
    )
    op.create_table(
        "change_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _fk("case_id", "process_case.id", "fk_change_decision_case_id_process_case"),
        _fk("decided_by", "person.id", "fk_change_decision_decided_by_person"),
        sa.PrimaryKeyConstraint("id", name="pk_change_decision"),
        sa.UniqueConstraint("case_id", name="uq_change_decision_case_id"),
    )


def downgrade() -> None:
    op.drop_table("change_decision")
    op.drop_table("plan_establishment")
    op.drop_table("mbl_negotiation")
    with op.batch_alter_table("coop_item", schema=None) as batch_op:
        batch_op.drop_index("ix_coop_item_subject")
    op.drop_table("coop_item")
    with op.batch_alter_table("coop_meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_coop_meeting_body")
    op.drop_table("coop_meeting")
    with op.batch_alter_table("coop_member", schema=None) as batch_op:
        batch_op.drop_index("ix_coop_member_person")
        batch_op.drop_index("ix_coop_member_body")
    op.drop_table("coop_member")
    with op.batch_alter_table("coop_body", schema=None) as batch_op:
        batch_op.drop_index("ix_coop_body_unit")
    op.drop_table("coop_body")
