"""Core-only views of the tables the read paths use most (no ORM import).

``engine.db.models`` declares the schema (and Alembic's migrations follow it); these are
lightweight ``table()`` handles on the same tables, with the columns the Core reads in
``engine.db.reads`` need and the same column types, so a command such as ``samflow inbox``
runs without loading the ORM. ``tests/services/test_core_reads.py`` checks every column
here against the models, so the two cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Date, Integer, String, Text, column, table
from sqlalchemy.sql.expression import TableClause

from engine.db.types import UTCDateTime


def _t(table_name: str, /, **columns: object) -> TableClause:
    return table(table_name, *(column(n, t) for n, t in columns.items()))  # type: ignore[arg-type]


TASK = _t(
    "task",
    id=Integer(), cycle_id=Integer(), stage_id=Integer(), unit_id=Integer(), key=String(),
    status=String(), due_at=UTCDateTime(), escalation_level=Integer(), assignee_id=Integer(),
    role=String(), role_unit_id=Integer(), version=Integer(), required=Boolean(),
    form_key=String(), measure_id=Integer(), reminders_sent=Integer(),
    escalation_role=String(), escalation_unit_id=Integer(), created_at=UTCDateTime(),
)  # fmt: skip
CYCLE = _t("cycle", id=Integer(), template_id=Integer(), year=Integer())
STAGE = _t("stage", id=Integer(), key=String())
ORG_UNIT = _t("org_unit", id=Integer(), name=String(), parent_id=Integer())
PERSON = _t("person", id=Integer(), email=String(), name=String(), active=Boolean())
ROLE_ASSIGNMENT = _t(
    "role_assignment",
    id=Integer(), person_id=Integer(), role=String(), unit_id=Integer(), valid_from=Date(),
    valid_to=Date(),
)  # fmt: skip
SUBSTITUTE = _t(
    "substitute",
    person_id=Integer(), for_person_id=Integer(), valid_from=Date(), valid_to=Date(),
    ended_at=UTCDateTime(),
)  # fmt: skip
CYCLE_TEMPLATE = _t("cycle_template", id=Integer(), key=String(), version=Integer(), body=Text())

#: The inbox names the measure a follow-up task is about ("1.2 Byt belysningen").
ACTION_ITEM = _t("action_item", id=Integer(), number=Integer())
MEASURE = _t("measure", id=Integer(), action_item_id=Integer(), number=Integer(), what=Text())
#: One row per task and day its holder was reminded by hand (``models.inbox.TaskNudge``).
TASK_NUDGE = _t("task_nudge", task_id=Integer(), day=Date())

#: Roles the identity provider did not claim at a person's last sign-in (``models_ops``).
ROLE_WITHHELD = _t("role_withheld", person_id=Integer(), role=String())

ALL = (
    TASK, CYCLE, STAGE, ORG_UNIT, PERSON, ROLE_ASSIGNMENT, SUBSTITUTE, CYCLE_TEMPLATE,
    ROLE_WITHHELD, ACTION_ITEM, MEASURE, TASK_NUDGE,
)  # fmt: skip
