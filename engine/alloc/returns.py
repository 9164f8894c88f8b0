"""Returnering (AFS 2023:1 9 §, allmänna råd; practice: in writing, to whoever allocated):
a manager hands an allocated task, or one case of it, back to the manager above, naming
what is lacking (authority, resources, knowledge) and why. The case (and the open measures
the manager's role holds in its cycle) goes to the manager above as for every return
(``engine.workflow.tasks.return_in``); the return is recorded against the allocation, where
the allocator decides: resources given (the work goes back to the manager), taken back (the
allocator keeps it), or allocated elsewhere (to a named person, with the measures).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from engine.alloc import allocations
from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Measure, OrgUnit, Person, Task
from engine.db.models.duties.alloc import AllocationItem, AllocationReturn
from engine.db.queries import TaskRef
from engine.domain import allocation as rules
from engine.domain.audit.chain import canonical_json
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted
from engine.domain.workflow.machine import TASK, next_state
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus
from engine.plans import effects
from engine.plans.plan import OPEN_MEASURE_STATES
from engine.workflow import allocation_gate, cycles, tasks, templates
from engine.workflow.cycles import chain as cycle_chain
from engine.workflow.process import cases as processes
from engine.workflow.process.registry import Completion
from engine.workflow.tasks import TaskResult
from forms.schemas.base import Form


@dataclass(frozen=True)
class ReturnedOut:
    return_id: int
    allocation_id: int | None
    tasks: tuple[tuple[int, int], ...]  # (returned task, its new task with the manager above)
    notes: tuple[str, ...] = ()
    result: TaskResult | None = None  # one case: the returned task as it is now


def _check(lacking: Sequence[str], reason: str) -> None:
    errors = rules.lacking_errors(lacking, reason)
    if errors:
        raise InvalidInput(errors)


def return_case(
    app: App, actor: Actor, task_id: int, lacking: Sequence[str], reason: str
) -> ReturnedOut:
    """One case of an allocated task (a task in the inbox) goes back to the allocator."""
    _check(lacking, reason)
    what = rules.joined(lacking)

    def work(tx: Tx) -> ReturnedOut:
        done = tasks.return_in(tx, app, actor, task_id, reason, lacking=what)
        unit = done.task.role_unit_id or done.task.unit_id
        current = allocations.current_for(tx.session, unit)
        item = _item(tx, current.id if current else None, allocations.item_of_task(done.task.key))
        row = _record(
            app,
            tx,
            actor,
            unit,
            done.target.unit_id,
            current,
            item,
            what,
            reason,
            [(task_id, done.new_task_id)],
            task_id,
            case_title=_task_title(app, tx, done.task),
        )
        return ReturnedOut(
            row.id,
            row.allocation_id,
            ((task_id, done.new_task_id),),
            done.result.notes,
            done.result,
        )

    return app.run(work)


def return_item(
    app: App, actor: Actor, allocation_id: int, key: str, lacking: Sequence[str], reason: str
) -> ReturnedOut:
    """The whole allocated task goes back: its open cases at the unit go with it."""
    _check(lacking, reason)
    what = rules.joined(lacking)

    def work(tx: Tx) -> ReturnedOut:
        s, day = tx.session, local_date(tx.now)
        row = allocations._load(s, allocation_id, lock=True)
        allocations.require_visible(s, actor, row, day)
        if actor.person_id != row.manager_id:
            raise NotPermitted(
                "only the manager it is allocated to returns a task of it",
                "bara chefen som fördelningen gäller returnerar en uppgift i den",
            )
        if row.state != rules.ACCEPTED:
            raise Conflict(
                "only an accepted allocation's tasks are returned (an offer is returned whole)",
                "bara en accepterad fördelnings uppgifter returneras (ett erbjudande "
                "returneras i sin helhet)",
            )
        item = _item(tx, row.id, key)
        if item is None:
            raise InvalidInput.field(
                "item",
                f"the allocation has no task {key!r}",
                f"fördelningen har ingen uppgift {key!r}",
            )
        if _open_return(tx, item.id):
            raise Conflict(
                "that task is already returned and awaits a decision",
                "uppgiften är redan returnerad och väntar på beslut",
            )
        above = allocations.allocator_of(s, row.unit_id, day)
        if above is None:
            raise Conflict(
                "there is no manager above to return the task to",
                "det finns ingen chef ovanför att returnera uppgiften till",
            )
        covers = allocations.catalogue()[key].covers
        open_ids = list(
            s.scalars(
                select(Task.id)
                .where(
                    Task.status == TaskStatus.OPEN.value,
                    Task.key.in_(covers),
                    Task.role == Role.MANAGER.value,
                    Task.role_unit_id == row.unit_id,
                )
                .order_by(Task.id)
            )
        )
        pairs = []
        notes: list[str] = []
        for tid in open_ids:
            done = tasks.return_in(tx, app, actor, tid, reason, lacking=what)
            pairs.append((tid, done.new_task_id))
            notes += done.result.notes
        ret = _record(
            app, tx, actor, row.unit_id, above.unit_id, row, item, what, reason, pairs, None
        )
        return ReturnedOut(ret.id, row.id, tuple(pairs), tuple(dict.fromkeys(notes)))

    return app.run(work)


def _item(tx: Tx, allocation_id: int | None, key: str | None) -> AllocationItem | None:
    if allocation_id is None or key is None:
        return None
    return tx.session.scalar(
        select(AllocationItem).where(
            AllocationItem.allocation_id == allocation_id, AllocationItem.key == key
        )
    )


def _open_return(tx: Tx, item_id: int) -> bool:
    return (
        tx.session.scalar(
            select(AllocationReturn.id).where(
                AllocationReturn.item_id == item_id,
                AllocationReturn.task_id.is_(None),
                AllocationReturn.state == "open",
            )
        )
        is not None
    )


def _task_title(app: App, tx: Tx, task: Any) -> str:
    """The returned case's title, as its template names it (Swedish: the subject's data)."""
    try:
        return templates.by_id(app, tx.unit, task.template_id).task(task.key).title.sv
    except (KeyError, LookupError):
        return str(task.key)


def _record(
    app: App,
    tx: Tx,
    actor: Actor,
    unit_id: int,
    to_unit_id: int,
    allocation: object,
    item: AllocationItem | None,
    lacking: str,
    reason: str,
    pairs: list[tuple[int, int]],
    task_id: int | None,
    *,
    case_title: str = "",
) -> AllocationReturn:
    """The return, recorded against the allocation, and the allocator's decision task
    opened (``allocation-return.yaml``) in the same transaction."""
    alloc_id = getattr(allocation, "id", None)
    row = AllocationReturn(
        allocation_id=alloc_id,
        item_id=item.id if item else None,
        unit_id=unit_id,
        to_unit_id=to_unit_id,
        task_id=task_id,
        new_task_id=pairs[0][1] if task_id is not None else None,
        tasks=json.dumps(pairs),
        lacking=lacking,
        reason=reason.strip(),
        returned_by=actor.person_id,
        returned_at=tx.now,
        state="open",
        decision_note="",
    )
    tx.session.add(row)
    tx.session.flush()
    tx.record(
        allocations.chain(unit_id),
        "allocation.task_returned",
        "allocation_return",
        row.id,
        actor,
        unit_id=unit_id,
        data={
            "allocation": alloc_id,
            "item": item.key if item else None,
            "tasks": pairs,
            "lacking": lacking,
            "reason": row.reason,
        },
    )
    sam_task = allocations.catalogue().get(item.key) if item else None
    what = sam_task.sv if sam_task else case_title
    row.decision_cycle_id = _open_decision(app, tx, actor, row, what or "–")
    return row


DECISION_KIND = "allocation_return"
DECISION_STAGE = "decide"


def _open_decision(app: App, tx: Tx, actor: Actor, row: AllocationReturn, what: str) -> int:
    """The allocator's decision as a task in their inbox (a case of allocation-return.yaml,
    routed to the manager above the returning unit, with its due date, reminders and
    escalation); returns its cycle."""
    code = tx.session.scalar(select(OrgUnit.code).where(OrgUnit.id == row.unit_id))
    words = dict(zip(rules.LACKING, ("befogenheter", "resurser", "kunskaper"), strict=True))
    subject = processes.parse_subject(
        DECISION_KIND,
        {
            "unit": code,
            "returned_on": local_date(tx.now),
            "what": what[:200],
            "lacking": ", ".join(words[x] for x in row.lacking.split(",") if x in words),
            "reason": row.reason,
        },
    )
    return processes.open_in(app, tx, actor, DECISION_KIND, subject).cycle_id


# --- the allocator decides ----------------------------------------------------------------
@dataclass(frozen=True)
class DecidedOut:
    return_id: int
    outcome: str
    moved: int  # open tasks that moved with the decision


def decide(
    app: App,
    actor: Actor,
    return_id: int,
    outcome: str,
    note: str = "",
    to_email: str = "",
) -> DecidedOut:
    """The allocator's decision on a return: ``resources`` (what was lacking is given: the
    work goes back to the manager), ``taken_back`` (the allocator keeps it), ``elsewhere``
    (allocated to the person ``to_email``: the open cases and their measures go to them)."""
    errors = []
    if outcome not in rules.OUTCOMES:
        errors.append(
            FieldError(
                "outcome",
                "resources, taken_back or elsewhere",
                "resources, taken_back eller elsewhere",
            )
        )
    if outcome == "resources" and not note.strip():
        errors.append(
            FieldError(
                "note",
                "say what is given (authority, resources, knowledge)",
                "ange vad som ges (befogenheter, resurser, kunskaper)",
            )
        )
    if outcome == "elsewhere" and not to_email.strip():
        errors.append(
            FieldError(
                "to", "name the person it is allocated to", "ange personen uppgiften fördelas till"
            )
        )
    if len(note) > rules.MAX_REASON:
        errors.append(
            FieldError(
                "note", f"at most {rules.MAX_REASON} characters", f"högst {rules.MAX_REASON} tecken"
            )
        )
    if errors:
        raise InvalidInput(errors)

    return app.run(lambda tx: decide_in(app, tx, actor, return_id, outcome, note, to_email))


def decide_in(
    app: App,
    tx: Tx,
    actor: Actor,
    return_id: int,
    outcome: str,
    note: str,
    to_email: str,
    *,
    from_task: bool = False,
) -> DecidedOut:
    """``decide`` in the caller's transaction. The decision task is closed with it: done
    here on the allocation's page (or the API, or the CLI), it is completed with the
    decision as its input; done through the task itself (``from_task``, the form hook
    ``allocation_return_decision``), the task is already completing. Either way its case
    is closed."""
    s, day = tx.session, local_date(tx.now)
    row = s.scalar(
        select(AllocationReturn).where(AllocationReturn.id == return_id).with_for_update()
    )
    if row is None or not _visible(tx, actor, row):
        raise NotFound("return", return_id)
    if row.state != "open":
        raise Conflict("the return is already decided", "returneringen är redan beslutad")
    if not allocations.may_decide(s, actor, row, day):
        raise NotPermitted(
            "the allocator (the manager above) decides a return",
            "den som fördelade uppgiften (chefen ovanför) beslutar om returneringen",
        )
    person = None
    if outcome == "elsewhere":
        person = s.scalar(select(Person).where(Person.email == to_email.strip().lower()))
        if person is None or not person.active:
            raise InvalidInput.field(
                "to",
                f"no person has the e-mail {to_email!r}",
                f"ingen person har e-postadressen {to_email!r}",
            )
    moved = 0
    for _old, new in json.loads(row.tasks):
        moved += _apply(tx, actor, row, int(new), outcome, person)
    row.state, row.outcome = "decided", outcome
    row.decision_note, row.decided_by, row.decided_at = note.strip(), actor.person_id, tx.now
    row.to_person_id = person.id if person else None
    tx.record(
        allocations.chain(row.unit_id),
        "allocation.return_decided",
        "allocation_return",
        row.id,
        actor,
        unit_id=row.unit_id,
        data={
            "outcome": outcome,
            "note": row.decision_note,
            "to": person.email if person else None,
            "moved": moved,
        },
    )
    if row.decision_cycle_id is not None:
        payload = {"outcome": outcome, "note": row.decision_note, "to": to_email.strip()}
        _close_decision(app, tx, actor, row.decision_cycle_id, payload, from_task=from_task)
    return DecidedOut(row.id, outcome, moved)


def _close_decision(
    app: App, tx: Tx, actor: Actor, cycle_id: int, payload: dict[str, Any], *, from_task: bool
) -> None:
    """Complete the open decision task (unless it is the one completing) and sign off its
    stage, which closes the case: the decision is made, whoever made it."""
    s = tx.session
    if not from_task:
        for tid in s.scalars(
            select(Task.id).where(Task.cycle_id == cycle_id, Task.status == TaskStatus.OPEN.value)
        ):
            ref = queries.load_task(tx.unit, tid, lock=True)
            status = next_state(TASK, "task", "complete", TaskStatus(ref.status)).value
            queries.update_task(
                tx.unit,
                ref,
                status=status,
                data=canonical_json(payload),
                draft=None,
                closed_at=tx.now,
                closed_by=actor.person_id,
                next_check_at=None,
            )
            tx.record(
                cycle_chain(cycle_id),
                "task.completed",
                "task",
                tid,
                actor,
                unit_id=ref.unit_id,
                data={
                    "key": ref.key,
                    "form": ref.form_key,
                    "input": payload,
                    "decided_on": "allocation",
                },
            )
    cycles.sign_off_in(app, tx, actor, cycle_id, DECISION_STAGE, authorized=True)


def decided_by_task(
    tx: Tx, actor: Actor, task: TaskRef, form: Form, done: Completion
) -> dict[str, Any]:
    """Form hook ``allocation_return_decision``: the allocator completed the decision task
    in their inbox; the decision is made as on the allocation's page, in this transaction
    (the returned cases move, the return shows the outcome, the case closes)."""
    row = tx.session.scalar(
        select(AllocationReturn).where(AllocationReturn.decision_cycle_id == task.cycle_id)
    )
    if row is None:
        raise NotFound("return", task.cycle_id)
    data = form.model_dump()
    out = decide_in(
        done.app,
        tx,
        actor,
        row.id,
        data["outcome"],
        data.get("note", ""),
        data.get("to", ""),
        from_task=True,
    )
    return {"return_outcome": out.outcome, "moved": out.moved}


def _visible(tx: Tx, actor: Actor, row: AllocationReturn) -> bool:
    day = local_date(tx.now)
    if actor.person_id is None or actor.person_id == row.returned_by:
        return True
    org = queries.ancestry_snapshot(tx.session, [row.unit_id], day)
    auth = queries.authority(tx.session, actor.person_id, day)
    from engine.org import access

    return access.may_oversee(auth, org, row.unit_id)


def _apply(
    tx: Tx, actor: Actor, row: AllocationReturn, task_id: int, outcome: str, person: Person | None
) -> int:
    """Move one returned case as decided (if it is still open and with the allocator)."""
    s = tx.session
    t = s.get_one(Task, task_id)
    if t.status != TaskStatus.OPEN.value or t.role is None or t.role_unit_id != row.to_unit_id:
        return 0  # done or handed on meanwhile: it stays where it is
    above = Address(Role(t.role), row.to_unit_id)
    if outcome == "taken_back":
        return 0
    ref = queries.load_task(tx.unit, task_id, lock=True)
    if outcome == "resources":
        back = Address(Role.MANAGER, row.unit_id)
        t.role, t.role_unit_id, t.assignee_id = back.role.value, back.unit_id, None
        s.flush()  # before the measures' tasks are moved in bulk (this one among them)
        effects.move_measures_up(tx, actor, ref, above, back)
        to = str(back)
    else:
        assert person is not None
        t.assignee_id = person.id
        s.flush()
        _measures_to(tx, actor, t, above, person)
        to = person.email
    tx.record(
        cycle_chain(t.cycle_id),
        "task.return_decided",
        "task",
        t.id,
        actor,
        unit_id=t.unit_id,
        data={"outcome": outcome, "to": to},
    )
    s.flush()
    return 1


def _measures_to(tx: Tx, actor: Actor, t: Task, source: Address, person: Person) -> None:
    """The open measures the allocator's role holds in the cycle go to the person."""
    s = tx.session
    measures = list(
        s.scalars(
            select(Measure).where(
                Measure.cycle_id == t.cycle_id,
                Measure.responsible_role == source.role.value,
                Measure.responsible_unit_id == source.unit_id,
                Measure.status.in_(OPEN_MEASURE_STATES),
            )
        )
    )
    for m in measures:
        m.responsible, m.responsible_person_id = person.email, person.id
        m.responsible_role = m.responsible_unit_id = None
        m.updated_at = tx.now
        tx.record(
            cycle_chain(t.cycle_id),
            "measure.reassigned",
            "measure",
            m.id,
            actor,
            unit_id=t.unit_id,
            data={
                "from": str(source),
                "to_person": person.id,
                "reason": "return allocated elsewhere",
            },
        )
    if measures:
        s.execute(
            update(Task)
            .where(
                Task.measure_id.in_([m.id for m in measures]), Task.status == TaskStatus.OPEN.value
            )
            .values(assignee_id=person.id, version=Task.version + 1)
            .execution_options(synchronize_session=False)
        )


def return_of_task(app: App, task_id: int) -> dict[str, Any] | None:
    """What the task's page shows about the return that brought it (what was lacking),
    and the outcome once decided."""
    with app.read() as s:
        return allocation_gate.return_of_task(s, task_id)


def decision_context(s: Any, task: Any, case: Any, item: Any) -> dict[str, Any]:
    """``allocation.return_context``: the decision task's page shows the return — who
    returned what, what is lacking and why, the cases now with the allocator (to open
    them), the allocation it is recorded against, and the outcome once decided."""
    row = s.scalar(
        select(AllocationReturn).where(AllocationReturn.decision_cycle_id == task.cycle_id)
    )
    if row is None:
        return {}
    sam_task = None
    if row.item_id is not None:
        key = s.scalar(select(AllocationItem.key).where(AllocationItem.id == row.item_id))
        sam_task = allocations.catalogue().get(key or "")
    names = queries.person_names(s, [p for p in (row.returned_by, row.to_person_id) if p])
    new_ids = [int(new) for _old, new in json.loads(row.tasks)]
    cases = [
        (tid, key, status)
        for tid, key, status in s.execute(
            select(Task.id, Task.key, Task.status).where(Task.id.in_(new_ids)).order_by(Task.id)
        )
    ]
    return {
        "allocation_return": {
            "by": names.get(row.returned_by, ("", ""))[0] if row.returned_by else "",
            "at": row.returned_at,
            "unit": s.scalar(select(OrgUnit.name).where(OrgUnit.id == row.unit_id)) or "",
            "what_sv": sam_task.sv if sam_task else "",
            "what_en": sam_task.en if sam_task else "",
            "lacking": [x for x in row.lacking.split(",") if x],
            "reason": row.reason,
            "allocation_id": row.allocation_id,
            "cases": cases,
            "state": row.state,
            "outcome": row.outcome,
            "note": row.decision_note,
            "to": names.get(row.to_person_id, ("", ""))[0] if row.to_person_id else "",
        }
    }
