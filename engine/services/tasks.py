"""Use cases on human tasks: claim, complete, return, delegate, extend, approve in bulk."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine.db import queries
from engine.db.models import Person, Task
from engine.domain.audit import canonical_json
from engine.domain.clock import end_of_local_day, local_date
from engine.domain.errors import (
    Conflict,
    InvalidInput,
    NotPermitted,
    SamflowError,
    StaleVersion,
    TaskNotOpen,
)
from engine.domain.escalation import Position, next_check
from engine.domain.machine import TASK, next_state
from engine.domain.states import TaskStatus
from engine.services import access, effects, taskgen, templates
from engine.services.context import Actor, App, Tx
from engine.services.cycles import chain
from forms.schemas import registry


@dataclass(frozen=True)
class TaskResult:
    task_id: int
    status: str
    version: int
    cycle_id: int
    notes: tuple[str, ...] = ()


def _open_task(tx: Tx, task_id: int, expected_version: int | None = None) -> tuple[Task, Any]:
    task, cycle = queries.task_context(tx.session, task_id, lock=True)
    if expected_version is not None and task.version != expected_version:
        raise StaleVersion("task", task_id)
    if task.status != TaskStatus.OPEN:
        raise TaskNotOpen(task_id, task.status)
    return task, cycle


def _result(task: Task, notes: Sequence[str] = ()) -> TaskResult:
    return TaskResult(task.id, task.status, task.version, task.cycle_id, tuple(notes))


def _flush(tx: Tx, task: Task) -> None:
    try:
        tx.session.flush()
    except StaleDataError:
        raise StaleVersion("task", task.id) from None


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
        task, cycle = _open_task(tx, task_id, expected_version)
        on_behalf = access.require_work_on(access.authority(tx, actor), task)
        form = registry.validate(
            task.form_key, dict(data), {"min_answers": app.settings.min_survey_answers}
        )
        payload = form.model_dump(mode="json")
        template = templates.by_id(app, tx.session, cycle.template_id)
        effects.check_before(tx, actor, task, form, on_behalf)
        task.status = next_state(TASK, "task", "complete", TaskStatus(task.status)).value
        task.data, task.draft = canonical_json(payload), None
        task.closed_at, task.closed_by, task.on_behalf_of = tx.now, actor.person_id, on_behalf
        task.next_check_at = None
        _flush(tx, task)
        notes, extra = effects.apply_after(tx, actor, task, cycle, template, form, on_behalf)
        tx.record(
            chain(cycle.id),
            "task.completed",
            "task",
            task.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=task.unit_id,
            data={"key": task.key, "form": task.form_key, "input": payload, **extra},
        )
        return _result(task, notes)

    return app.run(work)


def save_draft(app: App, actor: Actor, task_id: int, data: Mapping[str, Any]) -> TaskResult:
    """Keep unfinished input on the task (not validated, not submitted)."""

    def work(tx: Tx) -> TaskResult:
        task, cycle = _open_task(tx, task_id)
        on_behalf = access.require_work_on(access.authority(tx, actor), task)
        task.draft = canonical_json(dict(data))
        _flush(tx, task)
        tx.record(
            chain(cycle.id),
            "task.draft_saved",
            "task",
            task.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=task.unit_id,
        )
        return _result(task)

    return app.run(work)


def claim_task(app: App, actor: Actor, task_id: int) -> TaskResult:
    """Take a task routed to your role, so it is yours alone."""

    def work(tx: Tx) -> TaskResult:
        task, cycle = _open_task(tx, task_id)
        if task.assignee_id is not None:
            if task.assignee_id == actor.person_id:
                return _result(task)
            raise Conflict(
                f"task {task_id} is already claimed", f"uppgift {task_id} är redan tagen"
            )
        on_behalf = access.require_work_on(access.authority(tx, actor), task)
        next_state(TASK, "task", "claim", TaskStatus(task.status))
        task.assignee_id = actor.person_id
        _flush(tx, task)
        tx.record(
            chain(cycle.id),
            "task.claimed",
            "task",
            task.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=task.unit_id,
        )
        return _result(task)

    return app.run(work)


def release_task(app: App, actor: Actor, task_id: int) -> TaskResult:
    """Give a claimed task back to the role it was routed to."""

    def work(tx: Tx) -> TaskResult:
        task, cycle = _open_task(tx, task_id)
        if task.assignee_id is None or task.role is None:
            raise Conflict(f"task {task_id} is not claimed", f"uppgift {task_id} är inte tagen")
        on_behalf = access.require_work_on(access.authority(tx, actor), task)
        next_state(TASK, "task", "release", TaskStatus(task.status))
        task.assignee_id = None
        _flush(tx, task)
        tx.record(
            chain(cycle.id),
            "task.released",
            "task",
            task.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=task.unit_id,
        )
        return _result(task)

    return app.run(work)


def delegate_task(
    app: App, actor: Actor, task_id: int, to_email: str, reason: str = ""
) -> TaskResult:
    """Hand a task to another person: by whoever holds it, by the one it was escalated to,
    or by the line above."""

    def work(tx: Tx) -> TaskResult:
        task, cycle = _open_task(tx, task_id)
        auth = access.authority(tx, actor)
        allowed, on_behalf = access.may_work_on(auth, task)
        if not allowed:
            org = queries.ancestry_snapshot(tx.session, [task.unit_id], local_date(tx.now))
            allowed, on_behalf = access.may_steer(auth, task, org)
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
        before = task.assignee_id
        task.assignee_id = target.id
        _flush(tx, task)
        tx.record(
            chain(cycle.id),
            "task.delegated",
            "task",
            task.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=task.unit_id,
            data={"from": before, "to": target.id, "to_email": target.email, "reason": reason},
        )
        return _result(task)

    return app.run(work)


def return_task(app: App, actor: Actor, task_id: int, reason: str) -> TaskResult:
    """Returnering: hand a task back up the line, in writing, with the reason (lacking
    authority, resources or knowledge). The task and the open measures held by the same
    role move to the manager above; the return itself stays on record."""
    if not reason.strip():
        raise InvalidInput.field(
            "reason",
            "a return needs a written reason",
            "en returnering behöver ett skriftligt skäl",
        )

    def work(tx: Tx) -> TaskResult:
        task, cycle = _open_task(tx, task_id)
        on_behalf = access.require_work_on(access.authority(tx, actor), task)
        base_unit = task.role_unit_id or task.unit_id
        org = queries.ancestry_snapshot(tx.session, [base_unit], local_date(tx.now))
        target = taskgen.route("parent.manager", base_unit, org)
        if target is None:
            raise Conflict(
                "there is no manager above to return the task to",
                "det finns ingen chef ovanför att returnera uppgiften till",
            )
        task.status = next_state(TASK, "task", "return", TaskStatus(task.status)).value
        task.closed_at, task.closed_by, task.on_behalf_of = tx.now, actor.person_id, on_behalf
        task.reason, task.next_check_at = reason, None
        _flush(tx, task)
        template = templates.by_id(app, tx.session, cycle.template_id)
        tdef = template.task(task.key)
        row = taskgen.task_row(
            cycle_id=cycle.id,
            stage_id=task.stage_id,
            unit_id=task.unit_id,
            tdef=tdef,
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
        tx.record(
            chain(cycle.id),
            "task.returned",
            "task",
            task.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=task.unit_id,
            data={"reason": reason, "to": str(target), "new_task": new_id},
        )
        taskgen.record_created(tx, actor, [row], [new_id], returned_from=task.id)
        moved = effects.move_measures_up(tx, actor, cycle, access.task_address(task), target)
        notes = [f"new task {new_id} for {target}"] + ([f"{moved} measures moved"] if moved else [])
        return _result(task, notes)

    return app.run(work)


def extend_due(app: App, actor: Actor, task_id: int, new_due: date, reason: str) -> TaskResult:
    """Move a deadline, with a reason: by the one it was escalated to or the line above.
    Reminders and escalation start over from the new date."""
    if not reason.strip():
        raise InvalidInput.field(
            "reason", "a new deadline needs a reason", "ett nytt slutdatum behöver ett skäl"
        )

    def work(tx: Tx) -> TaskResult:
        task, cycle = _open_task(tx, task_id)
        auth = access.authority(tx, actor)
        org = queries.ancestry_snapshot(tx.session, [task.unit_id], local_date(tx.now))
        allowed, on_behalf = access.may_steer(auth, task, org)
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
        template = templates.by_id(app, tx.session, cycle.template_id)
        before = task.due_at
        task.due_at, task.reminders_sent, task.escalation_level = due_at, 0, 0
        task.escalation_role = task.escalation_unit_id = None
        task.next_check_at = next_check(
            Position(due_at, 0, 0), template.ladder_for(task.key), tx.now
        )
        _flush(tx, task)
        tx.record(
            chain(cycle.id),
            "task.due_extended",
            "task",
            task.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=task.unit_id,
            data={"from": before, "to": due_at, "reason": reason},
        )
        return _result(task)

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
    """Approve many approval tasks; each in its own transaction, each with its result."""
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
        except SamflowError as exc:
            result.outcomes.append(
                BulkOutcome(task_id, False, exc.message("en"), exc.message("sv"), exc.code)
            )
    return result


def task_input(task: Task) -> dict[str, Any]:
    return dict(json.loads(task.data)) if task.data else {}


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
