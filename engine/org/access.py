"""Who may do what. Denied unless permitted; every check lives here, not in the doors.

Rules:
* a task is acted on by its assignee, or (unassigned) by a holder of its role address,
  or by someone standing in for either (substitute, deputy); on their behalf;
* the holder of a task's escalation address may reassign it or move its deadline;
* line authority: managers and directors of a unit's ancestors may act as the line above
  (sign off, reassign, extend) — responsibility stays with the employer, up the line;
* HR and directors run the year for the units under them (start, cancel).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session

from engine.context import Actor, Tx
from engine.db import queries
from engine.db.queries import TaskRef
from engine.domain.clock import local_date
from engine.domain.errors import NotPermitted
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.org.rules import (
    LINE_ROLES,
    RoutedTask,
    escalation_address,
    holds,
    line_above,
    may_steer,
    task_address,
)

__all__ = [
    "LINE_ROLES",
    "RoutedTask",
    "escalation_address",
    "holds",
    "line_above",
    "may_steer",
    "task_address",
]

ADMIN_ROLES = (Role.HR, Role.DIRECTOR)


def authority(tx: Tx, actor: Actor) -> queries.Authority:
    if actor.person_id is None:
        raise NotPermitted(
            "the system cannot act on a person's task",
            "systemet kan inte agera på en persons uppgift",
        )
    return queries.authority(tx.session, actor.person_id, local_date(tx.now))


#: A task of these roles (or one given to a person) may be returned up the line: returning
#: (lacking authority, resources or knowledge) is a manager's act, not a safety
#: representative's or HR's.
RETURNABLE_ROLES = (Role.MANAGER.value, Role.DEPUTY.value)


def returnable(task: RoutedTask) -> bool:
    return task.role is None or task.role in RETURNABLE_ROLES


def may_work_on(tx: Tx, actor: Actor, task: TaskRef) -> tuple[bool, int | None]:
    """(allowed, on behalf of whom) for completing, returning or claiming a task."""
    if actor.person_id is None:
        return False, None
    if task.mine and task.assignee_id is None:
        return True, None
    return queries.acting_on(
        tx.unit,
        actor.person_id,
        local_date(tx.now),
        assignee=task.assignee_id,
        address=task_address(task),
    )


def require_holds(auth: queries.Authority, task: RoutedTask, task_id: int) -> int | None:
    allowed, on_behalf = holds(auth, task)
    if not allowed:
        raise NotPermitted(f"task {task_id} is not yours", f"uppgift {task_id} är inte din")
    return on_behalf


def require_work_on(tx: Tx, actor: Actor, task: TaskRef) -> int | None:
    allowed, on_behalf = may_work_on(tx, actor, task)
    if not allowed:
        raise NotPermitted(f"task {task.id} is not yours", f"uppgift {task.id} är inte din")
    return on_behalf


def holder_or_line(
    auth: queries.Authority, org: OrgSnapshot, unit_id: int, addresses: Iterable[Address | None]
) -> tuple[bool, int | None]:
    """Holds one of the addresses (the unit's manager, say), or the line above the unit."""
    for address in addresses:
        if address is not None:
            allowed, on_behalf = auth.on_behalf_for_address(address)
            if allowed:
                return True, on_behalf
    return line_above(auth, org, unit_id)


def require_admin(
    session: Session, tx: Tx, actor: Actor, unit_ids: Iterable[int], org: OrgSnapshot
) -> int | None:
    """HR or a director at (or above) every unit in scope; the system always may."""
    if actor.person_id is None:
        return None
    auth = queries.authority(session, actor.person_id, local_date(tx.now))
    on_behalf: int | None = None
    for unit in set(unit_ids):
        chain = [unit, *org.ancestors(unit)]
        ok = False
        for u in chain:
            for role in ADMIN_ROLES:
                allowed, who = auth.on_behalf_for_address(Address(role, u))
                if allowed:
                    ok, on_behalf = True, who
                    break
            if ok:
                break
        if not ok:
            raise NotPermitted(
                "only HR or a director over these units may do this",
                "bara HR eller en direktör över dessa enheter får göra detta",
            )
    return on_behalf


def may_register(
    auth: queries.Authority, org: OrgSnapshot, unit_id: int, roles: Iterable[str], *, line: bool
) -> tuple[bool, int | None]:
    """(allowed, on whose behalf) to open a case at the unit (see ``require_registrant``)."""
    chain = [unit_id, *org.ancestors(unit_id)] if line else [unit_id]
    for u in chain:
        for role in roles:
            allowed, who = auth.on_behalf_for_address(Address(Role(role), u))
            if allowed:
                return True, who
    return False, None


def require_registrant(
    session: Session,
    tx: Tx,
    actor: Actor,
    unit_id: int,
    org: OrgSnapshot,
    roles: Iterable[str],
    *,
    line: bool,
) -> int | None:
    """A holder of one of ``roles`` at the unit (``line``: or at a unit above it) may open
    a case there; the system always may. Returns on whose behalf."""
    if actor.person_id is None:
        return None
    auth = queries.authority(session, actor.person_id, local_date(tx.now))
    allowed, who = may_register(auth, org, unit_id, roles, line=line)
    if allowed:
        return who
    names_sv = ", ".join(Role(r).sv.lower() for r in roles)
    names_en = ", ".join(Role(r).en.lower() for r in roles)
    where_en, where_sv = (
        ("at or above the unit", "vid eller över enheten")
        if line
        else (
            "at the unit",
            "vid enheten",
        )
    )
    raise NotPermitted(
        f"only someone who is {names_en} {where_en} may register this",
        f"bara den som är {names_sv} {where_sv} får registrera detta",
    )


#: Who sees a unit's evidence, reports and audit log: its own people in these roles ...
OWN_READERS = (Role.MANAGER, Role.DEPUTY, Role.SAFETY_REP)
#: ... and these roles at the unit or above it.
OVERSIGHT_ROLES = (Role.MANAGER, Role.DIRECTOR, Role.HR, Role.CHIEF_SAFETY_REP)


def may_oversee(auth: queries.Authority, org: OrgSnapshot, unit_id: int) -> bool:
    """Evidence and audit of a unit: its manager, deputy or safety representative, or a
    manager, director, HR or chief safety representative at or above it."""
    if any(auth.on_behalf_for_address(Address(r, unit_id))[0] for r in OWN_READERS):
        return True
    return any(
        auth.on_behalf_for_address(Address(r, u))[0]
        for u in (unit_id, *org.ancestors(unit_id))
        for r in OVERSIGHT_ROLES
    )


def require_oversight(
    session: Session, actor: Actor, unit_ids: Iterable[int], org: OrgSnapshot, day: date
) -> None:
    """Refuse unless the person oversees every unit (the system always may)."""
    if actor.person_id is None:
        return
    auth = queries.authority(session, actor.person_id, day)
    if not all(may_oversee(auth, org, u) for u in set(unit_ids)):
        raise NotPermitted(
            "only the unit's own managers and safety representatives, the line above, HR "
            "or the director may see this",
            "bara enhetens chefer och skyddsombud, chefer ovanför, HR eller direktören får "
            "se detta",
        )
