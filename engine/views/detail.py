"""Read models for one person: a task with its form, a cycle page, a job's progress.

Each one first asks ``visibility`` whether the person may see the thing at all (else
NotFound, the same answer as for an id that does not exist), then says what the person may
do with it, so a page shows only the buttons that will work. The use cases check again
when the button is pressed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import log as audit
from engine.context import Actor, App
from engine.db import queries
from engine.db.models import Cycle, OrgUnit, Stage, Task
from engine.domain.clock import local_date
from engine.domain.errors import NotFound, SamflowError
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.org import access
from engine.org.rules import may_nudge
from engine.org.visibility import (
    Scope,
    ancestry,
    require_cycle,
    require_task,
    scope_of,
    see_task,
    top_units,
)
from engine.surveys.results import prefill as survey_prefill
from engine.views import cycle as cycle_views
from engine.views.responsible import ResponsibleChoices
from engine.views.responsible import choices as responsible_choices
from engine.workflow import allocation_gate, attachments, facts, taskgen, templates
from engine.workflow.batch import jobs
from engine.workflow.conversation import nudged_today
from engine.workflow.process.cases import task_context
from forms.labels import words

if TYPE_CHECKING:  # a type only: the task page's context that an inspection's hook gives
    from engine.inspections.hooks import RequirementContext


@dataclass(frozen=True)
class Permissions:
    work: bool = False  # complete, save a draft, return, upload
    claim: bool = False
    release: bool = False
    delegate: bool = False  # hand it to someone else
    extend: bool = False  # move the deadline (the line above, or whom it was escalated to)
    give_back: bool = False  # return it to the manager above (a manager's task only)
    nudge: bool = False  # remind its holder now (not its holder; once a day)
    on_behalf_of: int | None = None


@dataclass(frozen=True)
class TaskDetail:
    id: int
    key: str
    title_sv: str
    title_en: str
    description_sv: str
    description_en: str
    form_key: str
    status: str
    required: bool
    due_at: datetime
    overdue: bool
    version: int
    cycle_id: int
    unit_id: int
    unit_name: str
    year: int
    stage_key: str
    stage_sv: str
    stage_en: str
    waiting_on: str
    escalation_level: int
    data: dict[str, Any]
    draft: dict[str, Any] | None
    reason: str | None
    closed_at: datetime | None
    closed_by: str
    may: Permissions
    measure: cycle_views.MeasureView | None = None
    risks: list[cycle_views.RiskView] = field(default_factory=list)
    plan: list[cycle_views.ItemView] = field(default_factory=list)
    attachments: list[attachments.AttachmentInfo] = field(default_factory=list)
    names: dict[int, tuple[str, str]] = field(default_factory=dict)
    requirement: RequirementContext | None = None  # the krav an inspection task answers
    policy_review: dict[str, Any] | None = None  # the document a review task is about
    training_renewal: dict[str, Any] | None = None  # whose training a renewal is about
    returned: Returned | None = None  # why the task came to its holder, if it was returned
    #: the returning manager's own task: what the allocator decided on the return (or not yet)
    returned_outcome: dict[str, Any] | None = None
    #: a decision task on a returned task (allocation-return.yaml): the return it decides
    allocation_return: dict[str, Any] | None = None
    #: An approval: the other approvers' decisions in this round (name, role, input), and
    #: whether this approver gives only their own decision and comment (the manager gives
    #: the cooperation body, the date and the minutes).
    given: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    own_decision_only: bool = False
    #: The plan form's picker: whom a measure may name as responsible (roles, people,
    #: positions, groups of the unit and above).
    responsible: ResponsibleChoices | None = None
    #: Held for a new manager of the unit until their task allocation is accepted: by
    #: whom, for whom (``engine.workflow.allocation_gate``)
    held: dict[str, Any] | None = None
    #: What the form starts from when nothing is saved yet, from an import (the survey
    #: task: the unit's survey figures; the analysis: its low survey areas as risks).
    prefill: dict[str, Any] | None = None

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en


@dataclass(frozen=True)
class Returned:
    """The return that made this task: who handed it up, when, and the reason they wrote."""

    reason: str
    by: str
    at: datetime
    #: recorded against the task allocation: what was lacking, and the allocator's
    #: decision once made (``engine.alloc.returns``)
    lacking: tuple[str, ...] = ()
    allocation_id: int | None = None
    outcome: str | None = None
    decision_note: str = ""
    decision_task_id: int | None = None  # the allocator's decision task, while open


T = TypeVar("T")
#: Forms whose measures name a responsible (the picker's choices go with their page).
RESPONSIBLE_FORMS = ("action_plan", "incident_investigation")


def _in_words(outcome: dict[str, Any] | None) -> dict[str, Any] | None:
    """The return's outcome with the words the task page shows, in both languages (the
    task's JSON carries them as it does its title and stage)."""
    if outcome is None:
        return None
    lacking, decided = words("alloc_lacking"), words("alloc_outcome")
    said = decided.get(outcome["outcome"]) if outcome["outcome"] else None
    return {
        **outcome,
        "lacking_sv": [lacking.get(k, (k, k))[0] for k in outcome["lacking"]],
        "lacking_en": [lacking.get(k, (k, k))[1] for k in outcome["lacking"]],
        "outcome_sv": said[0] if said else None,
        "outcome_en": said[1] if said else None,
    }


def task_detail(app: App, actor: Actor, task_id: int) -> TaskDetail:
    now = app.clock.now()
    with app.read() as s:
        scope = scope_of(s, actor, app)
        task = s.get(Task, task_id)
        if task is None:
            raise NotFound("task", task_id)
        org = require_task(s, app, scope, task)
        cycle = s.get(Cycle, task.cycle_id)
        assert cycle is not None
        template = templates.by_id(app, s, cycle.template_id)
        tdef = template.task(task.key)
        stage_key = s.scalar(select(Stage.key).where(Stage.id == task.stage_id)) or ""
        sdef = template.stage(stage_key)
        unit_name = s.scalar(select(OrgUnit.name).where(OrgUnit.id == task.unit_id)) or ""
        waiting = facts.waiting_on(s, [task] if task.status == "open" else [], local_date(now))
        source = s.get(Task, task.returned_from_id) if task.returned_from_id else None
        names = queries.person_names(
            s, [p for p in (task.closed_by, source.closed_by if source else None) if p]
        )
        extras = _form_context(s, task, local_date(now))
        if task.form_key in RESPONSIBLE_FORMS and task.status == "open":
            extras["responsible"] = responsible_choices(s, task.unit_id, local_date(now))
        imported = survey_prefill(s, app.settings, task.form_key, task.unit_id, cycle.year)
        files = attachments.list_for(s, task.id)
        may = _permissions(s, scope, task, org, local_date(now))
        held = allocation_gate.hold_of_task(s, task.id)
        info = allocation_gate.return_of_task(s, task.id) if source is not None else None
        decision_task = allocation_gate.decision_task_of(s, task.id) if info else None
        returned_outcome = (
            _in_words(allocation_gate.outcome_for_returner(s, task.id))
            if task.status == "returned"
            else None
        )
    returned = _returned(source, names)
    if returned is not None and info is not None:
        returned = replace(returned, lacking=tuple(info["lacking"]),
                           allocation_id=info["allocation_id"], outcome=info["outcome"],
                           decision_note=info["note"],
                           decision_task_id=decision_task)  # fmt: skip
    return TaskDetail(
        task.id,
        task.key,
        tdef.title.sv,
        tdef.title.en,
        tdef.description.sv if tdef.description else "",
        tdef.description.en if tdef.description else "",
        task.form_key,
        task.status,
        task.required,
        task.due_at,
        task.status == "open" and task.due_at < now,
        task.version,
        cycle.id,
        task.unit_id,
        unit_name,
        cycle.year,
        stage_key,
        sdef.title.sv,
        sdef.title.en,
        waiting.get(task.id, ""),
        task.escalation_level,
        json.loads(task.data) if task.data else {},
        json.loads(task.draft) if task.draft else None,
        task.reason,
        task.closed_at,
        names.get(task.closed_by, ("", ""))[0] if task.closed_by else "",
        may,
        attachments=files,
        names=names,
        returned=returned,
        held=held,
        returned_outcome=returned_outcome,
        prefill=imported,
        **extras,
    )


def _returned(source: Task | None, names: dict[int, tuple[str, str]]) -> Returned | None:
    if source is None or source.closed_at is None:
        return None
    by = names.get(source.closed_by, ("", ""))[0] if source.closed_by else ""
    return Returned(source.reason or "", by, source.closed_at)


def _permissions(s: Session, scope: Scope, task: Task, org: OrgSnapshot, day: date) -> Permissions:
    if task.status != "open":
        return Permissions()
    work, on_behalf = access.holds(scope.auth, task)
    steer = access.may_steer(scope.auth, task, org)[0]
    routed = task.role is not None
    claim = False
    if work and routed and task.assignee_id is None and task.role_unit_id is not None:
        # offered only where several people could take it
        address = Address(Role(task.role or ""), task.role_unit_id)
        wanted = [address]
        if address.role == Role.MANAGER:
            wanted.append(Address(Role.DEPUTY, task.role_unit_id))
        found = queries.holders_of(s, wanted, day)
        people = {p for a in wanted for p in found.get(a, [])}
        people.discard(scope.person_id)
        claim = bool(people) or on_behalf is not None
    nudge = may_nudge(scope.auth, task, org) and not nudged_today(s, [task.id], day)
    return Permissions(
        work=work,
        claim=claim,
        release=work and routed and task.assignee_id is not None,
        delegate=steer or work,
        extend=steer,
        give_back=work and access.returnable(task),
        nudge=nudge,
        on_behalf_of=on_behalf,
    )


def _form_context(s: Session, task: Task, day: date) -> dict[str, Any]:
    """What a form needs to show beside its fields: the plan under approval, the risks a
    plan refers to, the measure being followed up."""
    out: dict[str, Any] = {}
    if task.form_key in ("action_plan", "approval"):
        out["plan"] = cycle_views.plan_view(s, task.cycle_id, day)
    if task.form_key == "action_plan":
        out["risks"] = cycle_views.risk_views(s, task.cycle_id)
    if task.form_key == "measure_follow_up" and task.measure_id is not None:
        for item in cycle_views.plan_view(s, task.cycle_id, day):
            for m in item.measures:
                if m.id == task.measure_id:
                    out["measure"] = m
    if task.form_key == "approval":
        out["given"] = _approvals_given(s, task)
        out["own_decision_only"] = not (task.role is None or task.role in access.RETURNABLE_ROLES)
    out.update(task_context(s, task))  # a case's task: what its template's hook shows
    return out


def _approvals_given(s: Session, task: Task) -> list[tuple[str, str, dict[str, Any]]]:
    """The approvals already given in the same stage and round, oldest first."""
    rows = list(
        s.execute(
            select(Task.closed_by, Task.role, Task.data)
            .where(
                Task.stage_id == task.stage_id,
                Task.round == task.round,
                Task.form_key == "approval",
                Task.status == "completed",
                Task.id != task.id,
            )
            .order_by(Task.closed_at, Task.id)
        )
    )
    names = queries.person_names(s, {r.closed_by for r in rows if r.closed_by})
    return [
        (
            names.get(r.closed_by, ("", ""))[0] if r.closed_by else "",
            r.role or "",
            json.loads(r.data) if r.data else {},
        )
        for r in rows
    ]


def start_input(detail: TaskDetail) -> dict[str, Any]:
    """What the form shows when opened: the saved draft, the submitted input, the plan as
    it stands (a plan sent back for revision is edited, not retyped), or a first row. A
    survey lists the files attached to its task."""
    found = detail.draft if detail.draft is not None else detail.data
    if found:
        start = dict(found)
    elif detail.prefill:
        start = dict(detail.prefill)
    elif detail.form_key == "action_plan":
        start = _plan_input(detail)
    elif detail.form_key == "survey_results":
        start = {"survey_name": f"Medarbetarenkät {detail.year}"}
    elif detail.form_key == "risk_assessment":
        start = {"risks": [{}]}  # the first risk's row, with its matrix, from the start
    else:
        start = {}
    if detail.form_key == "survey_results" and detail.attachments:
        start["attachments"] = [a.filename for a in detail.attachments]
    return start


def _plan_input(detail: TaskDetail) -> dict[str, Any]:
    if detail.plan:
        items = [
            {
                "id": it.id,
                "area": it.area,
                "risk_id": it.risk_id,
                "current_state": it.current_state,
                "measures": [_measure_input(m) for m in it.measures if m.status != "cancelled"],
            }
            for it in detail.plan
        ]
        return {"items": items}
    must_act = [r for r in detail.risks if r.level in ("high", "very_high")]
    blank = {"what": "", "responsible": "", "due_date": ""}
    items = [
        {
            "area": r.description,
            "risk_id": r.id,
            "probability": r.probability,
            "consequence": r.consequence,
            "measures": [dict(blank)],
        }
        for r in must_act
    ] or [{"area": "", "measures": [dict(blank)]}]
    return {"items": items}


def _measure_input(m: cycle_views.MeasureView) -> dict[str, Any]:
    return {
        "id": m.id,
        "what": m.what,
        "desired_result": m.desired_result,
        "responsible": m.responsible,
        "due_date": m.due_date.isoformat() if m.due_date else "",
        "due_period": m.due_label,
        "follow_up_date": m.follow_up_date.isoformat() if m.follow_up_date else "",
    }


# --- a cycle ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CycleDetail:
    view: cycle_views.CycleView
    history: list[audit.EventView]
    may_sign_off: bool
    may_cancel: bool
    names: dict[int, tuple[str, str]]
    #: The template's title (sv, en): what a person reads instead of its key.
    template_title: tuple[str, str] = ("", "")


def cycle_detail(app: App, actor: Actor, cycle_id: int) -> CycleDetail:
    with app.read() as s:
        scope = scope_of(s, actor, app)
        cycle = s.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFound("cycle", cycle_id)
        org = require_cycle(s, app, scope, cycle)
        template = templates.by_id(app, s, cycle.template_id)
        sign_off = (
            _may_sign_off(scope, template.stage(cycle.current_stage).sign_off, cycle, org)
            if cycle.current_stage
            else False
        )
        cancel = cycle.status == "active" and scope.administers(cycle.unit_id, org)
        title = (template.title.sv, template.title.en)
    view = cycle_views.cycle_view(app, cycle_id)
    history = audit.events(app, chain=f"cycle:{cycle_id}", limit=1000)
    return CycleDetail(view, history, sign_off, cancel, view.people, title)


def on_task(app: App, actor: Actor, task_id: int, action: Callable[[], T]) -> T:
    """Run an action on a task; if it is refused, answer NotFound when the person may not
    even see the task, so a refusal never tells a stranger that the task exists or what
    state it is in. (The action itself decides who may act; checking visibility only on
    the refused path keeps the common case to one transaction.)"""
    try:
        return action()
    except SamflowError:
        see_task(app, actor, task_id)
        raise


def see_cycle(app: App, actor: Actor, cycle_id: int) -> None:
    """NotFound unless the person may see the cycle (before acting on it)."""
    with app.read() as s:
        cycle = s.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFound("cycle", cycle_id)
        require_cycle(s, app, scope_of(s, actor, app), cycle)


def _may_sign_off(scope: Scope, expr: str, cycle: Cycle, org: OrgSnapshot) -> bool:
    address = taskgen.route(expr, cycle.unit_id, org)
    if address is not None and scope.auth.on_behalf_for_address(address)[0]:
        return True
    return access.line_above(scope.auth, org, cycle.unit_id)[0]


# --- jobs ---------------------------------------------------------------------------------
#: The units a job of each kind was made for, from its parameters (None: the whole
#: organisation), and the right that reaches them. A kind not listed here is for the whole
#: organisation's HR and director only. (``register_job_scope`` adds a kind.)
JobScope = Callable[[Session, dict[str, Any]], list[int] | None]
_JOB_SCOPES: dict[str, tuple[JobScope, str]] = {}


def register_job_scope(kind: str, units: JobScope, right: str = "admin") -> None:
    """``right``: "admin" (HR or a director at or above every unit) or "oversight"
    (whoever may see the units' evidence, ``access.may_oversee``)."""
    _JOB_SCOPES[kind] = (units, right)


def _code_units(key: str) -> JobScope:
    def units(s: Session, params: dict[str, Any]) -> list[int] | None:
        code = params.get(key)
        if not code:
            return None
        found = s.scalar(select(OrgUnit.id).where(OrgUnit.code == str(code)))
        return None if found is None else [found]

    return units


register_job_scope("start_year", _code_units("root"), "admin")
register_job_scope("evidence", _code_units("code"), "oversight")


def _cycle_unit(s: Session, params: dict[str, Any]) -> list[int] | None:
    found = s.scalar(select(Cycle.unit_id).where(Cycle.id == int(params.get("cycle_id", 0))))
    return [] if found is None else [found]


register_job_scope("plan_import", _cycle_unit, "oversight")


def job(app: App, actor: Actor, job_id: int) -> jobs.JobView:
    """A job's progress (and its file): for the one who started it, or someone whose
    rights reach every unit it was made for. Anyone else: not found."""
    view = jobs.get(app, job_id)
    if actor.person_id is not None and view.created_by != actor.person_id:
        with app.read() as s:
            if not _reaches_job(s, app, actor, view):
                raise NotFound("job", job_id)
    return view


def _reaches_job(s: Session, app: App, actor: Actor, view: jobs.JobView) -> bool:
    units_of, right = _JOB_SCOPES.get(view.kind, (lambda _s, _p: None, "admin"))
    units = units_of(s, view.params)
    if units is None:
        units = top_units(s)
    if not units:
        return False
    scope = scope_of(s, actor, app)
    org = ancestry(s, app, units)
    if right == "oversight":
        return all(access.may_oversee(scope.auth, org, u) for u in units)
    return all(scope.administers(u, org) for u in units)
