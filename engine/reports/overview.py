"""The year per department, for HR and the director: how far each unit's cycle has come,
what is overdue or escalated, and the span of control. Set-based: a handful of queries for
the whole organisation, whatever its size."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import Cycle, OrgUnit, Task
from engine.domain.clock import local_date
from engine.domain.org import OrgSnapshot, span_of_control
from engine.domain.workflow.states import Role
from engine.org.visibility import require_unit, scope_of, top_roots
from engine.workflow import templates

COMPLETED = "completed"
NOT_STARTED = "not_started"


@dataclass
class Row:
    unit_id: int
    code: str
    name: str
    units: int = 0
    cycles: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    open_tasks: int = 0
    overdue: int = 0
    escalated: int = 0
    managers: int = 0
    span_median: float | None = None
    span_above: int = 0


@dataclass(frozen=True)
class Overview:
    year: int
    stages: list[tuple[str, str, str]]  # key, sv, en; then completed and not started
    rows: list[Row]
    total: Row
    span_threshold: int
    root: tuple[int, str] | None


def department_overview(app: App, actor: Actor, year: int, root_id: int | None = None) -> Overview:
    now = app.clock.now()
    day = local_date(now)
    with app.read() as s:
        scope = scope_of(s, actor, app)
        if root_id is not None:
            require_unit(s, app, scope, root_id)
        org = queries.org_snapshot(s, day)
        roots = [root_id] if root_id is not None else top_roots(scope, org)
        groups = _groups(org, roots)
        meta = {
            u.id: (u.code, u.name, u.headcount)
            for u in s.scalars(select(OrgUnit).where(OrgUnit.active.is_(True)))
        }
        cycles = list(
            s.execute(
                select(Cycle.unit_id, Cycle.status, Cycle.current_stage).where(
                    Cycle.year == year, Cycle.instance == "", Cycle.status != "cancelled"
                )
            )
        )
        tasks = list(
            s.execute(
                select(
                    Task.unit_id,
                    func.count(),
                    func.sum(case((Task.due_at < now, 1), else_=0)),
                )
                .join(Cycle, Cycle.id == Task.cycle_id)
                .where(
                    Task.status == "open",
                    Cycle.year == year,
                    Cycle.instance == "",
                    Cycle.status != "cancelled",
                )
                .group_by(Task.unit_id)
            )
        )
        escalated = queries.escalated_by_cycle(s, year)
    rows = [_row(g, members, meta) for g, members in groups]
    where = {u: row for row, (_, members) in zip(rows, groups, strict=True) for u in members}
    _count(where, cycles, tasks, escalated)
    total = _total(rows)
    _spans([*rows, total], where, org, meta, app.settings.span_threshold)
    root = (root_id, meta[root_id][1]) if root_id is not None and root_id in meta else None
    return Overview(year, _stage_labels(app), rows, total, app.settings.span_threshold, root)


def _groups(org: OrgSnapshot, roots: list[int]) -> list[tuple[int, list[int]]]:
    """One group per department: the children of each root with their subtrees (a root
    without children is its own group)."""
    out: list[tuple[int, list[int]]] = []
    for root in roots:
        kids = sorted(org.children(root))
        if not kids:
            out.append((root, [root]))
            continue
        out.append((root, [root]))
        out += [(k, org.subtree(k)) for k in kids]
    return out


def _row(unit: int, members: list[int], meta: dict[int, tuple[str, str, int]]) -> Row:
    code, name, _ = meta.get(unit, ("?", "?", 0))
    return Row(unit, code, name, units=len(members))


def _count(
    where: dict[int, Row],
    cycles: list[Any],
    tasks: list[Any],
    escalated: dict[int, tuple[int, int]],
) -> None:
    started: set[int] = set()
    for unit, status, stage in cycles:
        row = where.get(unit)
        if row is not None:
            started.add(unit)
            row.cycles += 1
            row.stages[COMPLETED if status == COMPLETED else str(stage)] += 1
    for unit, row in where.items():
        if unit not in started:
            row.stages[NOT_STARTED] += 1
    for unit, n, late in tasks:
        row = where.get(unit)
        if row is not None:
            row.open_tasks += int(n)
            row.overdue += int(late or 0)
    for unit, esc in escalated.values():  # queries.ESCALATED, as the follow-up report
        row = where.get(unit)
        if row is not None:
            row.escalated += esc


def _spans(
    rows: list[Row],
    where: dict[int, Row],
    org: OrgSnapshot,
    meta: dict[int, tuple[str, str, int]],
    threshold: int,
) -> None:
    """Employees per manager, per row; the last row (the total) takes every manager."""
    spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for address, people in org.holders.items():
        row = where.get(address.unit_id)
        if address.role == Role.MANAGER and row is not None:
            head = meta.get(address.unit_id, ("", "", 0))[2]
            entries = [(p, address.unit_id, head) for p in people]
            spans[id(row)] += entries
            spans[id(rows[-1])] += entries
    for row in rows:
        span = span_of_control(spans.get(id(row), []), threshold)
        row.managers, row.span_median = len(span.managers), span.median
        row.span_above = len(span.above_threshold)


def _total(rows: list[Row]) -> Row:
    total = Row(0, "", "Totalt")
    for row in rows:
        total.units += row.units
        total.cycles += row.cycles
        total.stages.update(row.stages)
        total.open_tasks += row.open_tasks
        total.overdue += row.overdue
        total.escalated += row.escalated
    return total


def _stage_labels(app: App) -> list[tuple[str, str, str]]:
    key = app.settings.default_template
    template = templates.parse(templates.text_for(key), key)
    stages = [(s.key, s.title.sv, s.title.en) for s in template.stages]
    return [
        *stages,
        (COMPLETED, "Avslutad", "Completed"),
        (NOT_STARTED, "Ej startad", "Not started"),
    ]
