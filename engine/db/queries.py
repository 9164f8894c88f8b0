"""Set-based reads. Each function is one or a few SQL statements, whatever the volume."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, literal, or_, select, union_all
from sqlalchemy.orm import Session

from engine.db.audit_store import chunks
from engine.db.models import (
    Cycle,
    CycleTemplateRow,
    OrgUnit,
    Person,
    RoleAssignment,
    Stage,
    Substitute,
    Task,
)
from engine.domain.errors import NotFound
from engine.domain.org import OrgSnapshot
from engine.domain.routing import Address
from engine.domain.states import Role, TaskStatus


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


def person_names(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    wanted = sorted(set(ids))
    out: dict[int, tuple[str, str]] = {}
    for batch in chunks(wanted):
        out.update(
            {
                i: (n, e)
                for i, n, e in session.execute(
                    select(Person.id, Person.name, Person.email).where(Person.id.in_(batch))
                )
            }
        )
    return out


def unit_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    out: dict[int, str] = {}
    for batch in chunks(wanted):
        out.update(pairs(session, select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(batch))))
    return out


# --- who may act --------------------------------------------------------------------------
@dataclass(frozen=True)
class Authority:
    """What one person may act on today: their own role addresses and those of the people
    they stand in for. Values say on whose behalf (None: in their own right)."""

    person_id: int
    persons: dict[int, int | None]
    addresses: dict[Address, int | None]

    def on_behalf_for_person(self, person_id: int) -> tuple[bool, int | None]:
        if person_id in self.persons:
            return True, self.persons[person_id]
        return False, None

    def on_behalf_for_address(self, address: Address) -> tuple[bool, int | None]:
        if address in self.addresses:
            return True, self.addresses[address]
        return False, None

    def holds(self, role: Role) -> list[int]:
        return [a.unit_id for a in self.addresses if a.role == role]


def authority(session: Session, person_id: int, day: date) -> Authority:
    persons: dict[int, int | None] = {person_id: None}
    for (principal,) in session.execute(
        select(Substitute.for_person_id).where(
            Substitute.person_id == person_id,
            Substitute.valid_from <= day,
            Substitute.valid_to >= day,
            Substitute.ended_at.is_(None),
        )
    ):
        persons.setdefault(principal, principal)
    addresses: dict[Address, int | None] = {}
    deputy_units: list[int] = []
    for holder, role, unit in session.execute(
        select(RoleAssignment.person_id, RoleAssignment.role, RoleAssignment.unit_id)
        .where(RoleAssignment.person_id.in_(list(persons)), valid_on(day))
        .order_by(RoleAssignment.id)
    ):
        on_behalf = None if holder == person_id else holder
        address = Address(Role(role), unit)
        if addresses.get(address, -1) is not None:
            addresses[address] = on_behalf
        if role == Role.DEPUTY and holder == person_id:
            deputy_units.append(unit)
    if deputy_units:
        managers = holders_of(session, [Address(Role.MANAGER, u) for u in deputy_units], day)
        for unit in deputy_units:
            address = Address(Role.MANAGER, unit)
            heads = managers.get(address, [])
            addresses.setdefault(address, heads[0] if heads else None)
    return Authority(person_id, persons, addresses)


# --- tasks --------------------------------------------------------------------------------
INBOX_COLUMNS = (
    Task.id,
    Task.key,
    Task.status,
    Task.due_at,
    Task.escalation_level,
    Task.assignee_id,
    Task.role,
    Task.role_unit_id,
    Task.unit_id,
    Task.cycle_id,
    Task.version,
    Task.required,
    Task.form_key,
    Task.measure_id,
    Task.reminders_sent,
    Task.escalation_role,
    Task.escalation_unit_id,
    Task.created_at,
)


def _address_match(role_col: Any, unit_col: Any, addresses: Sequence[Address]) -> Any:
    return or_(*(and_(unit_col == a.unit_id, role_col == a.role.value) for a in addresses))


def inbox_rows(session: Session, auth: Authority, *, limit: int = 1000) -> list[Any]:
    """Open tasks for a person: assigned to them (or to someone they stand in for), routed
    to a role they hold, or escalated to one of their roles. One index range per branch."""
    open_ = Task.status == TaskStatus.OPEN.value

    def branch(why: str, *cond: Any) -> Select[Any]:
        return (
            select(
                *INBOX_COLUMNS,
                Cycle.template_id,
                Cycle.year,
                Stage.key.label("stage_key"),
                OrgUnit.name.label("unit_name"),
                literal(why).label("why"),
            )
            .join(Cycle, Cycle.id == Task.cycle_id)
            .join(Stage, Stage.id == Task.stage_id)
            .join(OrgUnit, OrgUnit.id == Task.unit_id)
            .where(open_, *cond)
        )

    branches = [branch("assigned", Task.assignee_id.in_(list(auth.persons)))]
    addresses = sorted(auth.addresses)
    if addresses:
        branches.append(
            branch(
                "role",
                Task.assignee_id.is_(None),
                _address_match(Task.role, Task.role_unit_id, addresses),
            )
        )
        branches.append(
            branch(
                "escalated",
                _address_match(Task.escalation_role, Task.escalation_unit_id, addresses),
            )
        )
    query = union_all(*branches).subquery()
    stmt = select(query).order_by(query.c.due_at, query.c.id).limit(limit * 2)
    seen: dict[int, Any] = {}
    for row in session.execute(stmt):
        if row.id not in seen or row.why == "escalated":
            seen[row.id] = row
    return sorted(seen.values(), key=lambda r: (r.due_at, r.id))[:limit]


def task_context(session: Session, task_id: int, *, lock: bool = False) -> tuple[Task, Cycle]:
    stmt = select(Task, Cycle).join(Cycle, Cycle.id == Task.cycle_id).where(Task.id == task_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Task)
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound("task", task_id)
    return row[0], row[1]


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
    sweepers skip them on PostgreSQL)."""
    stmt = (
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
        .where(Task.status == TaskStatus.OPEN.value, Task.next_check_at <= now)
        .order_by(Task.next_check_at, Task.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Task, skip_locked=True)
    return list(session.execute(stmt))


def ancestry_snapshot(session: Session, unit_ids: Iterable[int], day: date) -> OrgSnapshot:
    """The units and all their ancestors, with the role holders there: enough to route
    and escalate tasks of those units without loading the whole organisation."""
    ids = sorted(set(unit_ids))
    base = (
        select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.id.in_(ids)).cte("up", recursive=True)
    )
    up = base.union(
        select(OrgUnit.id, OrgUnit.parent_id).join(base, OrgUnit.id == base.c.parent_id)
    )
    parents = pairs(session, select(up.c.id, up.c.parent_id))
    holders: dict[Address, list[int]] = defaultdict(list)
    for batch in chunks(sorted(parents)):
        for person, role, unit in session.execute(
            select(RoleAssignment.person_id, RoleAssignment.role, RoleAssignment.unit_id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(RoleAssignment.unit_id.in_(batch), valid_on(day), Person.active.is_(True))
            .order_by(RoleAssignment.id)
        ):
            holders[Address(Role(role), unit)].append(person)
    return OrgSnapshot(parents, dict(holders))
