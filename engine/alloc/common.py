"""What the allocation's modules share: its audit chain, who allocates, whether a manager
has an accepted allocation."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.models.duties.alloc import TaskAllocation
from engine.domain import allocation as rules
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.workflow import taskgen


def chain(unit_id: int) -> str:
    """The audit chain of a unit's allocations, their returns and holds."""
    return f"alloc:{unit_id}"


def allocator_of(s: Session, unit_id: int, day: date) -> Address | None:
    """The manager above the unit (who allocates to its manager); None: the top, where
    the board allocates."""
    return allocator_of_in(queries.ancestry_snapshot(s, [unit_id], day), unit_id)


def allocator_of_in(org: OrgSnapshot, unit_id: int) -> Address | None:
    """``allocator_of`` in an organisation already read (many units at once)."""
    return taskgen.route("parent.manager", unit_id, org)


def accepted_for(s: Session, unit_id: int, manager_id: int) -> TaskAllocation | None:
    return s.scalar(
        select(TaskAllocation)
        .where(
            TaskAllocation.unit_id == unit_id,
            TaskAllocation.manager_id == manager_id,
            TaskAllocation.state == rules.ACCEPTED,
        )
        .limit(1)
    )
