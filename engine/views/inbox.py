"""Read models: the inbox, a cycle with its checklist and plan, the year's overview."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from engine.context import Actor, App
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
from engine.domain.org import OrgSnapshot
from engine.domain.period import PeriodError, format_period, from_stored, parse_period
from engine.domain.risk import level
from engine.domain.workflow import gates
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus
from engine.org import access
from engine.plans import document as plan_document
from engine.plans.plan import follow_up_points
from engine.views import saved_views
from engine.workflow import facts, templates
from engine.workflow.conversation import may_nudge, nudged_today


@dataclass(frozen=True)
class InboxItem:
    task_id: int
    key: str
    title_sv: str
    title_en: str
    form_key: str
    unit_id: int
    unit_name: str
    cycle_id: int
    year: int
    stage_key: str
    stage_sv: str
    stage_en: str
    due_at: datetime
    overdue: bool
    why: str  # assigned | role | escalated | substitute
    on_behalf_of: int | None
    escalation_level: int
    claimed: bool
    required: bool
    version: int
    #: What tells this task from others of its kind: the measure it follows up ("1.2 Byt
    #: belysningen i köket"); empty when the kind and the unit say it all.
    subject: str = ""
    #: Days past the deadline (0 when not overdue), in the organisation's local days.
    days_overdue: int = 0
    #: What the person may do from a list (the use cases check again when pressed).
    may_claim: bool = False  # routed to a role several people could take it from
    may_approve: bool = False  # an approval the person holds (bulk approval)
    may_steer: bool = False  # reassign or move the deadline (escalated to them)
    may_nudge: bool = False  # remind the holder now (not yet today)
    #: Who holds the task now (for escalations: whom it waits on).
    holder: str = ""

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en

    def stage(self, lang: str) -> str:
        return self.stage_sv if lang == "sv" else self.stage_en

    def full_title(self, lang: str) -> str:
        """The kind and what tells it apart: "Följ upp åtgärd: 1.2 Byt belysningen"."""
        return f"{self.title(lang)}: {self.subject}" if self.subject else self.title(lang)

    @property
    def escalated_to_me(self) -> bool:
        return self.why == "escalated"

    @property
    def escalated_up(self) -> bool:
        """The person's own task, escalated up the line because it is late."""
        return self.why != "escalated" and self.escalation_level > 0


#: Deadline groups, nearest first.
BUCKETS = ("overdue", "week", "month", "later")


@dataclass(frozen=True)
class Group:
    key: str  # the bucket, the cycle id, the unit id or the task kind, as text
    items: list[InboxItem]


@dataclass
class Inbox:
    items: list[InboxItem]
    total: int
    overdue: int
    due_this_week: int
    escalated: int  # escalated to the person
    by_stage: dict[str, int] = field(default_factory=dict)
    #: Every unit and stage among the person's open tasks (before filtering), for filters.
    units: dict[int, str] = field(default_factory=dict)
    stages: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: The person's own tasks escalated up the line (the rows saying so).
    escalated_up: int = 0
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    shown: int = 0  # rows after the filters (before the limit)
    #: With ``with_views``: the saved views the person sees, and the units (id, name) where
    #: they hold a role (a view is shared with one of them).
    views: list[saved_views.ViewRow] = field(default_factory=list)
    share_units: list[tuple[int, str]] = field(default_factory=list)


def inbox(
    app: App,
    actor: Actor,
    *,
    overdue_only: bool = False,
    within_days: int | None = None,
    stage: str | None = None,
    unit_id: int | None = None,
    kind: str | None = None,
    sort: str = "due",
    group: str = "",
    limit: int = 500,
    with_views: bool = False,
) -> Inbox:
    """A person's open tasks, due first: their own, their roles', those they stand in
    for, and escalations to them; with counts for the filters (every count is of the same
    rows the list shows before filtering). A fixed number of statements whatever the
    number of tasks: the rows, then (when needed) the measures named, the role holders,
    the people's names and today's nudges."""
    assert actor.person_id is not None
    now = app.clock.now()
    day = local_date(now)
    with app.read() as s:
        auth = queries.authority(s, actor.person_id, day)
        rows = queries.inbox_rows(s, auth, limit=5000)
        extra = _extras(s, auth, rows, day)
        items = [_item(app, s, auth, r, now, day, extra) for r in rows]
        views, share_units = saved_views.read(s, auth) if with_views else ([], [])
    week = now + timedelta(days=7)
    result = Inbox(
        [],
        len(items),
        sum(i.overdue for i in items),
        sum(1 for i in items if now <= i.due_at <= week),
        sum(1 for i in items if i.escalated_to_me),
        dict(Counter(i.stage_key for i in items)),
        {i.unit_id: i.unit_name for i in items},
        {i.stage_key: (i.stage_sv, i.stage_en) for i in items},
        sum(1 for i in items if i.escalated_up),
        {i.key: (i.title_sv, i.title_en) for i in items},
        dict(Counter(i.key for i in items)),
        views=views,
        share_units=share_units,
    )
    for i in items:
        if overdue_only and not i.overdue:
            continue
        if within_days is not None and i.due_at > now + timedelta(days=within_days):
            continue
        if stage is not None and i.stage_key != stage:
            continue
        if unit_id is not None and i.unit_id != unit_id:
            continue
        if kind is not None and i.key != kind:
            continue
        result.items.append(i)
    result.shown = len(result.items)
    result.items = arrange(result.items, sort)[:limit]
    result.groups = grouped(result.items, group, now)
    return result


def arrange(items: list[InboxItem], sort: str) -> list[InboxItem]:
    """Sorted by deadline, or by cycle, unit or kind and then deadline."""
    keys: dict[str, Callable[[InboxItem], Any]] = {
        "cycle": lambda i: (i.unit_name, i.year, i.cycle_id, i.due_at, i.task_id),
        "unit": lambda i: (i.unit_name, i.unit_id, i.due_at, i.task_id),
        "kind": lambda i: (i.title_sv, i.key, i.due_at, i.task_id),
    }
    return sorted(items, key=keys.get(sort, lambda i: (i.due_at, i.task_id)))


def bucket(item: InboxItem, now: datetime) -> str:
    if item.overdue:
        return "overdue"
    if item.due_at <= now + timedelta(days=7):
        return "week"
    if item.due_at <= now + timedelta(days=31):
        return "month"
    return "later"


def grouped(items: list[InboxItem], group: str, now: datetime) -> list[Group]:
    """Groups in the order their first row comes (the deadline's: nearest first)."""
    if not group:
        return [Group("", items)] if items else []
    key: Callable[[InboxItem], str] = {
        "deadline": lambda i: bucket(i, now),
        "cycle": lambda i: str(i.cycle_id),
        "unit": lambda i: str(i.unit_id),
        "kind": lambda i: i.key,
    }.get(group, lambda i: "")
    out: dict[str, list[InboxItem]] = {}
    if group == "deadline":
        out = {b: [] for b in BUCKETS}
    for i in items:
        out.setdefault(key(i), []).append(i)
    return [Group(k, v) for k, v in out.items() if v]


@dataclass(frozen=True)
class _Extra:
    measures: dict[int, str]
    holders: dict[Address, list[int]]
    names: dict[int, tuple[str, str]]
    nudged: set[int]
    org: OrgSnapshot | None


def _extras(s: Any, auth: queries.Authority, rows: list[Any], day: date) -> _Extra:
    """What the rows need beyond themselves, in one statement each, and only if needed."""
    measure_ids = {r.measure_id for r in rows if r.measure_id is not None}
    measures: dict[int, str] = {}
    if measure_ids:
        for mid, item_no, no, what in s.execute(
            select(Measure.id, ActionItem.number, Measure.number, Measure.what)
            .join(ActionItem, ActionItem.id == Measure.action_item_id)
            .where(Measure.id.in_(sorted(measure_ids)))
        ):
            measures[mid] = f"{item_no}.{no} {_short(what)}"
    # who else could take a role's task (claim), and who holds an escalated one
    wanted: set[Address] = set()
    for r in rows:
        if r.role is not None and r.role_unit_id is not None and r.assignee_id is None:
            address = Address(Role(r.role), r.role_unit_id)
            wanted.add(address)
            if address.role == Role.MANAGER:
                wanted.add(Address(Role.DEPUTY, r.role_unit_id))
    holders = queries.holders_at(s, wanted, day)
    escalated = [r for r in rows if r.why == "escalated"]
    people = {r.assignee_id for r in escalated if r.assignee_id is not None}
    for r in escalated:
        if r.assignee_id is None and r.role is not None:
            people.update(holders.get(Address(Role(r.role), r.role_unit_id), []))
    names = queries.person_names(s, people) if people else {}
    nudged = nudged_today(s, [r.id for r in escalated], day) if escalated else set()
    org = queries.ancestry_snapshot(s, {r.unit_id for r in escalated}, day) if escalated else None
    return _Extra(measures, holders, names, nudged, org)


def _short(text: str, most: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _item(
    app: App,
    s: Any,
    auth: queries.Authority,
    r: Any,
    now: datetime,
    day: date,
    extra: _Extra,
) -> InboxItem:
    template = templates.by_id(app, s, r.template_id)
    tdef, sdef = template.task(r.key), template.stage(r.stage_key)
    why, on_behalf = r.why, None
    if why == "assigned" and r.assignee_id != auth.person_id:
        why, on_behalf = "substitute", r.assignee_id
    elif why == "role":
        _, on_behalf = auth.on_behalf_for_address(Address(Role(r.role), r.role_unit_id))
        if on_behalf is not None:
            why = "substitute"
    holds = why != "escalated" or access.holds(auth, r)[0]
    may_claim = False
    holder = ""
    if r.role is not None and r.role_unit_id is not None and r.assignee_id is None:
        address = Address(Role(r.role), r.role_unit_id)
        others = set(extra.holders.get(address, []))
        if address.role == Role.MANAGER:
            others |= set(extra.holders.get(Address(Role.DEPUTY, r.role_unit_id), []))
        others.discard(auth.person_id)
        # several could take it: another holder, or the one this person stands in for
        may_claim = holds and why != "escalated" and (bool(others) or on_behalf is not None)
    steer = nudge = False
    if why == "escalated":
        steer = True  # the escalation holder may reassign and extend (access.may_steer)
        if r.assignee_id is not None:
            holder = extra.names.get(r.assignee_id, ("", ""))[0]
        elif r.role is not None:
            ids = extra.holders.get(Address(Role(r.role), r.role_unit_id), [])
            holder = ", ".join(extra.names.get(p, ("", ""))[0] for p in ids)
        if extra.org is not None:
            nudge = r.id not in extra.nudged and may_nudge(auth, r, extra.org)
    overdue = r.due_at < now
    return InboxItem(
        r.id,
        r.key,
        tdef.title.sv,
        tdef.title.en,
        r.form_key,
        r.unit_id,
        r.unit_name,
        r.cycle_id,
        r.year,
        r.stage_key,
        sdef.title.sv,
        sdef.title.en,
        r.due_at,
        overdue,
        why,
        on_behalf,
        r.escalation_level,
        r.assignee_id is not None,
        r.required,
        r.version,
        subject=extra.measures.get(r.measure_id, "") if r.measure_id is not None else "",
        days_overdue=max(0, (day - local_date(r.due_at)).days) if overdue else 0,
        may_claim=may_claim,
        may_approve=r.form_key == "approval" and holds,
        may_steer=steer,
        may_nudge=nudge,
        holder=holder,
    )


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
