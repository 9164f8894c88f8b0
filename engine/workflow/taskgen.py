"""Making tasks: one place that turns a task definition and an address into rows.

Used when a cycle starts, when a stage opens, when a task is returned up the line, and when
a follow-up is generated per measure. Rows are inserted in bulk with ``RETURNING`` so a
thousand tasks cost a few statements, not a thousand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.context import Actor, Tx
from engine.db.audit_store import EventRow, Pending, append_many, append_rows
from engine.db.bulk import insert_returning_ids
from engine.db.models import Measure, Task
from engine.domain.audit.chain import EventContent, canonical_json
from engine.domain.clock import end_of_local_day
from engine.domain.errors import Unmet
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.escalation import Ladder, Position, next_check
from engine.domain.workflow.routing import Address, RoleExpr, parse, resolve
from engine.domain.workflow.states import Role, TaskStatus
from engine.domain.workflow.template import CycleTemplate, StageDef, TaskDef


def task_row(
    *,
    cycle_id: int,
    stage_id: int,
    unit_id: int,
    tdef: TaskDef,
    address: Address | None,
    assignee_id: int | None,
    due_at: datetime,
    now: datetime,
    ladder: Ladder,
    round_: int,
    measure_id: int | None = None,
    returned_from_id: int | None = None,
    next_check_at: datetime | str | None = "compute",
) -> dict[str, Any]:
    """``next_check_at``: when the sweep first looks (default: worked out from the ladder)."""
    if isinstance(next_check_at, str):
        next_check_at = next_check(Position(due_at, 0, 0), ladder, now)
    return {
        "cycle_id": cycle_id,
        "stage_id": stage_id,
        "unit_id": unit_id,
        "key": tdef.key,
        "round": round_,
        "form_key": tdef.form,
        "required": tdef.required,
        "status": TaskStatus.OPEN.value,
        "role": address.role.value if address else None,
        "role_unit_id": address.unit_id if address else None,
        "assignee_id": assignee_id,
        "due_at": due_at,
        "reminders_sent": 0,
        "escalation_level": 0,
        "escalation_role": None,
        "escalation_unit_id": None,
        "next_check_at": next_check_at,
        "measure_id": measure_id,
        "returned_from_id": returned_from_id,
        "data": None,
        "draft": None,
        "created_at": now,
        "closed_at": None,
        "closed_by": None,
        "on_behalf_of": None,
        "reason": None,
        "version": 1,
    }


def insert_tasks(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    return insert_returning_ids(session, Task, rows)


#: From this many events on, a use case's events go through the bulk append.
BULK_EVENTS = 100


def record_many(
    tx: Tx, actor: Actor, events: Sequence[tuple[str, str, str, object, int | None, dict[str, Any]]]
) -> None:
    """Record (chain, action, subject type, subject id, unit, data) events: the same
    events as ``tx.record`` one by one, in bulk when there are many (the year start's tens
    of thousands: ``append_many``, the chain computed in one pass)."""
    if len(events) < BULK_EVENTS:
        for chain, action, subject_type, subject_id, unit_id, data in events:
            tx.record(chain, action, subject_type, subject_id, actor, unit_id=unit_id, data=data)
        return
    append_many(
        tx.audit,
        [
            Pending(
                chain,
                EventContent(
                    action=action,
                    subject_type=subject_type,
                    subject_id=str(subject_id),
                    at=tx.now,
                    actor_id=actor.person_id,
                    actor_label=actor.label,
                    on_behalf_of_id=None,
                    unit_id=unit_id,
                    data_json=canonical_json(data),
                ),
            )
            for chain, action, subject_type, subject_id, unit_id, data in events
        ],
    )


def record_created(
    tx: Tx, actor: Actor, rows: Sequence[dict[str, Any]], ids: Sequence[int], **extra: Any
) -> None:
    record_many(
        tx,
        actor,
        [
            (
                f"cycle:{row['cycle_id']}",
                "task.created",
                "task",
                task_id,
                row["unit_id"],
                {
                    "key": row["key"],
                    "role": row["role"],
                    "role_unit_id": row["role_unit_id"],
                    "assignee_id": row["assignee_id"],
                    "due_at": row["due_at"],
                    "measure_id": row["measure_id"],
                    **extra,
                },
            )
            for row, task_id in zip(rows, ids, strict=True)
        ],
    )


def record_started(
    tx: Tx,
    actor: Actor,
    started: Sequence[tuple[str, str, str, object, int | None, dict[str, Any]]],
    rows: Sequence[dict[str, Any]],
    ids: Sequence[int],
) -> None:
    """A year start's events in one bulk append: each cycle's ``cycle.started`` (events as
    ``record_many`` takes them, one per cycle) followed by its tasks' ``task.created`` —
    the same events, chains, sequence numbers and data as ``record_many`` and then
    ``record_created``, with a cycle's events next to each other in the log (its chain's
    index entries go in together) and the data's JSON written once per distinct payload
    (``_created_json``) instead of encoded event by event."""
    at, who, label = tx.now, actor.person_id, actor.label
    created = _created_json()
    tasks: dict[object, list[EventRow]] = {}
    for row, task_id in zip(rows, ids, strict=True):
        cycle_id = row["cycle_id"]
        tasks.setdefault(cycle_id, []).append(
            (f"cycle:{cycle_id}", at, who, None, label, "task.created", "task", str(task_id),
             row["unit_id"], created(row))
        )  # fmt: skip
    out: list[EventRow] = []
    last: tuple[dict[str, Any], str] | None = None
    for chain, action, subject_type, subject_id, unit_id, data in started:
        if last is None or last[0] != data:  # the year start's are all alike
            last = (data, canonical_json(data))
        out.append(
            (chain, at, who, None, label, action, subject_type, str(subject_id), unit_id, last[1])
        )
        out += tasks.pop(subject_id, ())
    for rest in tasks.values():  # (tasks of a cycle with no event of its own: none today)
        out += rest
    append_rows(tx.audit, out)


def _created_json() -> Callable[[dict[str, Any]], str]:
    """``canonical_json`` of a ``task.created`` event's data (``record_created`` without
    extras), byte for byte: the keys sort with ``role_unit_id`` last, so the text up to it
    is encoded once per distinct (assignee, due, key, measure, role) and the unit's id
    appended. Values of other types than a start makes go through ``canonical_json``."""
    prefixes: dict[tuple[Any, ...], str] = {}

    def encode(row: dict[str, Any]) -> str:
        a, due, key = row["assignee_id"], row["due_at"], row["key"]
        m, role, ru = row["measure_id"], row["role"], row["role_unit_id"]
        data = {"key": key, "role": role, "role_unit_id": ru, "assignee_id": a,
                "due_at": due, "measure_id": m}  # fmt: skip
        if not (
            (a is None or type(a) is int)
            and type(due) is datetime
            and type(key) is str
            and (m is None or type(m) is int)
            and (role is None or type(role) is str)
            and (ru is None or type(ru) is int)
        ):
            return canonical_json(data)
        # equal instants with one tzinfo and fold have the same text (isoformat)
        memo = (a, due, due.tzinfo, due.fold, key, m, role)
        prefix = prefixes.get(memo)
        if prefix is None:
            text = canonical_json({**data, "role_unit_id": 0})
            assert text.endswith(',"role_unit_id":0}')
            prefix = prefixes[memo] = text[:-2]
        return f"{prefix}{'null' if ru is None else ru}}}"

    return encode


def cancel_tasks(
    tx: Tx, actor: Actor, cycle_id: int, unit_id: int, ids: Sequence[int], reason: str
) -> int:
    """Cancel open tasks (a cycle cancelled, a stage sent back, a measure struck), each with
    its reason in the audit log; nothing is deleted."""
    if not ids:
        return 0
    tx.session.execute(
        update(Task)
        .where(Task.id.in_(ids), Task.status == TaskStatus.OPEN.value)
        .values(
            status=TaskStatus.CANCELLED.value,
            closed_at=tx.now,
            closed_by=actor.person_id,
            reason=reason,
            next_check_at=None,
            version=Task.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    for task_id in ids:
        tx.record(
            f"cycle:{cycle_id}",
            "task.cancelled",
            "task",
            task_id,
            actor,
            unit_id=unit_id,
            data={"reason": reason},
        )
    return len(ids)


def route(expr_text: str, unit_id: int, org: OrgSnapshot) -> Address | None:
    key = (expr_text, unit_id)
    memo = org.routes
    if key in memo:
        return memo[key]
    expr = parse(expr_text)
    assert isinstance(expr, RoleExpr)
    found = memo[key] = resolve(expr, unit_id, org)
    return found


def routing_gaps(stage: StageDef, unit_id: int, org: OrgSnapshot) -> list[Unmet]:
    """Roles the stage's tasks go to that nobody holds for this unit (HR must fix them)."""
    gaps = []
    for expr in sorted({t.role for t in stage.tasks if not (t.per_measure or t.per_item)}):
        if route(expr, unit_id, org) is None:
            role = parse(expr)
            assert isinstance(role, RoleExpr)
            gaps.append(
                Unmet(
                    "roles_staffed",
                    f"nobody holds the role {role.role.en} for this unit",
                    f"ingen har rollen {role.role.sv} för enheten",
                    subject=f"role:{expr}",
                )
            )
    return gaps


def measure_address(m: Measure) -> tuple[Address | None, int | None]:
    if m.responsible_person_id is not None:
        return None, m.responsible_person_id
    if m.responsible_role is not None and m.responsible_unit_id is not None:
        return Address(Role(m.responsible_role), m.responsible_unit_id), None
    return None, None


def stage_task_rows(
    *,
    tx: Tx,
    template: CycleTemplate,
    stage: StageDef,
    cycle_id: int,
    stage_id: int,
    unit_id: int,
    year: int,
    org: OrgSnapshot,
    round_: int,
    measures: Sequence[Measure] = (),
    subject: dict[str, Any] | None = None,
    memo: dict[Any, Any] | None = None,
) -> list[dict[str, Any]]:
    """The rows of a stage's tasks. ``subject``: a case's fields, when it opens (a task
    ``when`` a field is false is not made; ``due.subject_field`` reads its date there).
    ``memo``: kept by a caller making the same stage's tasks for many units at once (a
    year start), so each task's ladder, deadline and first check are worked out once."""
    rows = []
    dates = {k: v for k, v in (subject or {}).items() if isinstance(v, date)}
    for tdef in stage.tasks:
        if tdef.per_item:  # made per item when the case opens (engine.workflow.process.cases)
            continue
        if tdef.when and subject is not None and not subject.get(tdef.when):
            continue
        lk = ("ladder", tdef.key)
        ladder = memo.get(lk) if memo is not None else None
        if ladder is None:
            ladder = template.ladder_for(tdef.key)
            if memo is not None:
                memo[lk] = ladder
        if tdef.per_measure:
            for m in measures:
                field = tdef.due.measure_field
                if field is not None and field not in _measure_dates(m):
                    continue  # no follow-up point given: no follow-up task made up
                address, person = measure_address(m)
                rows.append(
                    task_row(
                        cycle_id=cycle_id,
                        stage_id=stage_id,
                        unit_id=unit_id,
                        tdef=tdef,
                        address=address,
                        assignee_id=person,
                        due_at=template.due_at(
                            stage.key, tdef.due, year, tx.now, _measure_dates(m)
                        ),
                        now=tx.now,
                        ladder=ladder,
                        round_=round_,
                        measure_id=m.id,
                    )
                )
            continue
        address = route(tdef.role, unit_id, org)
        # a hook's due date depends on the case (not memoised), the others on the stage only
        hooked = bool(tdef.due.hook)
        key = (stage.key, tdef.key, year, tx.now) if memo is not None and not dates else None
        key = None if hooked else key
        timing = memo.get(key) if memo is not None and key is not None else None
        if timing is None:
            due_at = (
                _hook_due(tx, tdef, cycle_id)
                if hooked
                else template.due_at(stage.key, tdef.due, year, tx.now, dates)
            )
            timing = (due_at, next_check(Position(due_at, 0, 0), ladder, tx.now))
            if memo is not None and key is not None:
                memo[key] = timing
        rows.append(
            task_row(
                cycle_id=cycle_id,
                stage_id=stage_id,
                unit_id=unit_id,
                tdef=tdef,
                address=address,
                assignee_id=None,
                due_at=timing[0],
                now=tx.now,
                ladder=ladder,
                round_=round_,
                next_check_at=timing[1],
            )
        )
    return rows


def _hook_due(tx: Tx, tdef: TaskDef, cycle_id: int) -> datetime:
    """The end of the day a ``due`` hook gives (a plan's first review at its rhythm)."""
    from engine.workflow.process.registry import registry

    assert tdef.due.hook is not None
    return end_of_local_day(registry().due(tdef.due.hook)(tx, cycle_id, tdef.key))


def _measure_dates(m: Measure) -> dict[str, date]:
    out = {}
    if m.due_date is not None:
        out["due_date"] = m.due_date
    if m.follow_up_date is not None:  # never the due date in its place
        out["follow_up_date"] = m.follow_up_date
    return out
