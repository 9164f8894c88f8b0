"""SQLAlchemy 2.0 typed models. One database, SQLite or PostgreSQL.

The package holds the tables: this module the core ones (organisation, cycles, stages,
tasks, measures, the audit log) and one module per capability in five groups, the same as
the doors': ``people`` (accounts, ops, org, positions), ``workflow`` (files, inbox, notify,
process), ``duties`` (alloc, cases, coop, policy, rounds), ``followup`` (plans, rollup,
surveys), ``records`` (audit, evidence); ``engine.db.all_models`` imports every one of them
(Alembic compares the database with all of them).

Indexes are chosen for the hot queries (see ``engine/db/queries.py``): the inbox reads open
tasks by assignee, by role address and by escalation address, each sorted by due date; the
sweep reads open tasks by ``next_check_at``. Those indexes are partial (``status = 'open'``)
so closed tasks, the bulk of a busy year, cost them nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from engine.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
OPEN = text("status = 'open'")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, date: Date}


def table(model: type[Base]) -> Table:
    """A model's Table, typed as such (Core statements in bulk paths use it)."""
    t = model.__table__
    assert isinstance(t, Table)
    return t


def _partial(name: str, *cols: str, where: Any = OPEN, unique: bool = False) -> Index:
    return Index(name, *cols, unique=unique, sqlite_where=where, postgresql_where=where)


# --- organisation -------------------------------------------------------------------------
class OrgUnit(Base):
    __tablename__ = "org_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    level: Mapped[str] = mapped_column(String(32), default="unit")
    headcount: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Person(Base):
    __tablename__ = "person"
    #: unique where given (several people may have none)
    __table_args__ = (Index("ux_person_employee_number", "employee_number", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: the employer's number for the person (anställningsnummer), from the organisation
    #: import; shown where people are administered, matched at sign-in if so configured
    employee_number: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RoleAssignment(Base):
    __tablename__ = "role_assignment"
    __table_args__ = (
        Index("ix_role_assignment_unit_role", "unit_id", "role"),
        Index("ix_role_assignment_person", "person_id", "role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]  # inclusive; None = until further notice
    source: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[datetime]


class Substitute(Base):
    """``person`` acts for ``for_person`` between two dates (ställföreträdare, leave)."""

    __tablename__ = "substitute"
    __table_args__ = (
        Index("ix_substitute_person", "person_id"),
        Index("ix_substitute_for_person", "for_person_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    for_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


# --- cycles -------------------------------------------------------------------------------
class CycleTemplateRow(Base):
    """The text of every template version a cycle has used: running cycles keep theirs."""

    __tablename__ = "cycle_template"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    title_sv: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Cycle(Base):
    __tablename__ = "cycle"
    __table_args__ = (
        # One live cycle per unit, year, template and instance; a cancelled one may be
        # started again. The yearly cycle has instance "" (so one per year); each
        # inspection's cycle has its own ("inspection:<id>"), so a unit may have several.
        _partial(
            "uq_cycle_unit_year_template",
            "unit_id",
            "year",
            "template_key",
            "instance",
            where=text("status <> 'cancelled'"),
            unique=True,
        ),
        Index("ix_cycle_year_status", "year", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    year: Mapped[int]
    template_key: Mapped[str] = mapped_column(String(64))
    template_id: Mapped[int] = mapped_column(ForeignKey("cycle_template.id"))
    instance: Mapped[str] = mapped_column(String(64), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16))
    current_stage: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    started_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    closed_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class Stage(Base):
    __tablename__ = "stage"
    __table_args__ = (UniqueConstraint("cycle_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    #: Each (re)activation is a new round; gates judge the tasks of the current round only
    #: (after a rejected approval the old approvals no longer count).
    round: Mapped[int] = mapped_column(Integer, default=0)
    activated_at: Mapped[datetime | None]
    signed_off_at: Mapped[datetime | None]
    signed_off_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class Task(Base):
    """A human task. Routed to a role at a unit (resolved when read) or to one person."""

    __tablename__ = "task"
    __table_args__ = (
        # Each partial index holds only the open tasks its query can match, so completing
        # an ordinary task touches two of them, not four.
        _partial(
            "ix_task_open_assignee",
            "assignee_id",
            "due_at",
            where=text("status = 'open' AND assignee_id IS NOT NULL"),
        ),
        _partial(
            "ix_task_open_address",
            "role_unit_id",
            "role",
            "due_at",
            where=text("status = 'open' AND assignee_id IS NULL"),
        ),
        _partial(
            "ix_task_open_escalation",
            "escalation_unit_id",
            "escalation_role",
            "due_at",
            where=text("status = 'open' AND escalation_unit_id IS NOT NULL"),
        ),
        # (next_check_at, id): the order the sweep takes the due tasks in, read from the
        # index a batch at a time (not every task due at one instant read and sorted)
        _partial(
            "ix_task_open_next_check",
            "next_check_at",
            "id",
            where=text("status = 'open' AND next_check_at IS NOT NULL"),
        ),
        Index("ix_task_cycle", "cycle_id", "stage_id"),
        # only a plan's follow-up tasks have a measure (and a lookup names one)
        _partial("ix_task_measure", "measure_id", where=text("measure_id IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    key: Mapped[str] = mapped_column(String(64))
    form_key: Mapped[str] = mapped_column(String(64))
    required: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer, default=1)
    role: Mapped[str | None] = mapped_column(String(32))
    role_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    due_at: Mapped[datetime]
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalation_role: Mapped[str | None] = mapped_column(String(32))
    escalation_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    next_check_at: Mapped[datetime | None]
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id"))
    returned_from_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    data: Mapped[str | None] = mapped_column(Text)  # the submitted form, JSON
    draft: Mapped[str | None] = mapped_column(Text)  # saved, not yet submitted
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    on_behalf_of: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # why returned / cancelled
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it


# --- risks and the action plan ------------------------------------------------------------
class Risk(Base):
    __tablename__ = "risk"
    __table_args__ = (Index("ix_risk_cycle", "cycle_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    task_id: Mapped[int | None]  # the assessment it came from (no FK: task -> measure -> risk)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(16))
    probability: Mapped[int]
    consequence: Mapped[int]
    serious: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class ActionItem(Base):
    """A row of the handlingsplan: an identified area or risk, with measures under it."""

    __tablename__ = "action_item"
    __table_args__ = (Index("ix_action_item_cycle", "cycle_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    number: Mapped[int]
    area: Mapped[str] = mapped_column(Text)
    risk_id: Mapped[int | None] = mapped_column(ForeignKey("risk.id"))
    current_state: Mapped[str] = mapped_column(Text, default="")
    probability: Mapped[int | None]
    consequence: Mapped[int | None]
    created_at: Mapped[datetime]


class Measure(Base):
    __tablename__ = "measure"
    __table_args__ = (Index("ix_measure_cycle", "cycle_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    number: Mapped[int]
    what: Mapped[str] = mapped_column(Text)
    desired_result: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(254))  # as written: e-mail or role word
    responsible_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    responsible_role: Mapped[str | None] = mapped_column(String(32))
    responsible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    # a position or group as responsible (engine.db.models.people.positions; no FK: defined there)
    responsible_position_id: Mapped[int | None]
    responsible_group_id: Mapped[int | None]
    due_date: Mapped[date | None]  # the end of the due period; None when open-ended
    due_kind: Mapped[str | None] = mapped_column(String(8))  # engine.domain.period.Kind
    due_start: Mapped[date | None]
    due_label: Mapped[str] = mapped_column(String(64), default="")  # as written
    follow_up_date: Mapped[date | None]  # the first follow-up point's end, if any
    status: Mapped[str] = mapped_column(String(16))
    done_on: Mapped[date | None]
    effect: Mapped[str] = mapped_column(Text, default="")
    effect_ok: Mapped[bool | None] = mapped_column(Boolean)
    followed_up_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MeasureEvent(Base):
    """The dated status history of a measure: nothing in a plan is overwritten."""

    __tablename__ = "measure_event"
    __table_args__ = (Index("ix_measure_event_measure", "measure_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"))
    at: Mapped[datetime]  # when it was recorded
    about: Mapped[date | None]  # the day the status is about, when not the day recorded
    event: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))


# --- audit --------------------------------------------------------------------------------
class AuditChain(Base):
    """Head of each hash chain: the anchor that shows a removed newest event."""

    __tablename__ = "audit_chain"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int]
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    """Append-only. No foreign keys: the log outlives anything it talks about."""

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        # Search indexes (engine/audit/search.py), kept few and narrow: every event is
        # written once and searched rarely (migration 0013h). System events (no person)
        # and events outside a unit stay out of the partial ones; acting on someone's
        # behalf is rare, so its index is small and lets "by person" (actor OR on behalf)
        # use two index ranges instead of reading the whole log. On PostgreSQL the period
        # index is a BRIN (the log is appended in time order): a few pages, not a B-tree.
        # The unit's and the person's carry the event's id and its action after the time
        # (migration 0016u): a search by either and an action (or a period) tests the action
        # in the index, not in the row, and the index still gives the order (at, id).
        _partial(
            "ix_audit_event_unit_at",
            "unit_id",
            "at",
            "id",
            "action",
            where=text("unit_id IS NOT NULL"),
        ),
        _partial(
            "ix_audit_event_actor_at",
            "actor_id",
            "at",
            "id",
            "action",
            where=text("actor_id IS NOT NULL"),
        ),
        _partial(
            "ix_audit_event_on_behalf_at",
            "on_behalf_of_id",
            "at",
            where=text("on_behalf_of_id IS NOT NULL"),
        ),
        Index("ix_audit_event_action_at", "action", "at"),
        Index("ix_audit_event_at", "at", postgresql_using="brin"),
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    chain: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int]
    at: Mapped[datetime]
    actor_id: Mapped[int | None]
    on_behalf_of_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int | None]
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# --- background work ----------------------------------------------------------------------
class Job(Base):
    """Long work started by a person (e.g. HR starting the year): its progress and outcome,
    so a page can show a progress bar whoever runs it (a thread here, a Prefect worker in
    production)."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_kind_created", "kind", "created_at"),
        # the queue and recovery read unfinished jobs only
        _partial(
            "ix_job_unfinished", "status", "id", where=text("status IN ('queued', 'running')")
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text)  # JSON
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str | None] = mapped_column(Text)  # JSON
    error: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str] = mapped_column(String(32), default="")  # thread | prefect
    external_ref: Mapped[str | None] = mapped_column(String(64))  # e.g. Prefect flow run id
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: Last sign of life of whatever runs the job (``jobs.heartbeat``); a running job whose
    #: heartbeat is older than ``SAMFLOW_JOB_STALE_SECONDS`` died with its process.
    heartbeat_at: Mapped[datetime | None]
