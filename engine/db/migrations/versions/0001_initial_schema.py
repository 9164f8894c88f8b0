"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_audit_chain")),
    )
    op.create_table(
        "audit_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("chain", "seq", name=op.f("uq_audit_event_chain_seq")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_action_at", ["action", "at"], unique=False)
        batch_op.create_index("ix_audit_event_actor_at", ["actor_id", "at"], unique=False)
        batch_op.create_index("ix_audit_event_at", ["at"], unique=False)
        batch_op.create_index(
            "ix_audit_event_subject", ["subject_type", "subject_id"], unique=False
        )
        batch_op.create_index("ix_audit_event_unit_at", ["unit_id", "at"], unique=False)

    op.create_table(
        "cycle_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title_sv", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_template")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_cycle_template_key_version")),
    )
    op.create_table(
        "org_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_org_unit_code")),
    )
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_unit_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("email", name=op.f("uq_person_email")),
    )
    op.create_table(
        "cycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_stage", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["started_by"], ["person.id"], name=op.f("fk_cycle_started_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["cycle_template.id"], name=op.f("fk_cycle_template_id_cycle_template")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_cycle_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle")),
    )
    with op.batch_alter_table("cycle", schema=None) as batch_op:
        batch_op.create_index("ix_cycle_year_status", ["year", "status"], unique=False)
        batch_op.create_index(
            "uq_cycle_unit_year_template",
            ["unit_id", "year", "template_key"],
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )

    op.create_table(
        "role_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_role_assignment_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_role_assignment_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignment")),
    )
    with op.batch_alter_table("role_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_role_assignment_person", ["person_id", "role"], unique=False)
        batch_op.create_index("ix_role_assignment_unit_role", ["unit_id", "role"], unique=False)

    op.create_table(
        "substitute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("for_person_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["person.id"], name=op.f("fk_substitute_created_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["for_person_id"], ["person.id"], name=op.f("fk_substitute_for_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_substitute_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitute")),
    )
    with op.batch_alter_table("substitute", schema=None) as batch_op:
        batch_op.create_index("ix_substitute_for_person", ["for_person_id"], unique=False)
        batch_op.create_index("ix_substitute_person", ["person_id"], unique=False)

    op.create_table(
        "risk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("consequence", sa.Integer(), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_risk_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk")),
    )
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.create_index("ix_risk_cycle", ["cycle_id"], unique=False)

    op.create_table(
        "stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        sa.Column("signed_off_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_stage_cycle_id_cycle")),
        sa.ForeignKeyConstraint(
            ["signed_off_by"], ["person.id"], name=op.f("fk_stage_signed_off_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage")),
        sa.UniqueConstraint("cycle_id", "key", name=op.f("uq_stage_cycle_id_key")),
    )
    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=True),
        sa.Column("current_state", sa.Text(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("consequence", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycle.id"], name=op.f("fk_action_item_cycle_id_cycle")
        ),
        sa.ForeignKeyConstraint(["risk_id"], ["risk.id"], name=op.f("fk_action_item_risk_id_risk")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_item")),
    )
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.create_index("ix_action_item_cycle", ["cycle_id"], unique=False)

    op.create_table(
        "measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_item_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("desired_result", sa.Text(), nullable=False),
        sa.Column("responsible", sa.String(length=254), nullable=False),
        sa.Column("responsible_person_id", sa.Integer(), nullable=True),
        sa.Column("responsible_role", sa.String(length=32), nullable=True),
        sa.Column("responsible_unit_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("follow_up_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("effect", sa.Text(), nullable=False),
        sa.Column("effect_ok", sa.Boolean(), nullable=True),
        sa.Column("followed_up_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_item_id"],
            ["action_item.id"],
            name=op.f("fk_measure_action_item_id_action_item"),
        ),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_measure_cycle_id_cycle")),
        sa.ForeignKeyConstraint(
            ["responsible_person_id"],
            ["person.id"],
            name=op.f("fk_measure_responsible_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_measure_responsible_unit_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure")),
    )
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.create_index("ix_measure_cycle", ["cycle_id"], unique=False)

    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("form_key", sa.String(length=64), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("role_unit_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalation_role", sa.String(length=32), nullable=True),
        sa.Column("escalation_unit_id", sa.Integer(), nullable=True),
        sa.Column("next_check_at", sa.DateTime(), nullable=True),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("returned_from_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("draft", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("on_behalf_of", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["person.id"], name=op.f("fk_task_assignee_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["person.id"], name=op.f("fk_task_closed_by_person")
        ),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_task_cycle_id_cycle")),
        sa.ForeignKeyConstraint(
            ["escalation_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_task_escalation_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measure.id"], name=op.f("fk_task_measure_id_measure")
        ),
        sa.ForeignKeyConstraint(
            ["on_behalf_of"], ["person.id"], name=op.f("fk_task_on_behalf_of_person")
        ),
        sa.ForeignKeyConstraint(
            ["returned_from_id"], ["task.id"], name=op.f("fk_task_returned_from_id_task")
        ),
        sa.ForeignKeyConstraint(
            ["role_unit_id"], ["org_unit.id"], name=op.f("fk_task_role_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(["stage_id"], ["stage.id"], name=op.f("fk_task_stage_id_stage")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_task_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index("ix_task_cycle", ["cycle_id", "stage_id"], unique=False)
        batch_op.create_index("ix_task_measure", ["measure_id"], unique=False)
        batch_op.create_index(
            "ix_task_open_address",
            ["role_unit_id", "role", "due_at"],
            unique=False,
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NULL"),
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NULL"),
        )
        batch_op.create_index(
            "ix_task_open_assignee",
            ["assignee_id", "due_at"],
            unique=False,
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NOT NULL"),
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_task_open_escalation",
            ["escalation_unit_id", "escalation_role", "due_at"],
            unique=False,
            sqlite_where=sa.text("status = 'open' AND escalation_unit_id IS NOT NULL"),
            postgresql_where=sa.text("status = 'open' AND escalation_unit_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_task_open_next_check",
            ["next_check_at"],
            unique=False,
            sqlite_where=sa.text("status = 'open' AND next_check_at IS NOT NULL"),
            postgresql_where=sa.text("status = 'open' AND next_check_at IS NOT NULL"),
        )

    op.create_table(
        "measure_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["person.id"], name=op.f("fk_measure_event_actor_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measure.id"], name=op.f("fk_measure_event_measure_id_measure")
        ),
        sa.ForeignKeyConstraint(
            ["on_behalf_of_id"], ["person.id"], name=op.f("fk_measure_event_on_behalf_of_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_measure_event_task_id_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_event")),
    )
    with op.batch_alter_table("measure_event", schema=None) as batch_op:
        batch_op.create_index("ix_measure_event_measure", ["measure_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("measure_event", schema=None) as batch_op:
        batch_op.drop_index("ix_measure_event_measure")

    op.drop_table("measure_event")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_task_open_next_check",
            sqlite_where=sa.text("status = 'open' AND next_check_at IS NOT NULL"),
            postgresql_where=sa.text("status = 'open' AND next_check_at IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_task_open_escalation",
            sqlite_where=sa.text("status = 'open' AND escalation_unit_id IS NOT NULL"),
            postgresql_where=sa.text("status = 'open' AND escalation_unit_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_task_open_assignee",
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NOT NULL"),
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_task_open_address",
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NULL"),
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NULL"),
        )
        batch_op.drop_index("ix_task_measure")
        batch_op.drop_index("ix_task_cycle")

    op.drop_table("task")
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.drop_index("ix_measure_cycle")

    op.drop_table("measure")
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.drop_index("ix_action_item_cycle")

    op.drop_table("action_item")
    op.drop_table("stage")
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_cycle")

    op.drop_table("risk")
    with op.batch_alter_table("substitute", schema=None) as batch_op:
        batch_op.drop_index("ix_substitute_person")
        batch_op.drop_index("ix_substitute_for_person")

    op.drop_table("substitute")
    with op.batch_alter_table("role_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_role_assignment_unit_role")
        batch_op.drop_index("ix_role_assignment_person")

    op.drop_table("role_assignment")
    with op.batch_alter_table("cycle", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_cycle_unit_year_template",
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )
        batch_op.drop_index("ix_cycle_year_status")

    op.drop_table("cycle")
    op.drop_table("person")
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_unit_parent_id"))

    op.drop_table("org_unit")
    op.drop_table("cycle_template")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_unit_at")
        batch_op.drop_index("ix_audit_event_subject")
        batch_op.drop_index("ix_audit_event_at")
        batch_op.drop_index("ix_audit_event_actor_at")
        batch_op.drop_index("ix_audit_event_action_at")

    op.drop_table("audit_event")
    op.drop_table("audit_chain")
