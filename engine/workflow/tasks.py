"""Use cases on human tasks: claim, complete, return, delegate, extend, approve in bulk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import OrgUnit, Person, Task
from engine.db.queries import TaskRef
from engine.domain.audit.chain import canonical_json
from engine.domain.clock import end_of_local_day, local_date
from engine.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
    SamflowError,
    StaleVersion,
    TaskNotOpen,
)
from engine.domain.workflow.escalation import Position, next_check
from engine.domain.workflow.machine import TASK, next_state
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import TaskStatus
from engine.org import access
from engine.workflow import taskgen, templates
from engine.workflow.cycles import chain
from engine.workflow.process import registry as process_registry
from forms.schemas import registry


@dataclass(frozen=True)
class TaskResult:
    task_id: int
    status: str
    version: int
    cycle_id: int
    notes: tuple[str, ...] = ()


def _open_task(
    tx: Tx, task_id: int, expected_version: int | None = None, actor: Actor | None = None
) -> TaskRef:
    me = actor.person_id if actor is not None else None
    task = queries.load_task(tx.unit, task_id, lock=True, me=me, day=local_date(tx.now))
    if expected_version is not None and task.version != expected_version:
        raise StaleVersion("task", task_id)
    if task.status != TaskStatus.OPEN:
        raise TaskNotOpen(task_id, task.status)
    if task.chain_seq is not None and task.chain_hash is not None:
        tx.audit.know(chain(task.cycle_id), task.chain_seq, task.chain_hash)
    return task


def _record(
    tx: Tx, actor: Actor, task: TaskRef, action: str, on_behalf: int | None, **data: Any
) -> None:
    tx.record(
        chain(task.cycle_id),
        action,
        "task",
        task.id,
        actor,
        on_behalf_of=on_behalf,
        unit_id=task.unit_id,
        data=data or None,
    )


def complete_task(
    app: App,
    actor: Actor,
    task_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> TaskResult:
    """Complete a task with its form input (validated against the task's form schema)."""

    def work(tx: Tx) -> TaskResult:
        task = _open_task(tx, task_id, expected_version, actor)
        on_behalf = access.require_work_on(tx, actor, task)
        form = registry.validate(
            task.form_key, dict(data), {"min_answers": app.settings.min_survey_answers}
        )
        payload = form.model_dump(mode="json")
        hooks = process_registry.registry()
        for check in hooks.form_checks(task.form_key):  # refusals before anything is written
            check(tx, actor, task, form, on_behalf)
        status = next_state(TASK, "task", "complete", TaskStatus(task.status)).value
        version = queries.update_task(
            tx.unit,
            task,
            status=status,
            data=canonical_json(payload),
            draft=None,
            closed_at=tx.now,
            closed_by=actor.person_id,
            on_behalf_of=on_behalf,
            next_check_at=None,
        )
        template = templates.by_id(app, tx.unit, task.template_id)
        done = process_registry.Completion(app, template, on_behalf)
        extra: dict[str, Any] = {}
        for form_done in hooks.form_done(task.form_key):  # what completing this form does
            extra |= form_done(tx, actor, task, form, done)
        for key in template.task(task.key).effects:  # named in the template, by key
            extra |= hooks.effect(key)(tx, actor, task, form)
        _record(
            tx,
            actor,
            task,
            "task.completed",
            on_behalf,
            key=task.key,
            form=task.form_key,
            input=payload,
            **extra,
        )
        return TaskResult(task.id, status, version, task.cycle_id, tuple(done.notes))

    return app.run(work)


def save_draft(app: App, actor: Actor, task_id: int, data: Mapping[str, Any]) -> TaskResult:
    """Keep unfinished input on the task (not validated, not submitted)."""

    def work(tx: Tx) -> TaskResult:
        task = _open_task(tx, task_id)
        on_behalf = access.require_work_on(tx, actor, task)
        next_state(TASK, "task", "save_draft", TaskStatus(task.status))
        version = queries.update_task(tx.unit, task, draft=canonical_json(dict(data)))
        _record(tx, actor, task, "task.draft_saved", on_behalf)
        return TaskResult(task.id, task.status, version, task.cycle_id)

    return app.run(work)


def claim_task(app: App, actor: Actor, task_id: int) -> TaskResult:
    """Take a task routed to your role, so it is yours alone."""

    def work(tx: Tx) -> TaskResult:
        task = _open_task(tx, task_id)
        if task.assignee_id is not None:
            if task.assignee_id == actor.person_id:
                return TaskResult(task.id, task.status, task.version, task.cycle_id)
            raise Conflict(
                f"task {task_id} is already claimed", f"uppgift {task_id} är redan tagen"
            )
        on_behalf = access.require_work_on(tx, actor, task)
        next_state(TASK, "task", "claim", TaskStatus(task.status))
        version = queries.update_task(tx.unit, task, assignee_id=actor.person_id)
        _record(tx, actor, task, "task.claimed", on_behalf)
        return TaskResult(task.id, task.status, version, task.cycle_id)

    return app.run(work)


def release_task(app: App, actor: Actor, task_id: int) -> TaskResult:
    """Give a claimed task back to the role it was routed to."""

    def work(tx: Tx) -> TaskResult:
        task = _open_task(tx, task_id)
        if task.assignee_id is None or task.role is None:
            raise Conflict(f"task {task_id} is not claimed", f"uppgift {task_id} är inte tagen")
        on_behalf = access.require_work_on(tx, actor, task)
        next_state(TASK, "task", "release", TaskStatus(task.status))
        version = queries.update_task(tx.unit, task, assignee_id=None)
        _record(tx, actor, task, "task.released", on_behalf)
        return TaskResult(task.id, task.status, version, task.cycle_id)

    return app.run(work)


def delegate_task(
    app: App, actor: Actor, task_id: int, to_email: str, reason: str = ""
) -> TaskResult:
    """Hand a task to another person: by whoever holds it, by the one it was escalated to,
    or by the line above."""

    def work(tx: Tx) -> TaskResult:
        task = _open_task(tx, task_id)
        allowed, on_behalf = access.may_work_on(tx, actor, task)
        if not allowed:
            org = queries.ancestry_snapshot(tx.session, [task.unit_id], local_date(tx.now))
            allowed, on_behalf = access.may_steer(access.authority(tx, actor), task, org)
        if not allowed:
            raise NotPermitted(
                f"you may not reassign task {task_id}", f"du får inte lämna över uppgift {task_id}"
            )
        target = queries.person_by_email(tx.session, to_email)
        if not target.active:
            raise InvalidInput.field(
                "to", f"{target.email} is not active", f"{target.email} är inte aktiv"
            )
        next_state(TASK, "task", "delegate", TaskStatus(task.status))
        version = queries.update_task(tx.unit, task, assignee_id=target.id)
        _record(
            tx,
            actor,
            task,
            "task.delegated",
            on_behalf,
            to=target.id,
            to_email=target.email,
            reason=reason,
            **{"from": task.assignee_id},
        )
        return TaskResult(task.id, task.status, version, task.cycle_id)

    return app.run(work)


def return_task(app: App, actor: Actor, task_id: int, reason: str) -> TaskResult:
    """Returnering: hand a task back up the line, in writing, with the reason (lacking
    authority, resources or knowledge). The task and the open measures held by the same
    role move to the manager above; the return itself stays on record. (A return naming
    what is lacking, recorded against the task allocation: ``engine.alloc.returns``.)"""
    _require_reason(reason)
    return app.run(lambda tx: return_in(tx, app, actor, task_id, reason).result)


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise InvalidInput.field(
            "reason",
            "a return needs a written reason",
            "en returnering behöver ett skriftligt skäl",
        )


@dataclass(frozen=True)
class Returned:
    result: TaskResult
    task: TaskRef  # as it was
    new_task_id: int
    target: Address


def return_in(tx: Tx, app: App, actor: Actor, task_id: int, reason: str, **audit: Any) -> Returned:
    """The return inside a transaction (``audit``: more fields of ``task.returned``)."""
    _require_reason(reason)
    task = _open_task(tx, task_id)
    on_behalf = access.require_work_on(tx, actor, task)
    if not access.returnable(task):
        raise NotPermitted(
            "only a manager's task is returned to the manager above",
            "bara en chefs uppgift returneras till chefen ovanför",
        )
    base_unit = task.role_unit_id or task.unit_id
    org = queries.ancestry_snapshot(tx.session, [base_unit], local_date(tx.now))
    target = taskgen.route("parent.manager", base_unit, org)
    if target is None:
        raise Conflict(
            "there is no manager above to return the task to",
            "det finns ingen chef ovanför att returnera uppgiften till",
        )
    status = next_state(TASK, "task", "return", TaskStatus(task.status)).value
    version = queries.update_task(
        tx.unit,
        task,
        status=status,
        closed_at=tx.now,
        closed_by=actor.person_id,
        on_behalf_of=on_behalf,
        reason=reason,
        next_check_at=None,
    )
    template = templates.by_id(app, tx.unit, task.template_id)
    row = taskgen.task_row(
        cycle_id=task.cycle_id,
        stage_id=task.stage_id,
        unit_id=task.unit_id,
        tdef=template.task(task.key),
        address=target,
        assignee_id=None,
        due_at=task.due_at,
        now=tx.now,
        ladder=template.ladder_for(task.key),
        round_=task.round,
        measure_id=task.measure_id,
        returned_from_id=task.id,
    )
    new_id = taskgen.insert_tasks(tx.session, [row])[0]
    _record(
        tx,
        actor,
        task,
        "task.returned",
        on_behalf,
        reason=reason,
        to=str(target),
        new_task=new_id,
        **audit,
    )
    taskgen.record_created(tx, actor, [row], [new_id], returned_from=task.id)
    unit = tx.session.scalar(select(OrgUnit.name).where(OrgUnit.id == target.unit_id))
    holder = target.role.en.lower()
    notes = [f"returned: the task is now with the {holder} of {unit}"]
    source = access.task_address(task)
    for returned in process_registry.registry().returned():  # e.g. measures move with it
        notes += returned(tx, actor, task, source, target)
    result = TaskResult(task.id, status, version, task.cycle_id, tuple(notes))
    return Returned(result, task, new_id, target)


def extend_due(app: App, actor: Actor, task_id: int, new_due: date, reason: str) -> TaskResult:
    """Move a deadline, with a reason: by the one it was escalated to or the line above.
    Reminders and escalation start over from the new date."""
    if not reason.strip():
        raise InvalidInput.field(
            "reason", "a new deadline needs a reason", "ett nytt slutdatum behöver ett skäl"
        )

    def work(tx: Tx) -> TaskResult:
        task = _open_task(tx, task_id)
        org = queries.ancestry_snapshot(tx.session, [task.unit_id], local_date(tx.now))
        allowed, on_behalf = access.may_steer(access.authority(tx, actor), task, org)
        if not allowed:
            raise NotPermitted(
                "only the one it was escalated to, or the line above, may move the deadline",
                "bara den som fått eskaleringen, eller chefen ovanför, får flytta slutdatumet",
            )
        due_at = end_of_local_day(new_due)
        if due_at <= tx.now:
            raise InvalidInput.field(
                "due",
                "the new deadline must be in the future",
                "det nya slutdatumet måste ligga i framtiden",
            )
        next_state(TASK, "task", "extend", TaskStatus(task.status))
        ladder = templates.by_id(app, tx.unit, task.template_id).ladder_for(task.key)
        version = queries.update_task(
            tx.unit,
            task,
            due_at=due_at,
            reminders_sent=0,
            escalation_level=0,
            escalation_role=None,
            escalation_unit_id=None,
            next_check_at=next_check(Position(due_at, 0, 0), ladder, tx.now),
        )
        _record(
            tx,
            actor,
            task,
            "task.due_extended",
            on_behalf,
            to=due_at,
            reason=reason,
            **{"from": task.due_at},
        )
        return TaskResult(task.id, task.status, version, task.cycle_id)

    return app.run(work)


@dataclass
class BulkOutcome:
    task_id: int
    ok: bool
    message_en: str = ""
    message_sv: str = ""
    code: str = ""


@dataclass
class BulkResult:
    outcomes: list[BulkOutcome] = field(default_factory=list)

    @property
    def approved(self) -> int:
        return sum(1 for o in self.outcomes if o.ok)


def bulk_approve(app: App, actor: Actor, task_ids: Sequence[int], comment: str = "") -> BulkResult:
    """Approve many approval tasks; each in its own transaction, each with its result (a
    task the person cannot see: "not found", as for an id that does not exist)."""
    result = BulkResult()
    for task_id in dict.fromkeys(task_ids):
        try:
            with app.read() as s:
                form_key = s.scalar(select(Task.form_key).where(Task.id == task_id))
            if form_key != "approval":
                raise Conflict(
                    f"task {task_id} is not an approval", f"uppgift {task_id} är inget godkännande"
                )
            complete_task(app, actor, task_id, {"decision": "approve", "comment": comment})
            result.outcomes.append(BulkOutcome(task_id, True))
        except SamflowError as refused:
            exc = _as_seen(app, actor, task_id, refused)
            result.outcomes.append(
                BulkOutcome(task_id, False, exc.message("en"), exc.message("sv"), exc.code)
            )
    return result


def _as_seen(app: App, actor: Actor, task_id: int, refused: SamflowError) -> SamflowError:
    """A refusal as the person may hear it: about a task they cannot see, only "not
    found", word for word as for an id that does not exist."""
    from engine.org.visibility import see_task

    try:
        see_task(app, actor, task_id)
    except NotFound as hidden:
        return hidden
    return refused


def active_person(app: App, email: str) -> Actor:
    """The Actor for a person named by e-mail (how the CLI's ``--as`` resolves)."""
    with app.read() as s:
        person = queries.person_by_email(s, email)
        if not person.active:
            raise NotPermitted(f"{person.email} is not active", f"{person.email} är inte aktiv")
        return Actor(person.id, person.email)


def person_of(app: App, person_id: int) -> Person | None:
    with app.read() as s:
        return s.get(Person, person_id)
