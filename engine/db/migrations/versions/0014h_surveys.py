"""surveys: column mappings, imports and each unit's published cells; absence figures; the
risk-oriented selection (ROA) and its units; health goals, unit health plans, their local
goals and follow-ups

Revision ID: 0014h
Revises: 0014r
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014h"
down_revision: str | None = "0014r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(col: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [col], [target], name=f"fk_{table}_{col}_{target.split('.', maxsplit=1)[0]}"
    )


def upgrade() -> None:
    op.create_table(
        "survey_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("layout", sa.String(length=16), nullable=False),
        sa.Column("unit_column", sa.String(length=200), nullable=False),
        sa.Column("count_column", sa.String(length=200), nullable=False),
        sa.Column("invited_column", sa.String(length=200), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("scale_low", sa.Integer(), nullable=False),
        sa.Column("scale_high", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _fk("created_by", "person.id", "survey_mapping"),
        sa.PrimaryKeyConstraint("id", name="pk_survey_mapping"),
        sa.UniqueConstraint("key", name="uq_survey_mapping_key"),
    )
    op.create_table(
        "survey_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("survey_name", sa.String(length=200), nullable=False),
        sa.Column("mapping_key", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("incomplete", sa.Integer(), nullable=False),
        sa.Column("min_answers", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("replaced_at", sa.DateTime(), nullable=True),
        _fk("imported_by", "person.id", "survey_import"),
        sa.PrimaryKeyConstraint("id", name="pk_survey_import"),
    )
    with op.batch_alter_table("survey_import", schema=None) as batch_op:
        batch_op.create_index("ix_survey_import_year", ["year", "replaced_at"], unique=False)
    op.create_table(
        "survey_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=True),
        sa.Column("suppressed", sa.String(length=16), nullable=True),
        sa.Column("motivation", sa.Float(), nullable=True),
        sa.Column("leadership", sa.Float(), nullable=True),
        sa.Column("governance", sa.Float(), nullable=True),
        sa.Column("hme", sa.Float(), nullable=True),
        sa.Column("questions", sa.Text(), nullable=True),
        _fk("import_id", "survey_import.id", "survey_result"),
        _fk("unit_id", "org_unit.id", "survey_result"),
        sa.PrimaryKeyConstraint("id", name="pk_survey_result"),
        sa.UniqueConstraint("import_id", "unit_id", name="uq_survey_result_import_id_unit_id"),
    )
    with op.batch_alter_table("survey_result", schema=None) as batch_op:
        batch_op.create_index("ix_survey_result_unit", ["unit_id"], unique=False)
    op.create_table(
        "absence_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("short_term_pct", sa.Float(), nullable=False),
        sa.Column("long_term_pct", sa.Float(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        _fk("imported_by", "person.id", "absence_figure"),
        _fk("unit_id", "org_unit.id", "absence_figure"),
        sa.PrimaryKeyConstraint("id", name="pk_absence_figure"),
        sa.UniqueConstraint("unit_id", "period", name="uq_absence_figure_unit_id_period"),
    )
    with op.batch_alter_table("absence_figure", schema=None) as batch_op:
        batch_op.create_index("ix_absence_figure_year", ["year"], unique=False)
    op.create_table(
        "roa_selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        _fk("confirmed_by", "person.id", "roa_selection"),
        sa.PrimaryKeyConstraint("id", name="pk_roa_selection"),
    )
    with op.batch_alter_table("roa_selection", schema=None) as batch_op:
        batch_op.create_index("ix_roa_selection_year", ["year"], unique=False)
    op.create_table(
        "roa_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("proposed", sa.Boolean(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        _fk("case_id", "process_case.id", "roa_unit"),
        _fk("selection_id", "roa_selection.id", "roa_unit"),
        _fk("unit_id", "org_unit.id", "roa_unit"),
        sa.PrimaryKeyConstraint("id", name="pk_roa_unit"),
        sa.UniqueConstraint("selection_id", "unit_id", name="uq_roa_unit_selection_id_unit_id"),
    )
    op.create_table(
        "health_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("measure", sa.String(length=200), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("created_by", "person.id", "health_goal"),
        sa.PrimaryKeyConstraint("id", name="pk_health_goal"),
        sa.UniqueConstraint("year", "code", name="uq_health_goal_year_code"),
    )
    op.create_table(
        "health_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("factors", sa.Text(), nullable=False),
        sa.Column("challenges", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        _fk("unit_id", "org_unit.id", "health_plan"),
        _fk("updated_by", "person.id", "health_plan"),
        sa.PrimaryKeyConstraint("id", name="pk_health_plan"),
        sa.UniqueConstraint("unit_id", "year", name="uq_health_plan_unit_id_year"),
    )
    op.create_table(
        "health_local_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        _fk("goal_id", "health_goal.id", "health_local_goal"),
        _fk("plan_id", "health_plan.id", "health_local_goal"),
        sa.PrimaryKeyConstraint("id", name="pk_health_local_goal"),
        sa.UniqueConstraint("plan_id", "number", name="uq_health_local_goal_plan_id_number"),
    )
    op.create_table(
        "health_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("by", sa.Integer(), nullable=True),
        _fk("by", "person.id", "health_follow_up"),
        _fk("plan_id", "health_plan.id", "health_follow_up"),
        sa.PrimaryKeyConstraint("id", name="pk_health_follow_up"),
    )
    with op.batch_alter_table("health_follow_up", schema=None) as batch_op:
        batch_op.create_index("ix_health_follow_up_plan", ["plan_id"], unique=False)


def downgrade() -> None:
    for table in (
        "health_follow_up",
        "health_local_goal",
        "health_plan",
        "health_goal",
        "roa_unit",
        "roa_selection",
        "absence_figure",
        "survey_result",
        "survey_import",
        "survey_mapping",
    ):
        op.drop_table(table)
