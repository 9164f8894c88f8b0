"""Loading everything an evidence package shows, set-based: a few statements per kind of
record whatever the number of units (500 units cost about as many queries as one)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import or_, select
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
from engine.domain.workflow.states import CycleStatus

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
    people: dict[int, tuple[str, str]] = field(default_factory=dict)


def in_batches(session: Session, stmt: Any, column: Any, ids: Sequence[int]) -> list[Any]:
    out: list[Any] = []
    for batch in chunks(list(ids), 500):
        out.extend(session.scalars(stmt.where(column.in_(batch))))
    return out


def load(
    s: Session, unit_ids: Sequence[int], ancestors: Iterable[int], year: int, template_key: str
) -> Bundle:
    b = Bundle()
    b.units = {u.id: u for u in in_batches(s, select(OrgUnit), OrgUnit.id, [*unit_ids, *ancestors])}
    _load_cycles(s, b, unit_ids, year, template_key)
    ids = sorted(c.id for c in b.cycles.values())
    for st in in_batches(s, select(Stage).order_by(Stage.position), Stage.cycle_id, ids):
        b.stages[st.cycle_id].append(st)
    for t in in_batches(s, select(Task).order_by(Task.id), Task.cycle_id, ids):
        b.tasks[t.cycle_id].append(t)
    for r in in_batches(s, select(Risk).order_by(Risk.position, Risk.id), Risk.cycle_id, ids):
        b.risks[r.cycle_id].append(r)
    for i in in_batches(
        s, select(ActionItem).order_by(ActionItem.number), ActionItem.cycle_id, ids
    ):
        b.items[i.cycle_id].append(i)
    measures = in_batches(
        s, select(Measure).order_by(Measure.number, Measure.id), Measure.cycle_id, ids
    )
    for m in measures:
        b.measures[m.action_item_id].append(m)
    events = select(MeasureEvent).order_by(MeasureEvent.id)
    for e in in_batches(s, events, MeasureEvent.measure_id, [m.id for m in measures]):
        b.measure_events[e.measure_id].append(e)
    _load_roles(s, b, [*unit_ids, *ancestors], year)
    return b


def _load_cycles(
    s: Session, b: Bundle, unit_ids: Sequence[int], year: int, template_key: str
) -> None:
    """The yearly cycle of each unit: the live one of the default template first."""
    stmt = select(Cycle).where(
        Cycle.year == year, Cycle.instance == "", Cycle.status != CycleStatus.CANCELLED.value
    )
    rows = in_batches(s, stmt.order_by(Cycle.id), Cycle.unit_id, unit_ids)
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
    for ra in in_batches(s, stmt, RoleAssignment.unit_id, unit_ids):
        b.roles[ra.unit_id].append(ra)
        holders.add(ra.person_id)
    subs = select(Substitute).where(Substitute.valid_from <= last, Substitute.valid_to >= first)
    b.substitutes = sorted(
        in_batches(s, subs, Substitute.for_person_id, sorted(holders)), key=lambda x: x.id
    )


def load_people(s: Session, b: Bundle, ids: Iterable[int | None]) -> None:
    wanted = sorted({i for i in ids if i is not None} - set(b.people))
    for batch in chunks(wanted, 500):
        for pid, name, email in s.execute(
            select(Person.id, Person.name, Person.email).where(Person.id.in_(batch))
        ):
            b.people[pid] = (name, email)
