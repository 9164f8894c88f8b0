"""The home page: what each role does next.

* a unit manager (or deputy): the tasks by deadline and by cycle, and the year's wheel
  (årshjul) of each of their units: the stages with their deadlines and where the unit is;
* a safety representative: the approvals, safety rounds and other requests waiting;
* HR: the year at a glance for the units under them: started, stuck, missing a manager
  or a safety representative, each with where to fix it;
* a director: the escalations to them, with the unit, the holder and the days overdue
  (the organisation's heat map comes from ``engine.reports.overview``, in the page).

A fixed number of statements: the inbox's, then one or two per section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import Cycle, Stage, Task
from engine.domain.clock import local_date
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus
from engine.views.inbox import Inbox, InboxItem, inbox
from engine.workflow import allocation_gate, templates

#: A safety representative's safety-round tasks: the annual cycle's round, their part in a round.
ROUND_FORMS = ("safety_round", "safety_round_participation")
LIST_MOST = 25  # rows of each HR list (the count says how many in all)


@dataclass(frozen=True)
class WheelStage:
    key: str
    title_sv: str
    title_en: str
    status: str  # pending | active | signed_off | ...
    deadline: datetime | None  # the latest deadline of its required tasks
    current: bool


@dataclass(frozen=True)
class Wheel:
    cycle_id: int
    unit_id: int
    unit_name: str
    year: int
    stages: list[WheelStage]

    @property
    def position(self) -> int:
        """How many stages are signed off (the unit's place on the wheel)."""
        return sum(1 for s in self.stages if s.status == "signed_off")


@dataclass(frozen=True)
class UnitLink:
    unit_id: int
    name: str
    cycle_id: int | None = None
    detail: int = 0  # overdue tasks of a stuck cycle


@dataclass
class YearGlance:
    year: int
    units: int = 0
    started: int = 0
    completed: int = 0
    not_started: list[UnitLink] = field(default_factory=list)
    not_started_count: int = 0
    stuck: list[UnitLink] = field(default_factory=list)
    stuck_count: int = 0
    no_manager: list[UnitLink] = field(default_factory=list)
    no_manager_count: int = 0
    no_safety_rep: list[UnitLink] = field(default_factory=list)
    no_safety_rep_count: int = 0


@dataclass
class Home:
    roles: set[str]
    box: Inbox
    wheels: list[Wheel] = field(default_factory=list)
    glance: YearGlance | None = None
    #: task allocations offered to the person and returns waiting for their decision
    allocation_waiting: tuple[int, int] = (0, 0)

    @property
    def manager(self) -> bool:
        return bool(self.roles & {Role.MANAGER.value, Role.DEPUTY.value})

    @property
    def safety_rep(self) -> bool:
        return bool(self.roles & {Role.SAFETY_REP.value, Role.CHIEF_SAFETY_REP.value})

    @property
    def hr(self) -> bool:
        return Role.HR.value in self.roles

    @property
    def director(self) -> bool:
        return Role.DIRECTOR.value in self.roles

    @property
    def next_tasks(self) -> list[InboxItem]:
        """The person's own tasks (not escalations), by deadline."""
        return [i for i in self.box.items if not i.escalated_to_me]

    @property
    def escalations(self) -> list[InboxItem]:
        return sorted(
            (i for i in self.box.items if i.escalated_to_me),
            key=lambda i: (-i.days_overdue, i.unit_name, i.task_id),
        )

    def waiting(self, kind: str) -> list[InboxItem]:
        """A safety representative's: approvals, rounds, or everything else."""
        own = self.next_tasks
        if kind == "approval":
            return [i for i in own if i.form_key == "approval"]
        if kind == "round":
            return [i for i in own if i.form_key in ROUND_FORMS]
        return [i for i in own if i.form_key not in ("approval", *ROUND_FORMS)]


def home(app: App, actor: Actor) -> Home:
    assert actor.person_id is not None
    now = app.clock.now()
    day = local_date(now)
    box = inbox(app, actor)
    with app.read() as s:
        auth = queries.authority(s, actor.person_id, day)
        roles = {a.role.value for a in auth.addresses}
        out = Home(roles, box)
        led = sorted({a.unit_id for a in auth.addresses if a.role in (Role.MANAGER, Role.DEPUTY)})
        if led:
            out.wheels = _wheels(app, s, led)
        heads = [a.unit_id for a in auth.addresses if a.role in (Role.MANAGER, Role.DIRECTOR)]
        out.allocation_waiting = allocation_gate.waiting_for(s, actor.person_id, heads)
        hr_units = auth.holds(Role.HR)
        if hr_units:
            out.glance = _glance(s, hr_units, now)
    return out


def _wheels(app: App, s: Session, units: list[int]) -> list[Wheel]:
    latest: dict[int, tuple[int, int, int]] = {}  # unit -> (year, cycle id, template id)
    for cid, unit, year, template_id in s.execute(
        select(Cycle.id, Cycle.unit_id, Cycle.year, Cycle.template_id).where(
            Cycle.unit_id.in_(units), Cycle.instance == "", Cycle.status != "cancelled"
        )
    ):
        if unit not in latest or (year, cid) > latest[unit][:2]:
            latest[unit] = (year, cid, template_id)
    if not latest:
        return []
    ids = [c for _, c, _ in latest.values()]
    deadlines = {
        (cid, key): due
        for cid, key, due in s.execute(
            select(Stage.cycle_id, Stage.key, func.max(Task.due_at))
            .join(Task, Task.stage_id == Stage.id)
            .where(Stage.cycle_id.in_(ids), Task.required.is_(True))
            .group_by(Stage.cycle_id, Stage.key)
        )
    }
    stages: dict[int, list[tuple[int, str, str]]] = {}
    for cid, key, status, position in s.execute(
        select(Stage.cycle_id, Stage.key, Stage.status, Stage.position).where(
            Stage.cycle_id.in_(ids)
        )
    ):
        stages.setdefault(cid, []).append((position, key, status))
    names = queries.unit_names(s, latest)
    current = queries.pairs(s, select(Cycle.id, Cycle.current_stage).where(Cycle.id.in_(ids)))
    out = []
    for unit, (year, cid, template_id) in sorted(latest.items(), key=lambda u: names.get(u[0], "")):
        template = templates.by_id(app, s, template_id)
        row = []
        for _, key, status in sorted(stages.get(cid, [])):
            sdef = template.stage(key)
            deadline = deadlines.get((cid, key))
            row.append(
                WheelStage(
                    key, sdef.title.sv, sdef.title.en, status, deadline, current.get(cid) == key
                )
            )
        out.append(Wheel(cid, unit, names.get(unit, ""), year, row))
    return out


def _glance(s: Session, hr_units: list[int], now: datetime) -> YearGlance:
    day = local_date(now)
    org = queries.org_snapshot(s, day, with_names=True)
    scope: list[int] = []
    for root in hr_units:
        scope += org.subtree(root)
    wanted = set(scope)
    year = (
        s.scalar(
            select(func.max(Cycle.year)).where(
                Cycle.instance == "", Cycle.year <= now.year + 1, Cycle.status != "cancelled"
            )
        )
        or now.year
    )
    g = YearGlance(int(year), units=len(wanted))
    cycles: dict[int, tuple[int, str]] = {}
    for cid, unit, status in s.execute(
        select(Cycle.id, Cycle.unit_id, Cycle.status).where(
            Cycle.year == year, Cycle.instance == "", Cycle.status != "cancelled"
        )
    ):
        if unit in wanted:
            cycles[unit] = (cid, status)
    g.started = len(cycles)
    g.completed = sum(1 for _, st in cycles.values() if st == "completed")
    late = queries.pairs(
        s,
        select(Task.cycle_id, func.count())
        .join(Cycle, Cycle.id == Task.cycle_id)
        .where(
            Cycle.year == year,
            Task.status == TaskStatus.OPEN.value,
            Task.due_at < now,
            Task.escalation_level > 0,
        )
        .group_by(Task.cycle_id),
    )
    leaves = [u for u in scope if not org.children(u)]  # the units that run a cycle
    for u in leaves:
        name = org.names.get(u, "")
        if u not in cycles:
            g.not_started_count += 1
            if len(g.not_started) < LIST_MOST:
                g.not_started.append(UnitLink(u, name))
        else:
            cid, status = cycles[u]
            if status == "active" and late.get(cid):
                g.stuck_count += 1
                g.stuck.append(UnitLink(u, name, cid, int(late[cid])))
        if not org.holders.get(Address(Role.MANAGER, u)):
            g.no_manager_count += 1
            if len(g.no_manager) < LIST_MOST:
                g.no_manager.append(UnitLink(u, name))
        if not org.holders.get(Address(Role.SAFETY_REP, u)):
            g.no_safety_rep_count += 1
            if len(g.no_safety_rep) < LIST_MOST:
                g.no_safety_rep.append(UnitLink(u, name))
    g.stuck.sort(key=lambda x: (-x.detail, x.name))
    g.stuck = g.stuck[:LIST_MOST]
    return g
