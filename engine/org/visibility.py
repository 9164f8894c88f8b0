"""Who may *see* what: the organisational scope of a person. Denied unless permitted.

A person sees the subtree under every unit where they (or someone they stand in for) hold
a role that looks after the work environment there:

* a unit manager (or deputy) sees their units; a manager higher up sees the whole subtree;
* a safety representative sees the units they represent and those below;
* HR and the director see the organisation below the unit they are placed at (the whole
  organisation when placed at the top).

Besides, anyone sees the tasks they may act on (their own, their roles', those escalated to
them) and the cycles those tasks belong to. Anything else answers "not found": someone
else's task id must not even confirm that the task exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import Cycle, OrgUnit, Task
from engine.domain.clock import local_date
from engine.domain.errors import NotAuthenticated, NotFound, NotPermitted
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.states import Role
from engine.org import access

VIEW_ROLES = frozenset(
    {Role.MANAGER, Role.DEPUTY, Role.SAFETY_REP, Role.CHIEF_SAFETY_REP, Role.HR, Role.DIRECTOR}
)
ADMIN_ROLES = frozenset({Role.HR, Role.DIRECTOR})


@dataclass(frozen=True)
class Scope:
    """The units whose subtrees a person sees, and what they may act on."""

    person_id: int
    roots: frozenset[int]
    admin_roots: frozenset[int]
    auth: queries.Authority

    def sees_unit(self, unit_id: int, org: OrgSnapshot) -> bool:
        """``org`` needs the unit's ancestors (``queries.ancestry_snapshot`` is enough)."""
        return _within(unit_id, self.roots, org)

    def administers(self, unit_id: int, org: OrgSnapshot) -> bool:
        return _within(unit_id, self.admin_roots, org)

    @property
    def is_admin(self) -> bool:
        return bool(self.admin_roots)


def _within(unit_id: int, roots: frozenset[int], org: OrgSnapshot) -> bool:
    return unit_id in roots or any(a in roots for a in org.ancestors(unit_id))


def scope_of(session: Session, actor: Actor, app: App) -> Scope:
    if actor.person_id is None:
        raise NotAuthenticated("a person must be signed in", "en person måste vara inloggad")
    auth = queries.authority(session, actor.person_id, local_date(app.clock.now()))
    roots = frozenset(a.unit_id for a in auth.addresses if a.role in VIEW_ROLES)
    admin = frozenset(a.unit_id for a in auth.addresses if a.role in ADMIN_ROLES)
    return Scope(actor.person_id, roots, admin, auth)


def ancestry(session: Session, app: App, unit_ids: Iterable[int]) -> OrgSnapshot:
    return queries.ancestry_snapshot(session, unit_ids, local_date(app.clock.now()))


def acts_on(scope: Scope, task: Task) -> bool:
    """May act on the task, or holds its escalation: it is in their inbox."""
    if access.holds(scope.auth, task)[0]:
        return True
    esc = access.escalation_address(task)
    return esc is not None and scope.auth.on_behalf_for_address(esc)[0]


def require_task(session: Session, app: App, scope: Scope, task: Task) -> OrgSnapshot:
    """The task is visible to the person (else NotFound); returns its unit's ancestry."""
    org = ancestry(session, app, [task.unit_id])
    if acts_on(scope, task) or scope.sees_unit(task.unit_id, org):
        return org
    raise NotFound("task", task.id)


def require_cycle(session: Session, app: App, scope: Scope, cycle: Cycle) -> OrgSnapshot:
    """The cycle is visible: its unit is in scope, or one of its tasks is the person's."""
    org = ancestry(session, app, [cycle.unit_id])
    if scope.sees_unit(cycle.unit_id, org):
        return org
    tasks = session.scalars(select(Task).where(Task.cycle_id == cycle.id))
    if any(acts_on(scope, t) for t in tasks):
        return org
    raise NotFound("cycle", cycle.id)


def require_unit(session: Session, app: App, scope: Scope, unit_id: int) -> OrgSnapshot:
    org = ancestry(session, app, [unit_id])
    if unit_id not in org.parents or not scope.sees_unit(unit_id, org):
        raise NotFound("unit", unit_id)
    return org


def require_admin(session: Session, app: App, scope: Scope, unit_ids: Iterable[int]) -> None:
    """HR or a director at or above every unit (starting the year, importing)."""
    ids = list(unit_ids)
    org = ancestry(session, app, ids)
    if not ids or not all(scope.administers(u, org) for u in ids):
        raise NotPermitted(
            "only HR or a director over these units may do this",
            "bara HR eller en direktör över dessa enheter får göra detta",
        )


def top_roots(scope: Scope, org: OrgSnapshot) -> list[int]:
    """The roots not already under another root (a page starts from these)."""
    return sorted(
        r
        for r in scope.roots
        if r in org.parents and not any(a in scope.roots for a in org.ancestors(r))
    )


def top_units(session: Session) -> list[int]:
    return list(session.scalars(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None))))


def see_task(app: App, actor: Actor, task_id: int) -> None:
    """NotFound unless the person may see the task (before acting on it), so an action on
    someone else's task id answers exactly as one on an id that does not exist."""
    with app.read() as s:
        task = s.get(Task, task_id)
        if task is None:
            raise NotFound("task", task_id)
        scope = scope_of(s, actor, app)
        if not acts_on(scope, task):  # the common case needs no walk up the tree
            require_task(s, app, scope, task)
