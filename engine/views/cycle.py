"""Read models of one cycle: its stages with their checklist and tasks, its risks and plan
(measures with their history and holder), and the year's overview. (A person's inbox is
``engine.views.inbox``.)"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from engine.context import App
from engine.db import queries
from engine.db.models import (
    ActionItem,
    AuditEvent,
    Cycle,
    Measure,
    MeasureEvent,
    OrgUnit,
    Risk,
    Stage,
    Task,
)
from engine.domain.clock import local_date
from engine.domain.errors import NotFound, Unmet
from engine.domain.period import PeriodError, format_period, from_stored, parse_period
from engine.domain.risk import level
from engine.domain.workflow import gates
from engine.domain.workflow.states import TaskStatus
from engine.plans import document as plan_document
from engine.plans.plan import follow_up_points
from engine.workflow import facts, templates


# --- one cycle ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskView:
    id: int
    key: str
    title_sv: str
    title_en: str
    status: str
    required: bool
    due_at: datetime
    waiting_on: str
    closed_at: datetime | None
    closed_by: int | None
    on_behalf_of: int | None
    reason: str | None
    data: dict[str, Any]
    escalation_level: int
    measure_id: int | None
    form_key: str
    version: int
    assignee_id: int | None


@dataclass(frozen=True)
class StageView:
    key: str
    title_sv: str
    title_en: str
    status: str
    activated_at: datetime | None
    signed_off_at: datetime | None
    signed_off_by: int | None
    steps_total: int
    steps_done: int
    unmet: list[Unmet]
    tasks: list[TaskView]


@dataclass(frozen=True)
class MeasureView:
    id: int
    number: str
    what: str
    desired_result: str
    responsible: str
    due_date: date | None
    follow_up_date: date | None
    status: str
    done_on: date | None
    effect: str
    effect_ok: bool | None
    history: list[tuple[datetime | date, str, str, str, str]]  # day, event, status, note, reason
    due_label: str = ""  # the due period as written ("hösten 2027"), if not a plain day
    follow_ups: tuple[str, ...] = ()  # its follow-up points, as written
    #: who holds it now (a role's or position's holder, or the person it was moved to),
    #: shown beside "Ansvarig": a measure that moved with a return shows its new holder
    holder: str = ""


@dataclass(frozen=True)
class ItemView:
    id: int
    number: int
    area: str
    current_state: str
    risk_level: str | None
    risk_id: int | None
    measures: list[MeasureView]


@dataclass(frozen=True)
class RiskView:
    id: int
    position: int
    description: str
    domain: str
    probability: int
    consequence: int
    level: str
    serious: bool | None


@dataclass(frozen=True)
class CycleView:
    id: int
    unit_id: int
    unit_name: str
    year: int
    status: str
    template_key: str
    template_version: int
    current_stage: str | None
    started_at: datetime
    cancel_reason: str | None
    stages: list[StageView]
    risks: list[RiskView]
    plan: list[ItemView]
    people: dict[int, tuple[str, str]]


def cycle_view(app: App, cycle_id: int) -> CycleView:
    now = app.clock.now()
    with app.read() as s:
        cycle = s.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFound("cycle", cycle_id)
        template = templates.by_id(app, s, cycle.template_id)
        unit = s.get(OrgUnit, cycle.unit_id)
        stages = []
        people: set[int] = set()
        for st in queries.stages_of(s, cycle.id):
            stages.append(_stage_view(s, cycle, st, template, local_date(now), people))
        risks = risk_views(s, cycle.id)
        plan = plan_view(s, cycle.id, local_date(now))
        names = queries.person_names(s, people)
    return CycleView(
        cycle.id,
        cycle.unit_id,
        unit.name if unit else "?",
        cycle.year,
        cycle.status,
        template.key,
        template.version,
        cycle.current_stage,
        cycle.started_at,
        cycle.cancel_reason,
        stages,
        risks,
        plan,
        names,
    )


def risk_views(s: Any, cycle_id: int) -> list[RiskView]:
    """The cycle's recorded risks, in the order assessed, with their level."""
    return [
        RiskView(
            r.id,
            r.position,
            r.description,
            r.domain,
            r.probability,
            r.consequence,
            level(r.probability, r.consequence).key,
            r.serious,
        )
        for r in s.scalars(select(Risk).where(Risk.cycle_id == cycle_id).order_by(Risk.position))
    ]


def _stage_view(
    s: Any, cycle: Cycle, st: Stage, template: Any, day: date, people: set[int]
) -> StageView:
    sdef = template.stage(st.key)
    stage_facts = facts.stage_facts(s, cycle, st, template, day)
    states = stage_facts.step_states()
    unmet = gates.evaluate(sdef.gates, stage_facts) if st.status == "active" else []
    tasks = list(s.scalars(select(Task).where(Task.stage_id == st.id).order_by(Task.id)))
    waiting = facts.waiting_on(s, [t for t in tasks if t.status == TaskStatus.OPEN], day)
    titles = {t.key: t.title for t in sdef.tasks}
    views = []
    for t in tasks:
        people.update(x for x in (t.closed_by, t.on_behalf_of, t.assignee_id) if x)
        views.append(
            TaskView(
                t.id,
                t.key,
                titles[t.key].sv,
                titles[t.key].en,
                t.status,
                t.required,
                t.due_at,
                waiting.get(t.id, ""),
                t.closed_at,
                t.closed_by,
                t.on_behalf_of,
                t.reason,
                json.loads(t.data) if t.data else {},
                t.escalation_level,
                t.measure_id,
                t.form_key,
                t.version,
                t.assignee_id,
            )
        )
    if st.signed_off_by:
        people.add(st.signed_off_by)
    return StageView(
        st.key,
        sdef.title.sv,
        sdef.title.en,
        st.status,
        st.activated_at,
        st.signed_off_at,
        st.signed_off_by,
        len(states),
        sum(1 for _, done in states if done),
        unmet,
        views,
    )


def plan_view(s: Any, cycle_id: int, day: date) -> list[ItemView]:
    """The plan's items and measures; each measure's responsible as written, with who acts
    for it on ``day`` (a position's holder, a group's convener, a role's holder)."""
    items = list(
        s.scalars(
            select(ActionItem).where(ActionItem.cycle_id == cycle_id).order_by(ActionItem.number)
        )
    )
    measures = list(
        s.scalars(select(Measure).where(Measure.cycle_id == cycle_id).order_by(Measure.number))
    )
    history: dict[int, list[tuple[datetime | date, str, str, str, str]]] = {}
    for e in s.scalars(
        select(MeasureEvent)
        .join(Measure, Measure.id == MeasureEvent.measure_id)
        .where(Measure.cycle_id == cycle_id)
        .order_by(MeasureEvent.id)
    ):
        when: datetime | date = e.about or e.at  # the day it is about, if not when recorded
        history.setdefault(e.measure_id, []).append((when, e.event, e.status, e.note, e.reason))
    points = follow_up_points(s, [m.id for m in measures])
    holders = measure_holders(s, measures, day)
    by_item: dict[int, list[Measure]] = {}
    for m in measures:
        by_item.setdefault(m.action_item_id, []).append(m)
    out = []
    for it in items:
        mine = by_item.get(it.id, [])
        lvl = (
            level(it.probability, it.consequence).key if it.probability and it.consequence else None
        )
        out.append(
            ItemView(
                it.id,
                it.number,
                it.area,
                it.current_state,
                lvl,
                it.risk_id,
                [
                    MeasureView(
                        m.id,
                        f"{it.number}.{m.number}",
                        m.what,
                        m.desired_result,
                        m.responsible,
                        m.due_date,
                        m.follow_up_date,
                        m.status,
                        m.done_on,
                        m.effect,
                        m.effect_ok,
                        history.get(m.id, []),
                        _period_label(m),
                        tuple(p.shown for _, p in points[m.id]),
                        holders.get(m.id, ""),
                    )
                    for m in mine
                ],
            )
        )
    return out


def measure_holders(s: Any, measures: list[Measure], day: date) -> dict[int, str]:
    """Measure id -> the name of who holds it on ``day``: its role's, position's or
    group's holder, or the person it names."""
    out = {k: v for k, v in plan_document.measure_holders(s, measures, day).items() if v != "–"}
    people = queries.person_names(
        s, [m.responsible_person_id for m in measures if m.responsible_person_id]
    )
    for m in measures:
        if m.id not in out and m.responsible_person_id in people:
            out[m.id] = people[m.responsible_person_id][0]
    return out


def _period_label(m: Measure) -> str:
    """The due period as written, if it is one and reads on its own ("13/10" without the
    plan's year is written in full); "" for a plain day."""
    if m.due_kind in (None, "day"):
        return ""
    try:
        parse_period(m.due_label)
    except PeriodError:
        return format_period(from_stored(m.due_kind, m.due_start, m.due_date, m.due_label))
    return m.due_label


# --- the year at a glance -----------------------------------------------------------------
@dataclass(frozen=True)
class YearOverview:
    year: int
    cycles: int
    by_stage: dict[str, int]
    completed: int
    cancelled: int
    open_tasks: int
    overdue_tasks: int
    escalated_tasks: int


def year_overview(app: App, year: int, unit_ids: list[int] | None = None) -> YearOverview:
    now = app.clock.now()
    with app.read() as s:
        cycles = select(Cycle.id).where(Cycle.year == year, Cycle.instance == "")  # not inspections
        if unit_ids is not None:
            cycles = cycles.where(Cycle.unit_id.in_(unit_ids))
        sub = cycles.scalar_subquery()
        by_status = queries.pairs(
            s, select(Cycle.status, func.count()).where(Cycle.id.in_(sub)).group_by(Cycle.status)
        )
        by_stage = queries.pairs(
            s,
            select(Cycle.current_stage, func.count())
            .where(Cycle.id.in_(sub), Cycle.status == "active")
            .group_by(Cycle.current_stage),
        )
        open_q = (
            select(func.count())
            .select_from(Task)
            .where(Task.cycle_id.in_(sub), Task.status == TaskStatus.OPEN.value)
        )
        open_tasks = s.scalar(open_q) or 0
        overdue = s.scalar(open_q.where(Task.due_at < now)) or 0
        wanted = set(unit_ids) if unit_ids is not None else None
        escalated = sum(  # queries.ESCALATED: as the overview and the follow-up report
            n
            for unit, n in queries.escalated_by_cycle(s, year).values()
            if wanted is None or unit in wanted
        )
    return YearOverview(
        year,
        sum(by_status.values()),
        {str(k): v for k, v in by_stage.items()},
        by_status.get("completed", 0),
        by_status.get("cancelled", 0),
        open_tasks,
        overdue,
        escalated,
    )


def audit_count(app: App) -> int:
    with app.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)
