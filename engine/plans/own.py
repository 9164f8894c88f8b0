"""Plans in their own right (issue 11, part 5): an action plan that is not one unit's
annual cycle (an administration-wide plan after a managers' survey, a hospital's plan for
first-line managers' workload, a health strategy's project plan).

Such a plan is a case of the process ``engine/cycle_templates/action-plan.yaml`` (kind
``action_plan``): opening it starts a cycle of that template (instance
``action_plan:<case id>``), so writing or importing its measures, the manager's decision,
reminders, escalation, sign-off and the audit chain are the shared machinery. Its header
is a ``plan`` row (``engine.db.models.followup.plans.Plan``) as the annual cycle's plan is: scope
(a unit, a department, the whole administration, or a theme across units), title, plan
date, responsible manager, participants with their organisation, its review rhythm. It is
established (*fastställd*) at a cooperation meeting through ``engine.plans.establishment``
exactly as the annual plan is, and followed up: each measure at its own follow-up points
(``measure_follow_up`` tasks, only for dates that exist), the plan as a whole at its own
rhythm: every ``follow_up_months`` counted from its plan date, on the review dates its
header names, or both (a header naming neither takes the setting ``plan_review_months``).
The first ``plan_review`` task is due at the rhythm's next day when the follow-up opens
(``review_due``), the next one is made when one is done (``next_review``) while measures
remain open and the rhythm has a day left. No survey and no risk assessment is asked for.

    opened = create(app, actor, fields)          # fields: forms.schemas.plan_header
    rows = list_plans(app, actor, year=None)     # the plans a person may see
    shown = show(app, actor, plan_id)            # header, state, measures, establishment
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Cycle, CycleTemplateRow, Measure, OrgUnit, Stage, Task
from engine.db.models.duties.coop import PlanEstablishment
from engine.db.models.followup.plans import Plan, PlanParticipant
from engine.db.models.workflow.process import ProcessCase
from engine.db.queries import TaskRef
from engine.domain.clock import end_of_local_day, local_date
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted
from engine.domain.period import next_review as next_review_day
from engine.domain.validation import field_errors
from engine.domain.workflow.escalation import Position, next_check
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus
from engine.org import access
from engine.org.visibility import require_cycle, scope_of
from engine.plans import establishment
from engine.plans.document import judge_day
from engine.plans.plan import OPEN_MEASURE_STATES
from engine.workflow import taskgen, templates
from engine.workflow.process import cases as processes
from engine.workflow.process.views import CaseView
from forms.schemas.base import Form
from forms.schemas.plan_header import ActionPlanHeader, PlanRhythm

KIND = "action_plan"
#: A plan made before its header held its rhythm, naming none: reviewed this often (the
#: default of the setting ``plan_review_months``, which a new plan's header is given).
DEFAULT_REVIEW_MONTHS = 3
REVIEW_TASK = "plan_review"


# --- named hooks (engine.catalog) ---------------------------------------------------------
def header(tx: Tx, actor: Actor, case: ProcessCase, subject: Form) -> dict[str, Any]:
    """``action_plan.header``: the plan's header row, in the opening transaction, so the
    printed plan, its import and its establishment read it as they read the annual
    plan's."""
    assert isinstance(subject, ActionPlanHeader) and case.cycle_id is not None
    plan = Plan(
        cycle_id=case.cycle_id,
        scope=subject.scope,
        unit_id=case.unit_id,
        theme=subject.theme,
        title=subject.title,
        plan_date=subject.plan_date,
        responsible_manager=subject.responsible_manager,
        follow_up_months=subject.follow_up_months,
        review_dates=",".join(d.isoformat() for d in subject.review_dates),
        created_at=tx.now,
        updated_at=tx.now,
    )
    tx.session.add(plan)
    tx.session.flush()
    tx.session.add_all(
        PlanParticipant(plan_id=plan.id, position=n, name=p.name, organisation=p.organisation)
        for n, p in enumerate(subject.participants, start=1)
    )
    return {
        "plan": plan.id,
        "participants": [
            f"{p.name} ({p.organisation})" if p.organisation else p.name
            for p in subject.participants
        ],
    }


def status(s: Session, view: CaseView, now: datetime) -> dict[str, Any]:
    """``action_plan.status``: the plan's measures (open, done, late at its own dates) and
    whether, where and when it was established."""
    cycle = view.cycle
    if cycle is None:
        return {}
    counts = measure_counts(s, [cycle.id], local_date(now)).get(cycle.id, Counts())
    est = establishment.header(s, cycle.id)
    return {
        "measures": counts.total,
        "open": counts.open,
        "done": counts.done,
        "late": counts.late,
        "established": est.text("sv") if est else None,
        "established_on": est.on if est else None,
    }


def named_reviews(plan: Plan) -> list[date]:
    """The review dates the plan's header names, in order."""
    return [date.fromisoformat(x) for x in plan.review_dates.split(",") if x]


def rhythm(plan: Plan | None) -> tuple[int | None, list[date]]:
    """The plan's review rhythm: (every so many months from its plan date, named dates)."""
    if plan is None:
        return DEFAULT_REVIEW_MONTHS, []
    named = named_reviews(plan)
    return (plan.follow_up_months or (None if named else DEFAULT_REVIEW_MONTHS)), named


def review_after(plan: Plan | None, start: date, after: date) -> date | None:
    """The plan's next review day after ``after`` at its own rhythm (None: none left)."""
    months, named = rhythm(plan)
    return next_review_day((plan.plan_date if plan else None) or start, months, named, after)


def review_due(tx: Tx, cycle_id: int, task_key: str) -> date:
    """``action_plan.review_due``: the first review of the plan as a whole, made when its
    follow-up opens, is due at the next day of the plan's own rhythm; a plan whose named
    dates have all passed by then is reviewed today (the review is still owed)."""
    s = tx.session
    today = local_date(tx.now)
    plan = s.scalar(select(Plan).where(Plan.cycle_id == cycle_id))
    return review_after(plan, today, today) or today


def next_review(tx: Tx, actor: Actor, task: TaskRef, form: Form) -> dict[str, Any]:
    """``action_plan.next_review``: a plan is followed up at its own rhythm for as long as
    any of its measures is open: when one review is done the next is made, due at the
    rhythm's next day after the later of today and the done review's due day (a review
    done early does not bring the next one forward). With every measure closed, or no day
    of the rhythm left (only named dates, all passed), no further review is made up."""
    s = tx.session
    still_open = s.scalar(
        select(func.count())
        .select_from(Measure)
        .where(Measure.cycle_id == task.cycle_id, Measure.status.in_(OPEN_MEASURE_STATES))
    )
    if not still_open:
        return {"next_review": None}
    plan = s.scalar(select(Plan).where(Plan.cycle_id == task.cycle_id))
    today = local_date(tx.now)
    due_day = review_after(plan, today, max(today, local_date(task.due_at)))
    if due_day is None:
        return {"next_review": None}
    cycle = s.get(Cycle, task.cycle_id)
    assert cycle is not None
    row_t = s.get(CycleTemplateRow, cycle.template_id)
    assert row_t is not None
    template = templates.parse(row_t.body, f"{row_t.key} v{row_t.version}")
    stage = s.get(Stage, task.stage_id)
    assert stage is not None
    tdef = next(t for t in template.stage(stage.key).tasks if t.key == REVIEW_TASK)
    address = (
        Address(Role(task.role), task.role_unit_id) if task.role and task.role_unit_id else None
    )
    row = taskgen.task_row(
        cycle_id=task.cycle_id,
        stage_id=task.stage_id,
        unit_id=task.unit_id,
        tdef=tdef,
        address=address,
        assignee_id=None if address else task.assignee_id,
        due_at=end_of_local_day(due_day),
        now=tx.now,
        ladder=template.ladder_for(tdef.key),
        round_=task.round,
    )
    ids = taskgen.insert_tasks(s, [row])
    taskgen.record_created(tx, actor, [row], ids, after_review=f"task:{task.id}")
    months, named = rhythm(plan)
    return {
        "next_review": due_day.isoformat(),
        "every_months": months,
        "review_dates": [d.isoformat() for d in named],
    }


# --- use cases ----------------------------------------------------------------------------
def parse(data: Mapping[str, Any]) -> ActionPlanHeader:
    """The header fields validated by their form (every bad field named)."""
    form = processes.parse_subject(KIND, data)
    assert isinstance(form, ActionPlanHeader)
    return form


@dataclass(frozen=True)
class Created:
    plan_id: int
    case_id: int
    cycle_id: int


def create(app: App, actor: Actor, subject: ActionPlanHeader) -> Created:
    """Open a plan in its own right: the case, its cycle (drawing the plan up is its first
    task, for the manager of the unit), the header. A manager, HR or a director at the unit
    or above may (else 403); the unit must have a manager (else 422 naming ``unit``).
    A header naming no review rhythm is given the setting's (``plan_review_months``), so
    the plan carries its own rhythm from the start."""
    if subject.follow_up_months is None and not subject.review_dates:
        subject = subject.model_copy(update={"follow_up_months": app.settings.plan_review_months})
    opened = processes.open_case(app, actor, KIND, subject)
    with app.read() as s:
        plan_id = s.scalar(select(Plan.id).where(Plan.cycle_id == opened.cycle_id))
    assert plan_id is not None
    return Created(plan_id, opened.case_id, opened.cycle_id)


@dataclass
class Counts:
    total: int = 0
    open: int = 0
    done: int = 0
    late: int = 0


def measure_counts(s: Session, cycle_ids: list[int], today: date) -> dict[int, Counts]:
    """Per cycle: its measures, open, done and late (open past the end of its due period,
    judged at the plan's own day: today while it runs, the day it closed once closed)."""
    out: dict[int, Counts] = {}
    if not cycle_ids:
        return out
    cycles = {c.id: c for c in s.scalars(select(Cycle).where(Cycle.id.in_(cycle_ids)))}
    rows = s.execute(
        select(Measure.cycle_id, Measure.status, Measure.due_date).where(
            Measure.cycle_id.in_(cycle_ids)
        )
    )
    for cid, st, due in rows:
        c = out.setdefault(cid, Counts())
        c.total += 1
        if st in OPEN_MEASURE_STATES:
            c.open += 1
            if due is not None and due < judge_day(cycles[cid], today):
                c.late += 1
        elif st == "done":
            c.done += 1
    return out


@dataclass(frozen=True)
class PlanRow:
    id: int
    cycle_id: int
    case_id: int | None  # None: the plan of a unit's annual cycle
    title: str
    scope: str
    theme: str
    unit: str
    unit_code: str
    plan_date: date | None
    year: int
    stage: str | None
    status: str
    established: str | None  # "fastställd vid FSG 2027-05-20"
    counts: Counts = field(default_factory=Counts)
    established_en: str | None = None  # "established at FSG 2027-05-20"


def _visible_cycles(s: Session, app: App, actor: Actor, cycles: list[Cycle]) -> list[Cycle]:
    from engine.domain.errors import SamflowError

    scope = scope_of(s, actor, app)
    out = []
    for c in cycles:
        try:
            require_cycle(s, app, scope, c)
        except SamflowError:
            continue
        out.append(c)
    return out


def list_plans(app: App, actor: Actor, year: int | None = None) -> list[PlanRow]:
    """The plans the person may see (of their units and below): plans in their own right,
    and the annual cycles' plans that have a header; newest first."""
    with app.read() as s:
        stmt = select(Plan, Cycle).join(Cycle, Cycle.id == Plan.cycle_id)
        if year is not None:
            stmt = stmt.where(Cycle.year == year)
        found = [(p, c) for p, c in s.execute(stmt.order_by(Plan.id.desc()).limit(500)).tuples()]
        visible = {c.id for c in _visible_cycles(s, app, actor, [c for _, c in found])}
        return _rows(s, [(p, c) for p, c in found if c.id in visible], local_date(app.clock.now()))


def _rows(s: Session, rows: list[tuple[Plan, Cycle]], today: date) -> list[PlanRow]:
    units = {
        u.id: u
        for u in s.scalars(select(OrgUnit).where(OrgUnit.id.in_({c.unit_id for _, c in rows})))
    }
    ids = [c.id for _, c in rows]
    counts = measure_counts(s, ids, today)
    cases: dict[int, int] = {}
    est: set[int] = set()
    if ids:
        for cid, case_id in s.execute(
            select(ProcessCase.cycle_id, ProcessCase.id).where(
                ProcessCase.kind == KIND, ProcessCase.cycle_id.in_(ids)
            )
        ):
            cases[cid] = case_id
        est = set(
            s.scalars(select(PlanEstablishment.cycle_id).where(PlanEstablishment.cycle_id.in_(ids)))
        )
    out = []
    for p, c in rows:
        u = units.get(c.unit_id)
        head = establishment.header(s, c.id) if c.id in est else None
        out.append(
            PlanRow(
                id=p.id,
                cycle_id=c.id,
                case_id=cases.get(c.id),
                title=p.title,
                scope=p.scope,
                theme=p.theme,
                unit=u.name if u else "",
                unit_code=u.code if u else "",
                plan_date=p.plan_date,
                year=c.year,
                stage=c.current_stage,
                status=c.status,
                established=head.text("sv") if head else None,
                counts=counts.get(c.id, Counts()),
                established_en=head.text("en") if head else None,
            )
        )
    return out


@dataclass(frozen=True)
class Shown:
    row: PlanRow
    responsible_manager: str
    follow_up_months: int | None  # its rhythm: every so many months from the plan date
    review_dates: list[date]  # and the review dates it names
    next_review: date | None  # the open review's due day
    participants: list[tuple[str, str]]
    established: establishment.Header | None
    unmet: list[str]  # what still keeps it from being established (Swedish, English)
    unmet_en: list[str]
    tasks: list[dict[str, Any]]
    importable: bool
    #: whether the person may change the plan's review rhythm (``change_rhythm``)
    may_change_rhythm: bool = False


def show(app: App, actor: Actor, plan_id: int) -> Shown:
    """One plan the person may see (404 otherwise): its header, state and tasks."""
    from engine.plans.importer import OPEN_STAGES

    with app.read() as s:
        plan = s.get(Plan, plan_id)
        cycle = s.get(Cycle, plan.cycle_id) if plan and plan.cycle_id else None
        if plan is None or cycle is None:
            raise NotFound("plan", plan_id)
        require_cycle(s, app, scope_of(s, actor, app), cycle)
        row = _rows(s, [(plan, cycle)], local_date(app.clock.now()))[0]
        people = [
            (p.name, p.organisation)
            for p in s.scalars(
                select(PlanParticipant)
                .where(PlanParticipant.plan_id == plan.id)
                .order_by(PlanParticipant.position)
            )
        ]
        est = establishment.header(s, cycle.id)
        unmet = [] if est else establishment.missing(s, cycle.id)
        tasks = [
            {
                "id": t.id,
                "key": t.key,
                "status": t.status,
                "due": local_date(t.due_at),
                "data": json.loads(t.data) if t.data else None,
            }
            for t in s.scalars(
                select(Task)
                .where(Task.cycle_id == cycle.id, Task.measure_id.is_(None))
                .where(Task.status.in_((TaskStatus.OPEN.value, TaskStatus.COMPLETED.value)))
                .order_by(Task.id)
            )
        ]
        months, named = rhythm(plan)
        due = [
            local_date(t.due_at)
            for t in s.scalars(
                select(Task).where(
                    Task.cycle_id == cycle.id,
                    Task.key == REVIEW_TASK,
                    Task.status == TaskStatus.OPEN.value,
                )
            )
        ]
        return Shown(
            row=row,
            responsible_manager=plan.responsible_manager,
            follow_up_months=months,
            review_dates=named,
            next_review=min(due, default=None),
            participants=people,
            established=est,
            unmet=[u.message_sv for u in unmet],
            unmet_en=[u.message_en for u in unmet],
            tasks=tasks,
            importable=cycle.status == "active" and cycle.current_stage in OPEN_STAGES,
            may_change_rhythm=cycle.status == "active"
            and row.case_id is not None
            and _may_set_rhythm(s, actor, cycle.unit_id, local_date(app.clock.now())),
        )


# --- the rhythm changed after the plan was made -------------------------------------------
@dataclass(frozen=True)
class RhythmChanged:
    follow_up_months: int | None
    review_dates: list[date]
    next_review: date | None  # the open review's due day now (None: none left)
    redated: int  # open reviews given a new due day
    cancelled: int  # open reviews no day of the new rhythm is left for


def parse_rhythm(data: Mapping[str, Any]) -> PlanRhythm:
    """The new rhythm checked by its form (every bad field named)."""
    try:
        return PlanRhythm.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None


def _may_set_rhythm(s: Session, actor: Actor, unit_id: int, day: date) -> bool:
    """Who may open a plan at the unit (its manager or one above, HR, a director) may set
    its rhythm: the process's registrants."""
    if actor.person_id is None:
        return True
    who = processes.subject_of(KIND).registrants
    org = queries.ancestry_snapshot(s, [unit_id], day)
    auth = queries.authority(s, actor.person_id, day)
    return access.may_register(auth, org, unit_id, who.roles, line=who.scope == "line")[0]


def change_rhythm(app: App, actor: Actor, plan_id: int, given: PlanRhythm) -> RhythmChanged:
    """Change a plan's review rhythm (months from its plan date and/or named dates), by
    those who may open a plan at its unit; audited (``plan.rhythm_changed``, from and to).
    The open review is re-dated by the rhythm's rules: due at the new rhythm's first day
    after the later of the day it was made and the last done review's due day (a review
    done early still does not bring the next forward), today if that day has passed (the
    review is owed); when no day is left (only named dates, all passed), the first review
    is still owed today and a later one is cancelled (no review is made up). A plan whose
    follow-up has not opened gets its first review at the new rhythm when it does."""

    def work(tx: Tx) -> RhythmChanged:
        s, today = tx.session, local_date(tx.now)
        plan = s.get(Plan, plan_id)
        cycle = s.get(Cycle, plan.cycle_id) if plan and plan.cycle_id else None
        if plan is None or cycle is None:
            raise NotFound("plan", plan_id)
        require_cycle(s, app, scope_of(s, actor, app), cycle)
        case = s.scalar(
            select(ProcessCase.id).where(ProcessCase.kind == KIND, ProcessCase.cycle_id == cycle.id)
        )
        if case is None:
            raise Conflict(
                "a unit's annual plan is followed up in its annual cycle; it has no rhythm "
                "of its own to change",
                "en enhets årliga plan följs upp i årets cykel; den har ingen egen rytm att ändra",
            )
        if cycle.status != "active":
            raise Conflict(
                "the plan is closed; its rhythm can no longer change",
                "planen är avslutad; dess rytm kan inte längre ändras",
            )
        if not _may_set_rhythm(s, actor, cycle.unit_id, today):
            raise NotPermitted(
                "only a manager at or above the plan's unit, HR or a director may change its "
                "review rhythm",
                "bara en chef vid eller över planens enhet, HR eller en direktör får ändra "
                "dess uppföljningsrytm",
            )
        early = [d for d in given.review_dates if plan.plan_date and d <= plan.plan_date]
        if early:
            raise InvalidInput.field(
                "review_dates",
                f"a review date must fall after the plan date ({early[0].isoformat()} does not)",
                f"ett uppföljningsdatum ska ligga efter plandatum ({early[0].isoformat()} "
                "gör inte det)",
            )
        before = rhythm(plan)
        plan.follow_up_months = given.follow_up_months
        plan.review_dates = ",".join(d.isoformat() for d in given.review_dates)
        plan.updated_at = tx.now
        months, named = rhythm(plan)
        tx.record(
            f"cycle:{cycle.id}",
            "plan.rhythm_changed",
            "plan",
            plan.id,
            actor,
            unit_id=cycle.unit_id,
            data={
                "from": {
                    "every_months": before[0],
                    "review_dates": [d.isoformat() for d in before[1]],
                },
                "to": {"every_months": months, "review_dates": [d.isoformat() for d in named]},
            },
        )
        reviews = list(
            s.scalars(
                select(Task)
                .where(Task.cycle_id == cycle.id, Task.key == REVIEW_TASK)
                .order_by(Task.id)
            )
        )
        redated = cancelled = 0
        due_now: list[date] = []
        done_due: date | None = None
        for task in reviews:
            if task.status == TaskStatus.COMPLETED.value:
                done_due = local_date(task.due_at)
                continue
            if task.status != TaskStatus.OPEN.value:
                continue
            anchor = max(local_date(task.created_at), done_due or local_date(task.created_at))
            day = review_after(plan, today, anchor)
            if day is None and done_due is not None:
                taskgen.cancel_tasks(
                    tx, actor, cycle.id, task.unit_id, [task.id],
                    "the plan's new review rhythm has no review day left",
                )  # fmt: skip
                cancelled += 1
                continue
            day = max(day or today, today)
            due_now.append(day)
            if local_date(task.due_at) == day:
                continue
            due_at = end_of_local_day(day)
            ladder = _ladder(s, cycle, task.key)
            tx.record(
                f"cycle:{cycle.id}",
                "task.due_changed",
                "task",
                task.id,
                actor,
                unit_id=task.unit_id,
                data={"from": task.due_at, "to": due_at, "reason": "plan.rhythm_changed"},
            )
            task.due_at = due_at
            task.reminders_sent = 0
            task.escalation_level = 0
            task.escalation_role = None
            task.escalation_unit_id = None
            task.next_check_at = next_check(Position(due_at, 0, 0), ladder, tx.now)
            task.version = task.version + 1
            redated += 1
        s.flush()
        return RhythmChanged(months, named, min(due_now, default=None), redated, cancelled)

    return app.run(work)


def _ladder(s: Session, cycle: Cycle, task_key: str) -> Any:
    row_t = s.get(CycleTemplateRow, cycle.template_id)
    assert row_t is not None
    return templates.parse(row_t.body, f"{row_t.key} v{row_t.version}").ladder_for(task_key)


def plans_in(s: Session, unit_ids: list[int], year: int, today: date) -> list[PlanRow]:
    """The plans in their own right of the year at these units (the board report)."""
    if not unit_ids:
        return []
    rows = list(
        s.execute(
            select(Plan, Cycle)
            .join(Cycle, Cycle.id == Plan.cycle_id)
            .join(ProcessCase, ProcessCase.cycle_id == Cycle.id)
            .where(ProcessCase.kind == KIND, Cycle.year == year, Cycle.unit_id.in_(unit_ids))
            .where(Cycle.status != "cancelled")
            .order_by(Plan.id)
        ).tuples()
    )
    return _rows(s, rows, today)


def plan_of_cycle(s: Session, cycle_id: int) -> int | None:
    return s.scalar(select(Plan.id).where(Plan.cycle_id == cycle_id))
