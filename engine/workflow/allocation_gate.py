"""The year start and task allocation (AFS 2023:1 9 §): which units' managers have no
accepted written allocation. The year start lists them for HR; with
``settings.allocation_year_start = "hold"`` it also holds those units back (they start on
a later run, once the allocation is accepted). The allocations themselves are
``engine.alloc``'s; this reads only whether one is accepted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.models import OrgUnit, Task
from engine.db.models.duties.alloc import AllocationHold, AllocationReturn, TaskAllocation
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role


@dataclass(frozen=True)
class Unallocated:
    unit_id: int
    code: str
    name: str
    managers: tuple[str, ...]  # the names of the unit's managers without one
    held_back: bool  # not started for it


def unallocated(
    s: Session, org: OrgSnapshot, units: Sequence[int], day: date, *, hold: bool
) -> list[Unallocated]:
    """The units whose manager (or, where the unit has none, director) today has no
    accepted allocation for the unit."""
    accepted = {
        (u, m)
        for u, m in s.execute(
            select(TaskAllocation.unit_id, TaskAllocation.manager_id).where(
                TaskAllocation.state == "accepted"
            )
        )
    }
    lacking: dict[int, list[int]] = {}
    for u in units:
        heads = org.holders_of(Address(Role.MANAGER, u)) or org.holders_of(
            Address(Role.DIRECTOR, u)
        )
        missing = [p for p in heads if (u, p) not in accepted]
        if missing:
            lacking[u] = missing
    if not lacking:
        return []
    names = queries.person_names(s, [p for ps in lacking.values() for p in ps])
    units_of = {
        i: (c, n)
        for i, c, n in s.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name).where(OrgUnit.id.in_(sorted(lacking)))
        )
    }
    return [
        Unallocated(
            u, units_of[u][0], units_of[u][1], tuple(names.get(p, ("", ""))[0] for p in ps), hold
        )
        for u, ps in lacking.items()
    ]


def hold_of_task(s: Session, task_id: int) -> dict[str, Any] | None:
    """If the task is held for a new manager: by whom, for whom (its page says so)."""
    h = s.scalar(
        select(AllocationHold).where(
            AllocationHold.task_id == task_id, AllocationHold.released_at.is_(None)
        )
    )
    if h is None:
        return None
    names = queries.person_names(s, [h.holder_id, h.manager_id])
    unit = s.get_one(OrgUnit, h.unit_id)
    return {
        "holder": names.get(h.holder_id, ("", ""))[0],
        "manager": names.get(h.manager_id, ("", ""))[0],
        "unit": unit.name,
        "held_at": h.held_at,
    }


def return_of_task(s: Session, task_id: int) -> dict[str, Any] | None:
    """The recorded return that brought the task to its holder: what was lacking, and the
    allocator's decision once made."""
    for r in s.scalars(
        select(AllocationReturn)
        .where(AllocationReturn.tasks.contains(f", {task_id}]"))
        .order_by(AllocationReturn.id.desc())
    ):
        if task_id in [int(new) for _, new in json.loads(r.tasks)]:
            return {
                "id": r.id,
                "allocation_id": r.allocation_id,
                "lacking": [x for x in r.lacking.split(",") if x],
                "state": r.state,
                "outcome": r.outcome,
                "note": r.decision_note,
            }
    return None


def outcome_for_returner(s: Session, task_id: int) -> dict[str, Any] | None:
    """The returning manager's own task (closed as returned): what became of the return —
    waiting for the allocator, or their decision, when and by whom."""
    for r in s.scalars(
        select(AllocationReturn)
        .where(AllocationReturn.tasks.contains(f"[{task_id}, "))
        .order_by(AllocationReturn.id.desc())
    ):
        if task_id in [int(old) for old, _ in json.loads(r.tasks)]:
            names = queries.person_names(s, [p for p in (r.decided_by, r.to_person_id) if p])
            return {
                "lacking": [x for x in r.lacking.split(",") if x],
                "state": r.state,
                "outcome": r.outcome,
                "note": r.decision_note,
                "decided_at": r.decided_at,
                "decided_by": names.get(r.decided_by, ("", ""))[0] if r.decided_by else "",
                "to": names.get(r.to_person_id, ("", ""))[0] if r.to_person_id else "",
            }
    return None


def decision_task_of(s: Session, task_id: int) -> int | None:
    """The allocator's open decision task for the return that brought this task (the
    returned case's page links to it)."""
    info = return_of_task(s, task_id)
    if info is None:
        return None
    cycle = s.scalar(
        select(AllocationReturn.decision_cycle_id).where(AllocationReturn.id == info["id"])
    )
    if cycle is None:
        return None
    return s.scalar(select(Task.id).where(Task.cycle_id == cycle, Task.status == "open").limit(1))


def waiting_for(s: Session, person_id: int, led: Sequence[int]) -> tuple[int, int]:
    """(allocations offered to the person and not yet answered, returns to a unit they lead
    waiting for their decision): the home page points to them."""
    from sqlalchemy import func

    offers = s.scalar(
        select(func.count())
        .select_from(TaskAllocation)
        .where(TaskAllocation.manager_id == person_id, TaskAllocation.state == "offered")
    )
    returns = (
        s.scalar(
            select(func.count())
            .select_from(AllocationReturn)
            .where(AllocationReturn.state == "open", AllocationReturn.to_unit_id.in_(list(led)))
        )
        if led
        else 0
    )
    return int(offers or 0), int(returns or 0)
