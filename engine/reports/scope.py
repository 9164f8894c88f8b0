"""What the organisation-wide reports read: the units of a subtree grouped by department,
their yearly cycles, and per cycle the facts the reports count (set-based, one pass)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Actor
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import Cycle, Measure, OrgUnit, Stage, Task
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.states import CycleStatus, TaskStatus
from engine.org import access


@dataclass
class Scope:
    """The units in scope and the group (department) each belongs to."""

    root: int | None
    root_name: str
    units: list[int]
    group_of: dict[int, int]  # unit -> group unit
    groups: list[int]  # in tree order
    names: dict[int, str]
    codes: dict[int, str]


def scope(s: Session, actor: Actor, org: OrgSnapshot, root_code: str | None, day: date) -> Scope:
    """Groups are the units right under the root (departments under an administration);
    without a root, the units right under the top of the tree."""
    names = queries.pairs(s, select(OrgUnit.id, OrgUnit.name))
    codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
    tops = org.children(None)
    root: int | None = queries.unit_by_code(s, root_code).id if root_code else None
    if root is None and len(tops) == 1:
        root = tops[0]
    access.require_oversight(s, actor, [root] if root is not None else tops, org, day)
    units = org.subtree(root)
    heads = org.children(root) if root is not None else tops
    group_of: dict[int, int] = {}
    for g in heads:
        for u in org.subtree(g):
            group_of[u] = g
    for u in units:
        group_of.setdefault(u, u)  # the root itself: a group of its own
    groups = list(dict.fromkeys(group_of[u] for u in units))
    root_name = names.get(root, "") if root is not None else ""
    return Scope(root, root_name, units, group_of, groups, names, codes)


@dataclass
class CycleFacts:
    cycle_id: int
    unit_id: int
    status: str
    stages: dict[str, str] = field(default_factory=dict)  # key -> status
    measures: list[tuple[str, date | None, date | None]] = field(default_factory=list)
    returned: int = 0
    escalations: int = 0
    survey: dict[str, Any] | None = None


def cycle_facts(s: Session, units: list[int], year: int, template_key: str) -> list[CycleFacts]:
    cycles: dict[int, CycleFacts] = {}
    taken: set[int] = set()
    for batch in chunks(units, 500):
        rows = s.execute(
            select(Cycle.id, Cycle.unit_id, Cycle.status, Cycle.template_key)
            .where(
                Cycle.year == year,
                Cycle.instance == "",
                Cycle.status != CycleStatus.CANCELLED.value,
                Cycle.unit_id.in_(batch),
            )
            .order_by(Cycle.id)
        )
        for cid, unit, status, _key in sorted(rows, key=lambda r: (r[3] != template_key, r[0])):
            if unit not in taken:
                taken.add(unit)
                cycles[cid] = CycleFacts(cid, unit, status)
    ids = sorted(cycles)
    for batch in chunks(ids, 500):
        for cid, key, status in s.execute(
            select(Stage.cycle_id, Stage.key, Stage.status).where(Stage.cycle_id.in_(batch))
        ):
            cycles[cid].stages[key] = status
        for cid, status, due, done in s.execute(
            select(Measure.cycle_id, Measure.status, Measure.due_date, Measure.done_on).where(
                Measure.cycle_id.in_(batch)
            )
        ):
            cycles[cid].measures.append((status, due, done))
        for cid, n in s.execute(
            select(Task.cycle_id, func.count())
            .where(Task.cycle_id.in_(batch), Task.status == TaskStatus.RETURNED.value)
            .group_by(Task.cycle_id)
        ):
            cycles[cid].returned = int(n)
        _surveys(s, batch, cycles)
    for cid, (_, n) in queries.escalated_by_cycle(s, year).items():
        if cid in cycles:  # one definition with the overview (queries.ESCALATED)
            cycles[cid].escalations = n
    return [cycles[c] for c in ids]


def _surveys(s: Session, batch: Any, cycles: dict[int, CycleFacts]) -> None:
    """The latest completed employee survey of each cycle, as submitted."""
    rows = s.execute(
        select(Task.cycle_id, Task.data)
        .where(
            Task.cycle_id.in_(batch),
            Task.form_key == "survey_results",
            Task.status == TaskStatus.COMPLETED.value,
        )
        .order_by(Task.closed_at, Task.id)
    )
    for cid, data in rows:
        value = json.loads(data) if data else None
        cycles[cid].survey = value if isinstance(value, dict) else None


def by_group(sc: Scope, facts: list[CycleFacts]) -> dict[int, list[CycleFacts]]:
    out: dict[int, list[CycleFacts]] = defaultdict(list)
    for f in facts:
        out[sc.group_of[f.unit_id]].append(f)
    return out


def units_by_group(sc: Scope) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for u in sc.units:
        out[sc.group_of[u]] += 1
    return out
