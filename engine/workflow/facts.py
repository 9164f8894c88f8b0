"""Loading what the gates judge: the current round's tasks, the risks and the plan."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.models import ActionItem, Cycle, Measure, Risk, Stage, Task
from engine.domain.risk import level
from engine.domain.workflow.gates import (
    OPEN_POINT_GATES,
    MeasureFact,
    RequiredStep,
    RiskFact,
    StageFacts,
    TaskFact,
)
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import MeasureStatus, Role, TaskStatus
from engine.domain.workflow.template import CycleTemplate
from engine.workflow import open_points

NEEDS_RISKS = {"risks_have_seriousness", "high_risks_have_measures"}
NEEDS_MEASURES = {"measures_have_what_who_when", "measures_followed_up"}


def stage_facts(
    s: Session, cycle: Cycle, stage: Stage, template: CycleTemplate, day: date
) -> StageFacts:
    sdef = template.stage(stage.key)
    steps = [
        RequiredStep(t.key, t.title.sv, t.title.en, t.per_measure or t.per_item)
        for t in sdef.tasks
        if t.required
    ]
    tasks = list(
        s.scalars(
            select(Task)
            .where(Task.stage_id == stage.id, Task.round == stage.round)
            .order_by(Task.id)
        )
    )
    titles = {t.key: t.title for t in sdef.tasks}
    waiting = waiting_on(s, [t for t in tasks if t.status == TaskStatus.OPEN], day)
    task_facts = [
        TaskFact(
            t.id,
            t.key,
            titles[t.key].sv if t.key in titles else t.key,
            titles[t.key].en if t.key in titles else t.key,
            t.required,
            TaskStatus(t.status),
            waiting.get(t.id, ""),
            t.closed_by,
            _decision(t),
        )
        for t in tasks
    ]
    gate_names = set(sdef.gates)
    risks = risk_facts(s, cycle.id) if gate_names & NEEDS_RISKS else []
    measures = measure_facts(s, cycle.id) if gate_names & NEEDS_MEASURES else []
    points = open_points.load(s, cycle, gate_names & OPEN_POINT_GATES, day)
    return StageFacts(stage.key, steps, task_facts, risks, measures, points)


def _decision(task: Task) -> str | None:
    if task.form_key != "approval" or task.data is None:
        return None
    value = json.loads(task.data).get("decision")
    return str(value) if value is not None else None


def risk_facts(s: Session, cycle_id: int) -> list[RiskFact]:
    with_measures = set(
        s.scalars(
            select(ActionItem.risk_id)
            .join(Measure, Measure.action_item_id == ActionItem.id)
            .where(
                ActionItem.cycle_id == cycle_id,
                ActionItem.risk_id.is_not(None),
                Measure.status != MeasureStatus.CANCELLED.value,
            )
        )
    )
    return [
        RiskFact(
            r.id,
            r.description,
            r.serious,
            level(r.probability, r.consequence).must_act,
            r.id in with_measures,
        )
        for r in s.scalars(select(Risk).where(Risk.cycle_id == cycle_id).order_by(Risk.position))
    ]


def measure_facts(s: Session, cycle_id: int) -> list[MeasureFact]:
    rows = s.execute(
        select(Measure, ActionItem.number)
        .join(ActionItem, ActionItem.id == Measure.action_item_id)
        .where(Measure.cycle_id == cycle_id)
        .order_by(ActionItem.number, Measure.number)
    )
    return [
        MeasureFact(
            m.id,
            f"{item_no}.{m.number} {m.what[:60]}",
            m.what,
            m.responsible,
            m.due_date,
            MeasureStatus(m.status),
            m.followed_up_at is not None or m.follow_up_date is None,
            m.due_kind == "open",
        )
        for m, item_no in rows
    ]


def waiting_on(s: Session, tasks: Iterable[Task], day: date) -> dict[int, str]:
    """Task id -> who it waits on, in words: "Anna Ek (Chef, Enhet 3)"."""
    tasks = list(tasks)
    if not tasks:
        return {}
    addresses = {
        Address(Role(t.role), t.role_unit_id)
        for t in tasks
        if t.assignee_id is None and t.role and t.role_unit_id
    }
    holders = queries.holders_of(s, addresses, day)
    people = queries.person_names(
        s,
        [p for ps in holders.values() for p in ps]
        + [t.assignee_id for t in tasks if t.assignee_id],
    )
    units = queries.unit_names(s, [a.unit_id for a in addresses])
    out = {}
    for t in tasks:
        if t.assignee_id is not None:
            out[t.id] = people.get(t.assignee_id, ("?", ""))[0]
            continue
        if t.role is None or t.role_unit_id is None:
            continue
        address = Address(Role(t.role), t.role_unit_id)
        names = ", ".join(people[p][0] for p in holders.get(address, []) if p in people)
        out[t.id] = f"{names or '–'} ({Role(t.role).sv}, {units.get(t.role_unit_id, '')})"
    return out
