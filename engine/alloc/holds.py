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

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.alloc import common
from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import RoleAssignment, Task, table
from engine.db.models.duties.alloc import AllocationHold, TaskAllocation
from engine.domain import allocation as rules
from engine.domain.clock import local_date
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus
from engine.org.visibility import require_admin, scope_of, top_units
from engine.workflow.allocation_gate import hold_of_task as hold_of_task  # noqa: PLC0414


def hold_for(tx: Tx, actor: Actor, unit_id: int, manager_id: int, *, enabled: bool = True) -> int:
    """Hold the unit's open tasks made before ``manager_id`` took over with the manager
    above, unless the manager has an accepted allocation (or holding is switched off)."""
    return hold_many(tx, actor, [(unit_id, manager_id)], enabled=enabled)


def hold_many(
    tx: Tx, actor: Actor, pairs: Iterable[tuple[int, int]], *, enabled: bool = True
) -> int:
    """``hold_for`` for many (unit, manager) pairs at once, in a few statements whatever
    their number (an organisation import of a whole region gives thousands of units a
    manager): the candidate tasks first, in one read; only the units that have some are
    looked at further (their accepted allocations, when each manager took over, the
    manager above from one ancestry read), and the tasks are given to their holders with
    one update per holder. The audit events are one per task held and one per unit."""
    wanted = sorted(set(pairs))
    if not enabled or not wanted:
        return 0
    s, day = tx.session, local_date(tx.now)
    open_tasks: dict[int, list[tuple[int, int, int, datetime]]] = defaultdict(list)
    for batch in chunks(sorted({u for u, _ in wanted})):
        for tid, cycle, unit, routed, created in s.execute(
            select(Task.id, Task.cycle_id, Task.unit_id, Task.role_unit_id, Task.created_at)
            .where(
                Task.status == TaskStatus.OPEN.value,
                Task.role == Role.MANAGER.value,
                Task.role_unit_id.in_(batch),
                Task.assignee_id.is_(None),
            )
            .order_by(Task.id)
        ):
            open_tasks[routed].append((tid, cycle, unit, created))
    wanted = [(u, m) for u, m in wanted if u in open_tasks]
    if not wanted:
        return 0
    units = sorted({u for u, _ in wanted})
    accepted: set[tuple[int, int]] = set()
    starts: dict[tuple[int, int], date] = {}
    for batch in chunks(units):
        accepted.update(
            (u, m)
            for u, m in s.execute(
                select(TaskAllocation.unit_id, TaskAllocation.manager_id).where(
                    TaskAllocation.unit_id.in_(batch), TaskAllocation.state == rules.ACCEPTED
                )
            )
        )
        for u, m, first in s.execute(
            select(RoleAssignment.unit_id, RoleAssignment.person_id)
            .add_columns(func.min(RoleAssignment.valid_from))
            .where(
                RoleAssignment.unit_id.in_(batch),
                RoleAssignment.role == Role.MANAGER.value,
                queries.valid_on(day),
            )
            .group_by(RoleAssignment.unit_id, RoleAssignment.person_id)
        ):
            starts[(u, m)] = first
    org = queries.ancestry_snapshot(s, units, day)
    taken: set[int] = set()
    by_holder: dict[int, list[int]] = defaultdict(list)
    rows: list[dict[str, Any]] = []
    for u, m in wanted:
        first = starts.get((u, m))
        above = common.allocator_of_in(org, u)
        if (u, m) in accepted or first is None or above is None:
            continue
        holders = org.holders_of(above)
        if not holders or holders[0] == m:
            continue
        holder, start = holders[0], datetime.combine(first, time.min, tzinfo=UTC)
        held = [t for t in open_tasks[u] if t[3] < start and t[0] not in taken]
        for tid, cycle, unit, _created in held:
            taken.add(tid)
            by_holder[holder].append(tid)
            rows.append(
                {
                    "task_id": tid,
                    "unit_id": u,
                    "manager_id": m,
                    "holder_id": holder,
                    "held_at": tx.now,
                    "released_at": None,
                }
            )
            tx.record(
                f"cycle:{cycle}",
                "task.held_for_allocation",
                "task",
                tid,
                actor,
                unit_id=unit,
                data={"for_person": m, "holder": holder},
            )
        if held:
            tx.record(
                common.chain(u),
                "allocation.tasks_held",
                "unit",
                u,
                actor,
                unit_id=u,
                data={"manager": m, "holder": holder, "tasks": [t[0] for t in held]},
            )
    for holder, ids in by_holder.items():
        for batch in chunks(ids):
            s.execute(
                update(Task)
                .where(Task.id.in_(batch))
                .values(assignee_id=holder, version=Task.version + 1)
                .execution_options(synchronize_session=False)
            )
    if rows:
        s.execute(table(AllocationHold).insert(), rows)
    return len(rows)


def on_new_managers(app: App, tx: Tx, actor: Actor, pairs: list[tuple[int, int]]) -> int:
    """The organisation import gave these units these new managers (``engine.org.changes``):
    hold their units' open tasks as ``sync`` would, in the import's transaction."""
    return hold_many(tx, actor, pairs, enabled=app.settings.allocation_hold_new_managers)


#: Who holds the tasks of a manager whose role begins on a later day (the daily sweep).
SWEEP = Actor.system("sweep")


def starting_managers(app: App) -> dict[str, int]:
    """``allocation.starting_managers`` (a sweep step): a manager role imported with a start
    date in the future begins today, or began within ``allocation_hold_start_days`` (a
    sweep missed); hold its unit's open tasks as the import does for a role in force, all
    such managers at once in one transaction (a region's import starts thousands of roles
    on one day: ``hold_many``, a few statements whatever their number). Run again, it holds
    nothing more: a held task has its holder, an accepted allocation is not held for, and a
    task made after the role began is the new manager's."""
    settings = app.settings
    if not settings.allocation_hold_new_managers:
        return {}

    def work(tx: Tx) -> int:
        day = local_date(tx.now)
        since = day - timedelta(days=max(settings.allocation_hold_start_days, 1) - 1)
        pairs = sorted(
            set(
                tx.session.execute(
                    select(RoleAssignment.unit_id, RoleAssignment.person_id).where(
                        RoleAssignment.role == Role.MANAGER.value,
                        RoleAssignment.valid_from >= since,
                        queries.valid_on(day),
                    )
                ).tuples()
            )
        )
        return hold_many(tx, SWEEP, pairs)

    return {"held": app.run(work)}


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
        pairs = [
            (u, m)
            for t in tops
            for u in org.subtree(t)
            for m in org.holders_of(Address(Role.MANAGER, u))
        ]
        return hold_many(tx, actor, pairs, enabled=app.settings.allocation_hold_new_managers)

    return app.run(work)
