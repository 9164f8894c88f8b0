"""What completing a task does beyond closing it, by form: record the risks, write the
action plan, send a rejected plan back, update a measure after its follow-up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from engine.context import Actor, Tx
from engine.db.models import Cycle, Measure, Risk, Stage, Task
from engine.db.queries import TaskRef
from engine.domain.errors import NotPermitted
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import TaskStatus
from engine.plans import plan as plans
from engine.workflow.cycles import chain, send_back
from engine.workflow.process.registry import Completion
from forms.schemas.approval import Approval
from forms.schemas.base import Form
from forms.schemas.followup import MeasureFollowUp
from forms.schemas.plan import ActionPlan
from forms.schemas.risk import RiskAssessment


def four_eyes(tx: Tx, actor: Actor, task: TaskRef, form: Form, on_behalf: int | None) -> None:
    """An approval: one person does not approve the same plan in two roles (run before
    anything is written)."""
    if not (isinstance(form, Approval) and form.decision == "approve"):
        return
    signer = on_behalf or actor.person_id
    others = tx.session.scalars(
        select(Task).where(
            Task.stage_id == task.stage_id,
            Task.round == task.round,
            Task.id != task.id,
            Task.status == TaskStatus.COMPLETED.value,
            Task.form_key == "approval",
        )
    )
    for other in others:
        if signer in (other.closed_by, other.on_behalf_of):
            raise NotPermitted(
                "four eyes: you already approved this plan in another role; the manager "
                "and the safety representative must be two different people",
                "fyra ögon: du har redan godkänt planen i en annan roll; chef och "
                "skyddsombud måste vara två olika personer",
            )


def record_risks(
    tx: Tx, actor: Actor, task: TaskRef, form: Form, done: Completion
) -> dict[str, Any]:
    """A risk assessment: its risks become rows the plan's measures can point at."""
    assert isinstance(form, RiskAssessment)
    ids = _record_risks(tx, task, form)
    n = len(ids)
    done.notes.append(f"{n} {'risk' if n == 1 else 'risks'} recorded")
    return {"risk_ids": ids}


def write_plan(tx: Tx, actor: Actor, task: TaskRef, form: Form, done: Completion) -> dict[str, Any]:
    """An action plan: its measures are added to or updated in the cycle's plan."""
    assert isinstance(form, ActionPlan)
    summary = plans.apply_plan(tx, actor, _cycle(tx, task), task, form, done.on_behalf)
    made, changed = summary["created"], summary["updated"]
    done.notes.append(f"{made} {'measure' if made == 1 else 'measures'} added, {changed} updated")
    return summary


def send_back_on_reject(
    tx: Tx, actor: Actor, task: TaskRef, form: Form, done: Completion
) -> dict[str, Any]:
    """A rejected approval sends the cycle back to the stage the template names."""
    if not (isinstance(form, Approval) and form.decision == "reject"):
        return {}
    stage = done.template.stage(_stage_key(tx, task))
    back = stage.on_reject_back_to
    if back is None:
        return {}
    cycle = _cycle(tx, task)
    send_back(tx, actor, cycle, done.template, stage.key, back, form.comment, done.on_behalf)
    done.notes.append(f"sent back to the stage {done.template.stage(back).title.en!r}")
    return {"sent_back_to": back}


def follow_up(tx: Tx, actor: Actor, task: TaskRef, form: Form, done: Completion) -> dict[str, Any]:
    """A measure's follow-up updates the measure (status, dated history, next point)."""
    if not (isinstance(form, MeasureFollowUp) and task.measure_id is not None):
        return {}
    cycle = _cycle(tx, task)
    return plans.apply_follow_up(tx, actor, cycle, done.template, task, form, done.on_behalf)


def _cycle(tx: Tx, task: TaskRef) -> Cycle:
    cycle = tx.session.get(Cycle, task.cycle_id)
    assert cycle is not None
    return cycle


def _stage_key(tx: Tx, task: TaskRef) -> str:
    key = tx.session.scalar(select(Stage.key).where(Stage.id == task.stage_id))
    assert key is not None
    return key


def _record_risks(tx: Tx, task: TaskRef, form: RiskAssessment) -> list[int]:
    rows = [
        Risk(
            cycle_id=task.cycle_id,
            task_id=task.id,
            position=i + 1,
            description=r.description,
            domain=r.domain,
            probability=r.probability,
            consequence=r.consequence,
            serious=r.serious,
            created_at=tx.now,
        )
        for i, r in enumerate(form.risks)
        if not r.own_work_situation  # the manager's own: in the plan above (AFS 2023:2)
    ]
    tx.session.add_all(rows)
    tx.session.flush()
    return [r.id for r in rows]


def measures_follow_return(
    tx: Tx, actor: Actor, task: TaskRef, source: Address | None, target: Address
) -> list[str]:
    """After a return, open measures held by the returning role go up with the task, and so
    do their open follow-up tasks (the note says how many moved)."""
    moved = move_measures_up(tx, actor, task, source, target)
    if not moved:
        return []
    return [f"{moved} {'measure' if moved == 1 else 'measures'} moved with it"]


def move_measures_up(
    tx: Tx, actor: Actor, task: TaskRef, source: Address | None, target: Address
) -> int:
    if source is None:
        return 0
    s = tx.session
    measures = list(
        s.scalars(
            select(Measure).where(
                Measure.cycle_id == task.cycle_id,
                Measure.responsible_role == source.role.value,
                Measure.responsible_unit_id == source.unit_id,
                Measure.status.in_(plans.OPEN_MEASURE_STATES),
            )
        )
    )
    for m in measures:
        m.responsible_role, m.responsible_unit_id = target.role.value, target.unit_id
        m.updated_at = tx.now
        tx.record(
            chain(task.cycle_id),
            "measure.reassigned",
            "measure",
            m.id,
            actor,
            unit_id=task.unit_id,
            data={"from": str(source), "to": str(target), "reason": "task returned"},
        )
    if measures:
        s.execute(
            update(Task)
            .where(
                Task.measure_id.in_([m.id for m in measures]),
                Task.status == TaskStatus.OPEN.value,
                Task.assignee_id.is_(None),
            )
            .values(role=target.role.value, role_unit_id=target.unit_id, version=Task.version + 1)
            .execution_options(synchronize_session=False)
        )
    s.flush()
    return len(measures)
