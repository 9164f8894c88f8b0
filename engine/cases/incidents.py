"""Incidents, accidents and occupational illness (AML 3:3a; ``incident.yaml``): the named
hooks, and the reporting latency the overview shows."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import plan_links
from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Task
from engine.db.models.process import ProcessCase
from engine.db.queries import TaskRef
from engine.domain.clock import LOCAL_TZ, as_utc, local_date
from engine.domain.errors import FieldError, InvalidInput
from engine.plans import plan as plans
from engine.workflow.process import cases as processes
from engine.workflow.process.views import CaseView, case_data
from forms.schemas.base import Form
from forms.schemas.cases import IncidentInvestigation, IncidentRegistration, IncidentReport

KIND = "incident"
KIND_SV = {"near_miss": "Tillbud", "accident": "Olycksfall", "illness": "Arbetssjukdom"}


def not_ahead(subject: Form, today: date) -> list[FieldError]:
    """``incident.not_ahead``: an event is reported after it happened, never ahead."""
    assert isinstance(subject, IncidentRegistration)
    if subject.occurred_on > today:
        return [FieldError("occurred_on", "the date is in the future", "datumet ligger framåt")]
    return []


def _case_of(s: Session, task: TaskRef) -> ProcessCase:
    case = s.scalar(select(ProcessCase).where(ProcessCase.cycle_id == task.cycle_id))
    assert case is not None
    return case


def occurred_at(data: dict[str, Any]) -> datetime:
    """When the event happened, in UTC (its local date and time; midnight if no time)."""
    day = date.fromisoformat(str(data["occurred_on"]))
    at = time.fromisoformat(str(data["occurred_time"])) if data.get("occurred_time") else time()
    return as_utc(datetime.combine(day, at, LOCAL_TZ))


def _local(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=LOCAL_TZ)


def report_times(tx: Tx, actor: Actor, task: TaskRef, form: Form) -> dict[str, Any]:
    """``incident.report_times``: the report is dated after the event and not ahead of
    now; the audit event carries the latency (hours from the event to the report)."""
    assert isinstance(form, IncidentReport)
    case = _case_of(tx.session, task)
    event = occurred_at(case_data(case))
    reported = as_utc(_local(form.reported_at))
    if reported < event:
        raise InvalidInput.field(
            "reported_at",
            "the report cannot be before the event",
            "anmälan kan inte ligga före händelsen",
        )
    if reported > tx.now:
        raise InvalidInput.field(
            "reported_at", "the time is in the future", "tidpunkten ligger framåt"
        )
    return {"latency_hours": round((reported - event).total_seconds() / 3600, 1)}


def measures_to_plan(tx: Tx, actor: Actor, task: TaskRef, form: Form) -> dict[str, Any]:
    """``incident.measures_to_plan``: the investigation's measures become an item of the
    unit's action plan of the event's year (linked back to the incident), so they are
    followed up with the rest of the plan. No measures (a reason given): nothing added."""
    assert isinstance(form, IncidentInvestigation)
    if not form.measures:
        return {}
    s = tx.session
    case = _case_of(s, task)
    data = case_data(case)
    cycle = plan_links.annual_plan(s, case.unit_id, case.opened_on.year)
    org = queries.ancestry_snapshot(s, [case.unit_id], local_date(tx.now))
    who = [
        plans.resolve_responsible(
            tx, m.responsible, case.unit_id, org, f"measures[{i}].responsible"
        )
        for i, m in enumerate(form.measures)
    ]
    area = f"{KIND_SV[str(data['kind'])]} {data['occurred_on']}: {data['what']}"[:300]
    added = plan_links.add_item(
        tx,
        actor,
        case,
        cycle,
        area=area,
        current_state=form.causes,
        measures=list(zip(form.measures, who, strict=True)),
        task_id=task.id,
    )
    return {"plan": f"cycle:{added.cycle_id}", "item": added.item_number, "measures": len(who)}


def status(s: Session, view: CaseView, now: datetime) -> dict[str, Any]:
    """``incident.status``: serious or not; reported to Arbetsmiljöverket when, with what
    reference and how many hours after the event; investigated or not."""
    data = view.data
    out: dict[str, Any] = {"serious": bool(data.get("serious")), "kind": data.get("kind")}
    report = view.task("report_av")
    if report is not None and report.status == "completed" and report.data:
        given = json.loads(report.data)
        reported = as_utc(_local(datetime.fromisoformat(given["reported_at"])))
        hours = (reported - occurred_at(data)).total_seconds() / 3600
        out |= {
            "reported_at": reported,
            "av_reference": given.get("av_reference", ""),
            "latency_hours": round(hours, 1),
        }
    elif report is not None:
        out |= {"reported_at": None, "report_due": report.due_at, "latency_hours": None}
    inv = view.task("investigation")
    out["investigated"] = inv is not None and inv.status == "completed"
    return out


@dataclass(frozen=True)
class Latency:
    """How quickly serious events were reported to Arbetsmiljöverket, in hours."""

    events: int
    serious: int
    reported: int
    not_reported: int
    median_hours: float | None
    max_hours: float | None
    within_24h: int


def latency(app: App, actor: Actor, year: int) -> Latency:
    """Of the incidents the person may see in the year: the serious ones, how many are
    reported, and the median and longest time from event to report. Read as a count and
    the serious events' report tasks only (a year of 10,000 incidents is not read whole)."""
    with app.read() as s:
        sel = processes.selection(
            s, actor, processes.subject_of(KIND), KIND, None, year, local_date(app.clock.now())
        )
        events = sel.count(s)
        rows = s.execute(
            select(ProcessCase.id, ProcessCase.unit_id, ProcessCase.created_by, ProcessCase.data)
            .add_columns(Task.status, Task.data)
            .join(Task, Task.cycle_id == ProcessCase.cycle_id)
            .where(*sel.where, Task.key == "report_av", Task.status.in_(("open", "completed")))
            .order_by(Task.id)
        )
        last: dict[int, tuple[str, str, str | None]] = {}
        for case_id, unit_id, by, data, status, given in rows:
            if sel.sees(unit_id, by):
                last[case_id] = (data, status, given)
    serious, hours = 0, []
    for data, status, given in last.values():
        fields = json.loads(data)
        if not fields.get("serious"):
            continue
        serious += 1
        if status == "completed" and given:
            reported = as_utc(_local(datetime.fromisoformat(json.loads(given)["reported_at"])))
            hours.append(round((reported - occurred_at(fields)).total_seconds() / 3600, 1))
    return Latency(
        events,
        serious,
        len(hours),
        serious - len(hours),
        round(statistics.median(hours), 1) if hours else None,
        max(hours) if hours else None,
        sum(1 for h in hours if h <= 24),
    )
