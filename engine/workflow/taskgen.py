"""Making tasks: one place that turns a task definition and an address into rows.

Used when a cycle starts, when a stage opens, when a task is returned up the line, and when
a follow-up is generated per measure. Rows are inserted in bulk with ``RETURNING`` so a
thousand tasks cost a few statements, not a thousand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.context import Actor, Tx
from engine.db.bulk import insert_returning_ids
from engine.db.models import Measure, Task
from engine.domain.errors import Unmet
from engine.domain.escalation import Ladder, Position, next_check
from engine.domain.org import OrgSnapshot
from engine.domain.routing import Address, RoleExpr, parse, resolve
from engine.domain.states import Role, TaskStatus
from engine.domain.template import CycleTemplate, StageDef, TaskDef


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
) -> dict[str, Any]:
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
        "next_check_at": next_check(Position(due_at, 0, 0), ladder, now),
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


def record_created(
    tx: Tx, actor: Actor, rows: Sequence[dict[str, Any]], ids: Sequence[int], **extra: Any
) -> None:
    for row, task_id in zip(rows, ids, strict=True):
        tx.record(
            f"cycle:{row['cycle_id']}",
            "task.created",
            "task",
            task_id,
            actor,
            unit_id=row["unit_id"],
            data={
                "key": row["key"],
                "role": row["role"],
                "role_unit_id": row["role_unit_id"],
                "assignee_id": row["assignee_id"],
                "due_at": row["due_at"],
                "measure_id": row["measure_id"],
                **extra,
            },
        )


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
    expr = parse(expr_text)
    assert isinstance(expr, RoleExpr)
    return resolve(expr, unit_id, org)


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
) -> list[dict[str, Any]]:
    rows = []
    for tdef in stage.tasks:
        if tdef.per_item:  # made per item when the case opens (engine.workflow.process.cases)
            continue
        ladder = template.ladder_for(tdef.key)
        if tdef.per_measure:
            for m in measures:
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
        rows.append(
            task_row(
                cycle_id=cycle_id,
                stage_id=stage_id,
                unit_id=unit_id,
                tdef=tdef,
                address=address,
                assignee_id=None,
                due_at=template.due_at(stage.key, tdef.due, year, tx.now),
                now=tx.now,
                ladder=ladder,
                round_=round_,
            )
        )
    return rows


def _measure_dates(m: Measure) -> dict[str, date]:
    out = {}
    if m.due_date is not None:
        out["due_date"] = m.due_date
    follow = m.follow_up_date or m.due_date
    if follow is not None:
        out["follow_up_date"] = follow
    return out
