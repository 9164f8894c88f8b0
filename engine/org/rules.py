"""The pure rules of who may act on a task, judged from a loaded ``Authority`` (no
database, no ORM): read models that judge many tasks for one person load the authority
once and ask here (``engine.org.access`` re-exports these beside its checks).
"""

from __future__ import annotations

from typing import Protocol

from engine.db.reads import Authority
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role

LINE_ROLES = (Role.MANAGER, Role.DIRECTOR)


class RoutedTask(Protocol):
    """What the rules read of a task (an ORM Task row and a TaskRef both have it)."""

    @property
    def unit_id(self) -> int: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def role(self) -> str | None: ...
    @property
    def role_unit_id(self) -> int | None: ...
    @property
    def escalation_role(self) -> str | None: ...
    @property
    def escalation_unit_id(self) -> int | None: ...


def task_address(task: RoutedTask) -> Address | None:
    if task.role is None or task.role_unit_id is None:
        return None
    return Address(Role(task.role), task.role_unit_id)


def escalation_address(task: RoutedTask) -> Address | None:
    if task.escalation_role is None or task.escalation_unit_id is None:
        return None
    return Address(Role(task.escalation_role), task.escalation_unit_id)


def holds(auth: Authority, task: RoutedTask) -> tuple[bool, int | None]:
    """The same answer as ``may_work_on`` from a loaded Authority (read models that judge
    many tasks for one person load it once)."""
    if task.assignee_id is not None:
        return auth.on_behalf_for_person(task.assignee_id)
    address = task_address(task)
    if address is None:
        return False, None
    return auth.on_behalf_for_address(address)


def line_above(auth: Authority, org: OrgSnapshot, unit_id: int) -> tuple[bool, int | None]:
    """Does the person hold a line role (manager, director) at an ancestor of the unit?"""
    for ancestor in org.ancestors(unit_id):
        for role in LINE_ROLES:
            allowed, on_behalf = auth.on_behalf_for_address(Address(role, ancestor))
            if allowed:
                return True, on_behalf
    return False, None


def may_steer(auth: Authority, task: RoutedTask, org: OrgSnapshot) -> tuple[bool, int | None]:
    """Reassign or extend: the escalation holder, or the line above the task's unit."""
    esc = escalation_address(task)
    if esc is not None:
        allowed, on_behalf = auth.on_behalf_for_address(esc)
        if allowed:
            return True, on_behalf
    return line_above(auth, org, task.unit_id)


def may_nudge(auth: Authority, task: RoutedTask, org: OrgSnapshot) -> bool:
    """Not the holder; the escalation holder, the line above, or the unit's manager."""
    if holds(auth, task)[0]:
        return False
    if auth.on_behalf_for_address(Address(Role.MANAGER, task.unit_id))[0]:
        return True
    return may_steer(auth, task, org)[0]
