"""Incidents, accidents and occupational illness (AML 3:3a; ``incident.yaml``): the named
hooks, and the reporting latency the overview shows."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, and_, case, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from engine.cases import plan_links
from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Task, table
from engine.db.models.workflow.process import ProcessCase
from engine.db.queries import TaskRef
from engine.domain.clock import LOCAL_TZ, as_utc, local_date
from engine.domain.errors import FieldError, InvalidInput
from engine.plans import plan as plans
from engine.workflow.process import overview
from engine.workflow.process.views import CaseView, case_data
from forms.schemas.base import Form
from forms.schemas.duties.cases import IncidentInvestigation, IncidentRegistration, IncidentReport

KIND = "incident"
KIND_SV = {"near_miss": "Tillbud", "accident": "Olycksfall", "illness": "Arbetssjukdom"}
T, PC = table(Task), table(ProcessCase)


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


def _json_text(dialect: str, column: Any, key: str) -> Any:
    """One field of a JSON text column, as text, in the database."""
    if dialect == "postgresql":
        return func.json_extract_path_text(cast(column, JSON), key)
    return func.json_extract(column, f"$.{key}")


def _serious(dialect: str) -> Any:
    """The incident's ``serious`` field is true (a JSON boolean)."""
    if dialect == "postgresql":
        return _json_text(dialect, PC.c.data, "serious") == "true"
    return func.json_extract(PC.c.data, "$.serious") == 1


_LATENCY: dict[tuple[str, bool, bool, bool], tuple[Any, Any]] = {}


def _latency_statements(dialect: str, person: bool, own: bool, unit: bool) -> tuple[Any, Any]:
    """(events, serious events with their times): built once per shape, values bound."""
    key = (dialect, person, own, unit)
    if key in _LATENCY:
        return _LATENCY[key]
    where = overview.case_where(person, own, unit)
    events = select(func.count(PC.c.id)).where(*where)
    if dialect == "postgresql":
        serious = _serious_pg(where)
        _LATENCY[key] = (events, serious)
        return events, serious
    last = (  # each serious case's latest report task that counts (the field read first)
        select(PC.c.id, PC.c.data, func.max(T.c.id).label("task_id"))
        .join(T, T.c.cycle_id == PC.c.cycle_id)
        .where(
            *where,
            _serious(dialect),
            T.c.key == "report_av",
            T.c.status.in_(("open", "completed")),
        )
        .group_by(PC.c.id, PC.c.data)
        .subquery("last_report")
    )
    reported = case(
        (
            and_(T.c.status == "completed", T.c.data.is_not(None)),
            _json_text(dialect, T.c.data, "reported_at"),
        ),
        else_=None,
    )
    serious = (
        select(
            _json_text(dialect, last.c.data, "occurred_on"),
            _json_text(dialect, last.c.data, "occurred_time"),
            reported,
        )
        .select_from(last)
        .join(T, T.c.id == last.c.task_id)
    )
    _LATENCY[key] = (events, serious)
    return events, serious


def _serious_pg(where: list[Any]) -> Any:
    """The serious events with their times, on PostgreSQL: first the cases with a report
    task that counts (each one's latest), found by the task table and the cases' columns
    alone behind a fence (a MATERIALIZED CTE, so the planner does not parse every case's
    JSON to filter on ``serious`` first); only their data is parsed, once (to ``jsonb``),
    for the field and the time of the event."""
    parsed = (
        select(func.max(T.c.id).label("task_id"), cast(PC.c.data, JSONB).label("doc"))
        .join(T, T.c.cycle_id == PC.c.cycle_id)
        .where(*where, T.c.key == "report_av", T.c.status.in_(("open", "completed")))
        .group_by(PC.c.id)  # the key: its data is known by it
        .cte("reporting")
        .prefix_with("MATERIALIZED")
    )

    def field(key: str) -> Any:
        return func.jsonb_extract_path_text(parsed.c.doc, key)

    reported = case(
        (
            and_(T.c.status == "completed", T.c.data.is_not(None)),
            _json_text("postgresql", T.c.data, "reported_at"),
        ),
        else_=None,
    )
    return (
        select(field("occurred_on"), field("occurred_time"), reported)
        .select_from(parsed)
        .join(T, T.c.id == parsed.c.task_id)
        .where(field("serious") == "true")
    )


def latency(app: App, actor: Actor, year: int, *, unit_code: str | None = None) -> Latency:
    """Of the incidents the person may see in the year: the serious ones, how many are
    reported, and the median and longest time from event to report. Counted in the
    database (the serious events picked by their field, each one's latest report task);
    the serious events come back with the time of the event and, where reported, of the
    report, whose difference in hours (local time with summer time) is taken here."""
    own = any(k.own_cases for k in overview.case_kinds() if k.kind == KIND)
    with app.read() as s:
        dialect = s.get_bind().dialect.name
        params = overview.case_params(
            s, actor, local_date(app.clock.now()), year, [KIND], [KIND] if own else [], unit_code
        )
        overview.pg_planning(s)
        events_q, serious_q = _latency_statements(
            dialect, actor.person_id is not None, own, unit_code is not None
        )
        events = int(s.scalar(events_q, params) or 0)
        rows = s.execute(serious_q, params).all()
    hours = sorted(_hours(on, at, rep) for on, at, rep in rows if rep is not None)
    return Latency(
        events,
        len(rows),
        len(hours),
        len(rows) - len(hours),
        round(statistics.median(hours), 1) if hours else None,
        max(hours) if hours else None,
        sum(1 for h in hours if h <= 24),
    )


def _hours(on: str, at: str | None, reported: str) -> float:
    event = occurred_at({"occurred_on": on, "occurred_time": at})
    when = as_utc(_local(datetime.fromisoformat(reported)))
    return round((when - event).total_seconds() / 3600, 1)
