"""cases of any process (processes as data): process_case, case_item, case_item_task and
case_document replace inspection, inspection_requirement and requirement_task; the rows
are copied with their ids (audit events name ``inspection:<id>``, so those stay true)

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_tables()
    _copy_inspections()
    with op.batch_alter_table("requirement_task", schema=None) as batch_op:
        batch_op.drop_index("ix_requirement_task_requirement")
    op.drop_table("requirement_task")
    op.drop_table("inspection_requirement")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_unit")
    op.drop_table("inspection")


def _create_tables() -> None:
    op.create_table(
        "process_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["person.id"], name=op.f("fk_process_case_created_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycle.id"], name=op.f("fk_process_case_cycle_id_cycle")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_process_case_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_case")),
    )
    with op.batch_alter_table("process_case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_process_case_kind_unit", ["kind", "unit_id", "opened_on"], unique=False
        )
    op.create_table(
        "case_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["process_case.id"], name=op.f("fk_case_item_case_id_process_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_item")),
        sa.UniqueConstraint("case_id", "number", name=op.f("uq_case_item_case_id_number")),
    )
    op.create_table(
        "case_item_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["case_item.id"], name=op.f("fk_case_item_task_item_id_case_item")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_case_item_task_task_id_task")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_case_item_task_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_item_task")),
        sa.UniqueConstraint("task_id", name=op.f("uq_case_item_task_task_id")),
    )
    with op.batch_alter_table("case_item_task", schema=None) as batch_op:
        batch_op.create_index("ix_case_item_task_item", ["item_id"], unique=False)
    op.create_table(
        "case_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["process_case.id"], name=op.f("fk_case_document_case_id_process_case")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["person.id"], name=op.f("fk_case_document_created_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_document")),
    )
    with op.batch_alter_table("case_document", schema=None) as batch_op:
        batch_op.create_index("ix_case_document_case", ["case_id", "key"], unique=False)


def _copy_inspections() -> None:
    """Each inspection becomes a case of kind ``inspection`` with the same id; its fields
    as the registration form gives them go into ``data``; a drafted reply becomes a
    ``reply`` document."""
    conn = op.get_bind()
    codes: dict[int, str] = {
        int(i): str(c) for i, c in conn.execute(sa.text("SELECT id, code FROM org_unit"))
    }
    rows = conn.execute(sa.text("SELECT * FROM inspection ORDER BY id")).mappings().all()
    for r in rows:
        data = {
            "unit": codes.get(r["unit_id"], ""),
            "inspected_on": str(r["inspected_on"])[:10],
            "reply_by": str(r["reply_by"])[:10],
            "reference": r["reference"],
            "inspector": r["inspector"],
            "note": r["note"],
        }
        conn.execute(
            sa.text(
                "INSERT INTO process_case (id, kind, template_key, unit_id, cycle_id, "
                "reference, opened_on, deadline, data, created_at, created_by) VALUES (:id, "
                "'inspection', 'av-inspection', :unit_id, :cycle_id, :reference, "
                ":inspected_on, :reply_by, :data, :created_at, :created_by)"
            ),
            {**r, "data": json.dumps(data, ensure_ascii=False, sort_keys=True)},
        )
        if r["reply_drafted_at"] is not None:
            conn.execute(
                sa.text(
                    "INSERT INTO case_document (case_id, key, digest, created_at, created_by) "
                    "VALUES (:id, 'reply', :digest, :at, NULL)"
                ),
                {"id": r["id"], "digest": r["reply_digest"] or "", "at": r["reply_drafted_at"]},
            )
    conn.execute(
        sa.text(
            "INSERT INTO case_item (id, case_id, number, text, due_date, data) "
            "SELECT id, inspection_id, number, text, due_date, NULL FROM inspection_requirement"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO case_item_task (id, item_id, unit_id, task_id) "
            "SELECT id, requirement_id, unit_id, task_id FROM requirement_task"
        )
    )
    if conn.dialect.name == "postgresql":
        for table in ("process_case", "case_item", "case_item_task"):
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
            )


def downgrade() -> None:
    """Back to the inspection tables (cases of other kinds have nowhere to go there and
    are dropped with their tables: take a backup before going back past 0012)."""
    _create_old_tables()
    conn = op.get_bind()
    for r in conn.execute(
        sa.text("SELECT * FROM process_case WHERE kind = 'inspection' ORDER BY id")
    ).mappings():
        data = json.loads(r["data"])
        doc = conn.execute(
            sa.text(
                "SELECT digest, created_at FROM case_document WHERE case_id = :id "
                "AND key = 'reply' ORDER BY id DESC"
            ),
            {"id": r["id"]},
        ).first()
        conn.execute(
            sa.text(
                "INSERT INTO inspection (id, unit_id, cycle_id, reference, inspector, "
                "inspected_on, reply_by, note, created_at, created_by, reply_drafted_at, "
                "reply_digest) VALUES (:id, :unit_id, :cycle_id, :reference, :inspector, "
                ":opened_on, :deadline, :note, :created_at, :created_by, :at, :digest)"
            ),
            {
                **r,
                "inspector": data.get("inspector", ""),
                "note": data.get("note", ""),
                "at": doc[1] if doc else None,
                "digest": doc[0] if doc else None,
            },
        )
    inspections = "SELECT id FROM process_case WHERE kind = 'inspection'"
    conn.execute(
        sa.text(
            "INSERT INTO inspection_requirement (id, inspection_id, number, text, due_date) "
            f"SELECT id, case_id, number, text, due_date FROM case_item WHERE case_id IN "
            f"({inspections})"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO requirement_task (id, requirement_id, unit_id, task_id) "
            "SELECT id, item_id, unit_id, task_id FROM case_item_task WHERE item_id IN "
            f"(SELECT id FROM case_item WHERE case_id IN ({inspections}))"
        )
    )
    with op.batch_alter_table("case_document", schema=None) as batch_op:
        batch_op.drop_index("ix_case_document_case")
    op.drop_table("case_document")
    with op.batch_alter_table("case_item_task", schema=None) as batch_op:
        batch_op.drop_index("ix_case_item_task_item")
    op.drop_table("case_item_task")
    op.drop_table("case_item")
    with op.batch_alter_table("process_case", schema=None) as batch_op:
        batch_op.drop_index("ix_process_case_kind_unit")
    op.drop_table("process_case")


def _create_old_tables() -> None:
    """The tables of revision 0005, as they were."""
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
