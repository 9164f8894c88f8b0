"""A new manager gets the unit's open SAM tasks only once their allocation is accepted.

Tasks are routed to a role at a unit (``manager@U``) and found by whoever holds it on the
day, so a new manager would see the unit's open tasks at once. Until the new manager has
accepted a written allocation, the manager above holds them instead: each open task routed
to the unit's manager that was made before the new manager took over is given to the
manager above (``task.assignee_id``), recorded as an ``allocation_hold`` and as an event in
the task's cycle chain. When the allocation is accepted, the holds are released and the
tasks go back to the role (the new manager); a task the manager above handed on meanwhile
stays where it went.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.alloc import common
from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import RoleAssignment, Task
from engine.db.models.alloc import AllocationHold
from engine.domain.clock import local_date
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus
from engine.org.visibility import require_admin, scope_of, top_units
from engine.workflow.allocation_gate import hold_of_task as hold_of_task  # noqa: PLC0414


def _start(s: Session, unit_id: int, manager_id: int, day: Any) -> datetime | None:
    """When the manager's current span as the unit's manager began (the day's start)."""
    starts = [
        r.valid_from
        for r in s.scalars(
            select(RoleAssignment).where(
                RoleAssignment.person_id == manager_id,
                RoleAssignment.unit_id == unit_id,
                RoleAssignment.role == Role.MANAGER.value,
                queries.valid_on(day),
            )
        )
    ]
    return datetime.combine(min(starts), time.min) if starts else None


def hold_for(tx: Tx, actor: Actor, unit_id: int, manager_id: int, *, enabled: bool = True) -> int:
    """Hold the unit's open tasks made before ``manager_id`` took over with the manager
    above, unless the manager has an accepted allocation (or holding is switched off)."""
    s, day = tx.session, local_date(tx.now)
    if not enabled:
        return 0
    if common.accepted_for(s, unit_id, manager_id) is not None:
        return 0
    start = _start(s, unit_id, manager_id, day)
    above = common.allocator_of(s, unit_id, day)
    if start is None or above is None:
        return 0
    holders = queries.holders_of(s, [above], day).get(above, [])
    if not holders or holders[0] == manager_id:
        return 0
    holder = holders[0]
    tasks = list(
        s.scalars(
            select(Task)
            .where(
                Task.status == TaskStatus.OPEN.value,
                Task.role == Role.MANAGER.value,
                Task.role_unit_id == unit_id,
                Task.assignee_id.is_(None),
                Task.created_at < start,
            )
            .order_by(Task.id)
        )
    )
    for t in tasks:
        t.assignee_id = holder  # the ORM raises its version
        s.add(
            AllocationHold(
                task_id=t.id,
                unit_id=unit_id,
                manager_id=manager_id,
                holder_id=holder,
                held_at=tx.now,
            )
        )
        tx.record(
            f"cycle:{t.cycle_id}",
            "task.held_for_allocation",
            "task",
            t.id,
            actor,
            unit_id=t.unit_id,
            data={"for_person": manager_id, "holder": holder},
        )
    if tasks:
        tx.record(
            common.chain(unit_id),
            "allocation.tasks_held",
            "unit",
            unit_id,
            actor,
            unit_id=unit_id,
            data={"manager": manager_id, "holder": holder, "tasks": [t.id for t in tasks]},
        )
    s.flush()
    return len(tasks)


def release(tx: Tx, actor: Actor, unit_id: int, manager_id: int) -> int:
    """The allocation is accepted: the held tasks go back to the unit's manager role."""
    s = tx.session
    holds = list(
        s.scalars(
            select(AllocationHold).where(
                AllocationHold.unit_id == unit_id,
                AllocationHold.manager_id == manager_id,
                AllocationHold.released_at.is_(None),
            )
        )
    )
    moved = []
    for h in holds:
        h.released_at = tx.now
        t = s.get_one(Task, h.task_id)
        if t.status == TaskStatus.OPEN.value and t.assignee_id == h.holder_id:
            t.assignee_id = None
            moved.append(t.id)
            tx.record(
                f"cycle:{t.cycle_id}",
                "task.hold_released",
                "task",
                t.id,
                actor,
                unit_id=t.unit_id,
                data={"to_person": manager_id},
            )
    if holds:
        tx.record(
            common.chain(unit_id),
            "allocation.tasks_released",
            "unit",
            unit_id,
            actor,
            unit_id=unit_id,
            data={"manager": manager_id, "tasks": moved},
        )
    s.flush()
    return len(moved)


def held_for_unit(s: Session, unit_id: int) -> list[dict[str, Any]]:
    """The unit's tasks held now: the task, who holds it, for whom."""
    rows = list(
        s.scalars(
            select(AllocationHold)
            .where(AllocationHold.unit_id == unit_id, AllocationHold.released_at.is_(None))
            .order_by(AllocationHold.id)
        )
    )
    names = queries.person_names(s, [x for h in rows for x in (h.holder_id, h.manager_id)])
    keys = dict(
        queries.pairs(s, select(Task.id, Task.key).where(Task.id.in_([h.task_id for h in rows])))
    )
    return [
        {
            "task_id": h.task_id,
            "key": keys.get(h.task_id, ""),
            "holder": names.get(h.holder_id, ("", ""))[0],
            "manager": names.get(h.manager_id, ("", ""))[0],
            "held_at": h.held_at,
        }
        for h in rows
    ]


def sync(app: App, actor: Actor, root: str | None = None) -> int:
    """HR: hold the open tasks of every unit in scope whose manager took over after them
    and has no accepted allocation (run after an organisation change)."""

    def work(tx: Tx) -> int:
        s, day = tx.session, local_date(tx.now)
        org = queries.org_snapshot(s, day)
        tops = [queries.unit_by_code(s, root).id] if root else top_units(s)
        if actor.person_id is not None:
            require_admin(s, app, scope_of(s, actor, app), tops)
        enabled = app.settings.allocation_hold_new_managers
        held = 0
        for u in (u for t in tops for u in org.subtree(t)):
            for m in org.holders_of(Address(Role.MANAGER, u)):
                held += hold_for(tx, actor, u, m, enabled=enabled)
        return held

    return app.run(work)
