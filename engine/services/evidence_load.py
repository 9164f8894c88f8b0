"""Loading everything an evidence package shows, set-based: a few statements per kind of
record whatever the number of units (500 units cost about as many queries as one)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine.db.audit_store import chunks
from engine.db.models import (
    ActionItem,
    Cycle,
    Measure,
    MeasureEvent,
    OrgUnit,
    Person,
    Risk,
    RoleAssignment,
    Stage,
    Substitute,
    Task,
)
from engine.db.models_inspection import Inspection, InspectionRequirement, RequirementTask
from engine.domain.states import CycleStatus

T = TypeVar("T")


@dataclass
class Bundle:
    """The rows behind a package, grouped the way the sections read them."""

    units: dict[int, OrgUnit] = field(default_factory=dict)
    cycles: dict[int, Cycle] = field(default_factory=dict)  # unit id -> its yearly cycle
    stages: dict[int, list[Stage]] = field(default_factory=lambda: defaultdict(list))
    tasks: dict[int, list[Task]] = field(default_factory=lambda: defaultdict(list))
    risks: dict[int, list[Risk]] = field(default_factory=lambda: defaultdict(list))
    items: dict[int, list[ActionItem]] = field(default_factory=lambda: defaultdict(list))
    measures: dict[int, list[Measure]] = field(default_factory=lambda: defaultdict(list))
    measure_events: dict[int, list[MeasureEvent]] = field(default_factory=lambda: defaultdict(list))
    roles: dict[int, list[RoleAssignment]] = field(default_factory=lambda: defaultdict(list))
    substitutes: list[Substitute] = field(default_factory=list)
    inspections: list[Inspection] = field(default_factory=list)
    requirements: dict[int, list[InspectionRequirement]] = field(
        default_factory=lambda: defaultdict(list)
    )
    requirement_tasks: dict[int, list[RequirementTask]] = field(
        default_factory=lambda: defaultdict(list)
    )
    inspection_tasks: dict[int, list[Task]] = field(default_factory=lambda: defaultdict(list))
    inspection_cycles: dict[int, Cycle] = field(default_factory=dict)
    people: dict[int, tuple[str, str]] = field(default_factory=dict)


def _in(session: Session, stmt: Any, column: Any, ids: Sequence[int]) -> list[Any]:
    out: list[Any] = []
    for batch in chunks(list(ids), 500):
        out.extend(session.scalars(stmt.where(column.in_(batch))))
    return out


def load(
    s: Session, unit_ids: Sequence[int], ancestors: Iterable[int], year: int, template_key: str
) -> Bundle:
    b = Bundle()
    b.units = {u.id: u for u in _in(s, select(OrgUnit), OrgUnit.id, [*unit_ids, *ancestors])}
    _load_cycles(s, b, unit_ids, year, template_key)
    ids = sorted(c.id for c in b.cycles.values())
    for st in _in(s, select(Stage).order_by(Stage.position), Stage.cycle_id, ids):
        b.stages[st.cycle_id].append(st)
    for t in _in(s, select(Task).order_by(Task.id), Task.cycle_id, ids):
        b.tasks[t.cycle_id].append(t)
    for r in _in(s, select(Risk).order_by(Risk.position, Risk.id), Risk.cycle_id, ids):
        b.risks[r.cycle_id].append(r)
    for i in _in(s, select(ActionItem).order_by(ActionItem.number), ActionItem.cycle_id, ids):
        b.items[i.cycle_id].append(i)
    measures = _in(s, select(Measure).order_by(Measure.number, Measure.id), Measure.cycle_id, ids)
    for m in measures:
        b.measures[m.action_item_id].append(m)
    events = select(MeasureEvent).order_by(MeasureEvent.id)
    for e in _in(s, events, MeasureEvent.measure_id, [m.id for m in measures]):
        b.measure_events[e.measure_id].append(e)
    _load_roles(s, b, [*unit_ids, *ancestors], year)
    _load_inspections(s, b, unit_ids, year)
    return b


def _load_cycles(
    s: Session, b: Bundle, unit_ids: Sequence[int], year: int, template_key: str
) -> None:
    """The yearly cycle of each unit: the live one of the default template first."""
    stmt = select(Cycle).where(
        Cycle.year == year, Cycle.instance == "", Cycle.status != CycleStatus.CANCELLED.value
    )
    rows = _in(s, stmt.order_by(Cycle.id), Cycle.unit_id, unit_ids)
    for c in sorted(rows, key=lambda c: (c.template_key != template_key, c.id)):
        b.cycles.setdefault(c.unit_id, c)


def _load_roles(s: Session, b: Bundle, unit_ids: Sequence[int], year: int) -> None:
    """Roles held at some time in the year, and the substitutes of their holders."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    stmt = (
        select(RoleAssignment)
        .where(
            RoleAssignment.valid_from <= last,
            or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= first),
        )
        .order_by(RoleAssignment.role, RoleAssignment.valid_from, RoleAssignment.id)
    )
    holders: set[int] = set()
    for ra in _in(s, stmt, RoleAssignment.unit_id, unit_ids):
        b.roles[ra.unit_id].append(ra)
        holders.add(ra.person_id)
    subs = select(Substitute).where(Substitute.valid_from <= last, Substitute.valid_to >= first)
    b.substitutes = sorted(
        _in(s, subs, Substitute.for_person_id, sorted(holders)), key=lambda x: x.id
    )


def _load_inspections(s: Session, b: Bundle, unit_ids: Sequence[int], year: int) -> None:
    """Inspections of the year at a unit in scope, or with a requirement answered there."""
    in_year = and_(
        Inspection.inspected_on >= date(year, 1, 1), Inspection.inspected_on <= date(year, 12, 31)
    )
    found = {
        i.id: i for i in _in(s, select(Inspection).where(in_year), Inspection.unit_id, unit_ids)
    }
    via = select(InspectionRequirement.inspection_id).join(
        RequirementTask, RequirementTask.requirement_id == InspectionRequirement.id
    )
    extra = {x for x in _in(s, via, RequirementTask.unit_id, unit_ids) if x not in found}
    for i in _in(s, select(Inspection).where(in_year), Inspection.id, sorted(extra)):
        found[i.id] = i
    b.inspections = [found[k] for k in sorted(found)]
    ids = [i.id for i in b.inspections]
    reqs = _in(
        s,
        select(InspectionRequirement).order_by(InspectionRequirement.number),
        InspectionRequirement.inspection_id,
        ids,
    )
    for r in reqs:
        b.requirements[r.inspection_id].append(r)
    for rt in _in(
        s,
        select(RequirementTask).order_by(RequirementTask.id),
        RequirementTask.requirement_id,
        [r.id for r in reqs],
    ):
        b.requirement_tasks[rt.requirement_id].append(rt)
    cycle_ids = [i.cycle_id for i in b.inspections if i.cycle_id is not None]
    b.inspection_cycles = {c.id: c for c in _in(s, select(Cycle), Cycle.id, cycle_ids)}
    for t in _in(s, select(Task).order_by(Task.id), Task.cycle_id, cycle_ids):
        b.inspection_tasks[t.cycle_id].append(t)


def load_people(s: Session, b: Bundle, ids: Iterable[int | None]) -> None:
    wanted = sorted({i for i in ids if i is not None} - set(b.people))
    for batch in chunks(wanted, 500):
        for pid, name, email in s.execute(
            select(Person.id, Person.name, Person.email).where(Person.id.in_(batch))
        ):
            b.people[pid] = (name, email)
