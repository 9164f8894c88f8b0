"""Set-based reads. Each function is one or a few SQL statements, whatever the volume."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from engine.db import reads
from engine.db.audit_store import chunks
from engine.db.models import (
    AuditChain,
    Cycle,
    CycleTemplateRow,
    OrgUnit,
    Person,
    RoleAssignment,
    Stage,
    Task,
    table,
)
from engine.db.reads import Authority as Authority  # noqa: PLC0414 (re-exported)
from engine.db.session import conn_of
from engine.db.unit import Prepared, Unit, as_unit
from engine.domain.errors import NotFound, StaleVersion
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus


def pairs(session: Session, stmt: Any) -> dict[Any, Any]:
    """A two-column query as a dict (first column -> second)."""
    return {row[0]: row[1] for row in session.execute(stmt)}


def valid_on(day: date) -> Any:
    return and_(
        RoleAssignment.valid_from <= day,
        or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= day),
    )


# --- organisation -------------------------------------------------------------------------
def org_snapshot(session: Session, day: date, *, with_names: bool = False) -> OrgSnapshot:
    """The whole unit tree and the role holders valid on ``day`` (a few ms per 1,000 units)."""
    cols: list[Any] = [OrgUnit.id, OrgUnit.parent_id]
    if with_names:
        cols.append(OrgUnit.name)
    parents: dict[int, int | None] = {}
    names: dict[int, str] = {}
    for row in session.execute(select(*cols).where(OrgUnit.active.is_(True))):
        parents[row[0]] = row[1]
        if with_names:
            names[row[0]] = row[2]
    holders: dict[Address, list[int]] = defaultdict(list)
    for person, role, unit in session.execute(
        select(RoleAssignment.person_id, RoleAssignment.role, RoleAssignment.unit_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(valid_on(day), Person.active.is_(True))
    ):
        holders[Address(Role(role), unit)].append(person)
    return OrgSnapshot(parents, dict(holders), names)


def unit_by_code(session: Session, code: str) -> OrgUnit:
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        raise NotFound("unit", code)
    return unit


def person_by_email(session: Session, email: str) -> Person:
    person = session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise NotFound("person", email)
    return person


def holders_of(
    session: Session, addresses: Iterable[Address], day: date
) -> dict[Address, list[int]]:
    wanted = list(set(addresses))
    out: dict[Address, list[int]] = defaultdict(list)
    for batch in chunks(wanted, 300):
        cond = or_(
            *(
                and_(RoleAssignment.unit_id == a.unit_id, RoleAssignment.role == a.role.value)
                for a in batch
            )
        )
        rows = session.execute(
            select(RoleAssignment.person_id, RoleAssignment.role, RoleAssignment.unit_id)
            .where(cond, valid_on(day))
            .order_by(RoleAssignment.id)
        )
        for person, role, unit in rows:
            out[Address(Role(role), unit)].append(person)
    return dict(out)


def holders_at(
    session: Session, addresses: Iterable[Address], day: date
) -> dict[Address, list[int]]:
    """The same as ``holders_of`` for a few addresses, in one statement compiled once
    (``engine.db.reads.holders_at``)."""
    return reads.holders_at(conn_of(session), addresses, day)


def person_names(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Person id -> (name, e-mail) (``engine.db.reads.person_names``)."""
    return reads.person_names(conn_of(session), ids)


def unit_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    out: dict[int, str] = {}
    for batch in chunks(wanted):
        out.update(pairs(session, select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(batch))))
    return out


# --- who may act --------------------------------------------------------------------------
def authority(session: Session | Unit, person_id: int, day: date) -> Authority:
    """What the person may act on today (``engine.db.reads.authority``)."""
    conn = session.conn if isinstance(session, Unit) else conn_of(session)
    return reads.authority(conn, person_id, day)


_HOLDERS_P = Prepared(reads.HOLDERS)
_PRINCIPALS_P = Prepared(reads.PRINCIPALS)


def acting_on(
    session: Session | Unit,
    me: int,
    day: date,
    *,
    assignee: int | None,
    address: Address | None,
) -> tuple[bool, int | None]:
    """May ``me`` act on a task held by ``assignee`` or routed to ``address``, and on
    whose behalf? The common case (a holder acting in their own right) is one query."""
    unit = as_unit(session)

    def principals() -> set[int]:
        return {r[0] for r in unit.all(_PRINCIPALS_P, {"me": me, "day": day})}

    if assignee is not None:
        if assignee == me:
            return True, None
        return (True, assignee) if assignee in principals() else (False, None)
    if address is None:
        return False, None
    where = {"role": address.role.value, "unit": address.unit_id, "day": day}
    holders = [r[0] for r in unit.all(_HOLDERS_P, where)]
    if me in holders:
        return True, None
    theirs = principals()
    for holder in holders:
        if holder in theirs:
            return True, holder
    if address.role == Role.MANAGER:
        deputies = {r[0] for r in unit.all(_HOLDERS_P, {**where, "role": Role.DEPUTY.value})}
        if me in deputies:
            return True, holders[0] if holders else None
    return False, None


# --- tasks --------------------------------------------------------------------------------
def inbox_rows(session: Session, auth: Authority, *, limit: int = 1000) -> list[Any]:
    """A person's open tasks (``engine.db.reads.inbox_rows``)."""
    return reads.inbox_rows(conn_of(session), auth, limit=limit)


# --- escalations, counted one way everywhere ---------------------------------------------
#: An escalated task: it climbed the ladder past its deadline and its deadline was not moved
#: since (moving it starts the ladder over), whether it is still open or was done late, in
#: a year's own cycle (not an inspection's, not a cancelled cycle). The overview and the
#: annual follow-up both count these (they used to count open tasks and escalation events,
#: 73 against 97 on the demo: a task escalated twice was two events).
ESCALATED = and_(Task.escalation_level > 0, Task.status != TaskStatus.CANCELLED.value)


def escalated_by_cycle(session: Session, year: int) -> dict[int, tuple[int, int]]:
    """cycle id -> (unit id, escalated tasks) for the year's own cycles."""
    rows = session.execute(
        select(Task.cycle_id, Cycle.unit_id, func.count())
        .join(Cycle, Cycle.id == Task.cycle_id)
        .where(
            Cycle.year == year,
            Cycle.instance == "",
            Cycle.status != "cancelled",
            ESCALATED,
        )
        .group_by(Task.cycle_id, Cycle.unit_id)
    )
    return {int(c): (int(u), int(n)) for c, u, n in rows}


def stages_of(session: Session, cycle_id: int) -> list[Stage]:
    return list(
        session.scalars(select(Stage).where(Stage.cycle_id == cycle_id).order_by(Stage.position))
    )


def tasks_of_stage(session: Session, stage_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.stage_id == stage_id).order_by(Task.id)))


def template_rows(session: Session, ids: Iterable[int]) -> list[CycleTemplateRow]:
    return list(
        session.scalars(select(CycleTemplateRow).where(CycleTemplateRow.id.in_(sorted(set(ids)))))
    )


def due_for_check(session: Session, now: datetime, limit: int) -> list[Any]:
    """Open tasks whose next reminder or escalation is due, locked for this sweep (other
    sweepers skip them on PostgreSQL): plain tuples in ``DUE_COLUMNS`` order, fetched
    through the driver (no per-row result machinery), ``due_at`` aware UTC — each distinct
    stored instant converted once (a region's tasks share a few deadlines)."""
    conn = conn_of(session)
    pg = conn.dialect.name == "postgresql"
    c = (_DUE_CLAIMED if pg else _DUE).compiled(conn.dialect)
    cur: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(c.sql, c.params({"now": now, "limit": limit}))
        rows = cur.fetchall()
    finally:
        cur.close()
    seen: dict[Any, datetime] = {}
    out = []
    for r in rows:
        due = seen.get(r[4])
        if due is None:
            raw = r[4]
            due = seen[raw] = (
                raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
            ).replace(tzinfo=UTC)
        out.append((*r[:4], due, *r[5:]))
    return out


#: The columns of a ``due_for_check`` row.
DUE_COLUMNS = (
    "id", "cycle_id", "unit_id", "key", "due_at", "reminders_sent", "escalation_level",
    "version", "assignee_id", "role", "role_unit_id", "template_id",
)  # fmt: skip
_DUE_SELECT = (
    select(
        Task.id,
        Task.cycle_id,
        Task.unit_id,
        Task.key,
        Task.due_at,
        Task.reminders_sent,
        Task.escalation_level,
        Task.version,
        Task.assignee_id,
        Task.role,
        Task.role_unit_id,
        Cycle.template_id,
    )
    .join(Cycle, Cycle.id == Task.cycle_id)
    .where(Task.status == TaskStatus.OPEN.value, Task.next_check_at <= bindparam("now"))
    .order_by(Task.next_check_at, Task.id)
    .limit(bindparam("limit", type_=Integer))
)
_DUE = Prepared(_DUE_SELECT)
#: On PostgreSQL the rows are claimed: other sweepers running at once skip them.
_DUE_CLAIMED = Prepared(_DUE_SELECT.with_for_update(of=Task, skip_locked=True))


def ancestry_snapshot(session: Session, unit_ids: Iterable[int], day: date) -> OrgSnapshot:
    """The units and all their ancestors, with the role holders there: enough to route
    and escalate tasks of those units without loading the whole organisation
    (``engine.db.reads.ancestry``)."""
    return reads.ancestry(conn_of(session), set(unit_ids), day)


@dataclass(frozen=True)
class TaskRef:
    """A task as the use cases read it: plain values, loaded with one Core statement
    (the hot path of every inbox click; no ORM identity map needed)."""

    id: int
    cycle_id: int
    stage_id: int
    unit_id: int
    key: str
    form_key: str
    required: bool
    status: str
    round: int
    role: str | None
    role_unit_id: int | None
    assignee_id: int | None
    due_at: datetime
    reminders_sent: int
    escalation_level: int
    escalation_role: str | None
    escalation_unit_id: int | None
    measure_id: int | None
    version: int
    template_id: int
    mine: bool = False  # the reader holds the task's role address today
    chain_seq: int | None = None  # the head of the cycle's audit chain, read with the task
    chain_hash: str | None = None


_T = table(Task)
_RA = table(RoleAssignment)
_HOLDS_IT = (
    select(_RA.c.id)
    .where(
        _RA.c.person_id == bindparam("me"),
        _RA.c.role == _T.c.role,
        _RA.c.unit_id == _T.c.role_unit_id,
        _RA.c.valid_from <= bindparam("day"),
        or_(_RA.c.valid_to.is_(None), _RA.c.valid_to >= bindparam("day")),
    )
    .exists()
)
_LOAD_TASK = (
    select(
        *(_T.c[f] for f in TaskRef.__dataclass_fields__ if f in _T.c),
        Cycle.template_id,
        _HOLDS_IT,
        AuditChain.last_seq,
        AuditChain.last_hash,
    )
    .select_from(
        _T.join(table(Cycle), Cycle.id == _T.c.cycle_id).outerjoin(
            table(AuditChain),
            AuditChain.key == literal("cycle:") + cast(_T.c.cycle_id, String),
        )
    )
    .where(_T.c.id == bindparam("id"))
)
_LOAD_TASK_LOCKED = _LOAD_TASK.with_for_update(of=_T)
_LOAD_TASK_P = Prepared(_LOAD_TASK)
_LOAD_TASK_LOCKED_P = Prepared(_LOAD_TASK_LOCKED)


def load_task(
    session: Session | Unit,
    task_id: int,
    *,
    lock: bool = False,
    me: int | None = None,
    day: date | None = None,
) -> TaskRef:
    """The task; with ``me`` and ``day`` it also tells whether that person holds the task's
    role address today (``mine``), which answers most permission checks in the same trip."""
    unit = as_unit(session)
    locking = lock and unit.dialect.name == "postgresql"
    stmt = _LOAD_TASK_LOCKED_P if locking else _LOAD_TASK_P
    row = unit.first(stmt, {"id": task_id, "me": me, "day": day})
    if row is None:
        raise NotFound("task", task_id)
    return TaskRef(*row)


def update_task(session: Session | Unit, ref: TaskRef, **values: Any) -> int:
    """Write changes to a task if nobody changed it since ``ref`` was read; the new version.

    (The optimistic lock: ``WHERE version = :seen``; losing it is StaleVersion.)"""
    params = {**values, "_id": ref.id, "_seen": ref.version, "_next": ref.version + 1}
    if as_unit(session).execute(_task_update(tuple(sorted(values))), params) != 1:
        raise StaleVersion("task", ref.id)
    return ref.version + 1


@lru_cache(maxsize=64)
def _task_update(columns: tuple[str, ...]) -> Prepared:
    """One prepared UPDATE per set of columns (building statements costs more than running
    them on the hot path)."""
    return Prepared(
        update(_T)
        .where(_T.c.id == bindparam("_id"), _T.c.version == bindparam("_seen"))
        .values({**{c: bindparam(c) for c in columns}, "version": bindparam("_next")})
    )
