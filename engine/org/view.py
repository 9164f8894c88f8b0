"""Read models of the organisation for one person: a unit with its children, role holders,
cycles and substitutes. Only units in the person's scope (see ``visibility``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import Cycle, OrgUnit, Person, RoleAssignment, Substitute
from engine.domain.clock import local_date
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.states import Role
from engine.org import rights as org_rights
from engine.org.visibility import Scope, require_unit, scope_of, top_roots, top_units


@dataclass(frozen=True)
class Holder:
    person_id: int
    name: str
    email: str
    role: str
    valid_from: date
    valid_to: date | None
    #: only for whoever administers the unit (HR, a director over it): never on pages others see
    employee_number: str | None = None


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str
    level: str
    headcount: int
    children: int
    managers: list[str] = field(default_factory=list)
    safety_reps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CycleRow:
    id: int
    year: int
    status: str
    current_stage: str | None


@dataclass(frozen=True)
class UnitPage:
    unit: UnitRow | None  # None: the top of the person's scope
    path: list[tuple[int, str]]  # ancestors the person sees, top first
    children: list[UnitRow]
    holders: list[Holder]
    cycles: list[CycleRow]
    is_admin: bool


def unit_page(app: App, actor: Actor, unit_id: int | None = None) -> UnitPage:
    day = local_date(app.clock.now())
    with app.read() as s:
        scope = scope_of(s, actor, app)
        if unit_id is None:
            org = queries.org_snapshot(s, day)
            return UnitPage(None, [], _rows(s, top_roots(scope, org), day), [], [], scope.is_admin)
        org = require_unit(s, app, scope, unit_id)
        path_ids = [a for a in reversed(list(org.ancestors(unit_id))) if scope.sees_unit(a, org)]
        names = queries.unit_names(s, path_ids)
        kids = list(s.scalars(_children_of(unit_id)))
        unit = _rows(s, [unit_id], day)[0]
        cycles = [
            CycleRow(c.id, c.year, c.status, c.current_stage)
            for c in s.scalars(
                select(Cycle).where(Cycle.unit_id == unit_id).order_by(Cycle.year.desc())
            )
        ]
        admin = scope.administers(unit_id, org)
        holders = _holders(s, unit_id, day, numbers=admin)
        children = _rows(s, kids, day)
    return UnitPage(unit, [(i, names[i]) for i in path_ids], children, holders, cycles, admin)


def _children_of(unit_id: int) -> Select[tuple[int]]:
    return (
        select(OrgUnit.id)
        .where(OrgUnit.parent_id == unit_id, OrgUnit.active.is_(True))
        .order_by(OrgUnit.name)
    )


def _rows(s: Session, ids: list[int], day: date) -> list[UnitRow]:
    if not ids:
        return []
    units = {u.id: u for u in s.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    counts = queries.pairs(
        s,
        select(OrgUnit.parent_id, func.count())
        .where(OrgUnit.parent_id.in_(ids), OrgUnit.active.is_(True))
        .group_by(OrgUnit.parent_id),
    )
    people: dict[tuple[int, str], list[str]] = defaultdict(list)
    for name, role, unit in s.execute(
        select(Person.name, RoleAssignment.role, RoleAssignment.unit_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.unit_id.in_(ids),
            RoleAssignment.role.in_(("manager", "safety_rep")),
            queries.valid_on(day),
        )
        .order_by(Person.name)
    ):
        people[(unit, role)].append(name)
    return [
        UnitRow(
            u.id,
            u.code,
            u.name,
            u.level,
            u.headcount,
            counts.get(u.id, 0),
            people[(u.id, "manager")],
            people[(u.id, "safety_rep")],
        )
        for u in (units[i] for i in ids if i in units)
    ]


def _holders(s: Session, unit_id: int, day: date, *, numbers: bool = False) -> list[Holder]:
    rows = s.execute(
        select(Person, RoleAssignment)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.unit_id == unit_id,
            or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= day),
        )
        .order_by(RoleAssignment.role, Person.name)
    )
    return [
        Holder(
            p.id,
            p.name,
            p.email,
            ra.role,
            ra.valid_from,
            ra.valid_to,
            p.employee_number if numbers else None,
        )
        for p, ra in rows
    ]


# --- substitutes --------------------------------------------------------------------------
@dataclass(frozen=True)
class SubstituteRow:
    id: int
    person: str
    person_email: str
    for_person: str
    for_email: str
    valid_from: date
    valid_to: date
    reason: str
    mine: bool  # the signed-in person is the one away or the one standing in


def substitutes(app: App, actor: Actor) -> list[SubstituteRow]:
    """Current and coming substitutions the person may manage: their own (as the one
    away or the one standing in), and those of people wholly within their rights (the
    same rule as setting one, ``org_rights.covers_person``). Nobody sees the rest."""
    day = local_date(app.clock.now())
    with app.read() as s:
        scope = scope_of(s, actor, app)
        stmt = select(Substitute).where(Substitute.ended_at.is_(None), Substitute.valid_to >= day)
        mine = or_(
            Substitute.person_id == actor.person_id, Substitute.for_person_id == actor.person_id
        )
        if not _may_arrange_any(scope):
            stmt = stmt.where(mine)
        rows = list(s.scalars(stmt.order_by(Substitute.valid_from, Substitute.id).limit(5000)))
        rows = _manageable(s, scope, rows, day)[:500]
        names = queries.person_names(s, [x for r in rows for x in (r.person_id, r.for_person_id)])
    return [_sub_row(r, names, actor) for r in rows]


def _may_arrange_any(scope: Scope) -> bool:
    """Holds a role that may arrange others' substitutes (HR, director, a manager)."""
    return any(a.role in (Role.HR, Role.DIRECTOR, Role.MANAGER) for a in scope.auth.addresses)


def _manageable(s: Session, scope: Scope, rows: list[Substitute], day: date) -> list[Substitute]:
    me = scope.person_id
    others = [r for r in rows if me not in (r.person_id, r.for_person_id)]
    if not others:
        return rows
    parents = org_rights.unit_tree(s)
    tops = top_units(s)
    roles = org_rights.roles_of(s, {r.for_person_id for r in others}, day)
    ok = {
        p for p, held in roles.items() if org_rights.covers_person(scope.auth, parents, tops, held)
    }
    return [r for r in rows if me in (r.person_id, r.for_person_id) or r.for_person_id in ok]


def _sub_row(r: Substitute, names: dict[int, tuple[str, str]], actor: Actor) -> SubstituteRow:
    who, principal = names[r.person_id], names[r.for_person_id]
    mine = actor.person_id in (r.person_id, r.for_person_id)
    return SubstituteRow(
        r.id, who[0], who[1], principal[0], principal[1], r.valid_from, r.valid_to, r.reason, mine
    )


def find_people(app: App, actor: Actor, text: str, limit: int = 30) -> list[tuple[str, str]]:
    """(name, e-mail) of active people matching the text, to pick a substitute: only
    people with a role in the units the searcher looks after (``visibility``: a manager's
    subtree, HR's and a director's part of the organisation) or in their own units (an
    employee finds their colleagues). HR or a director of a whole organisation also finds
    people who hold no role yet."""
    needle = f"%{text.strip().lower()}%"
    day = local_date(app.clock.now())
    with app.read() as s:
        scope = scope_of(s, actor, app)
        org = queries.org_snapshot(s, day)
        reach = set(_reach(scope, org))
        everyone = _whole_org(scope, top_units(s))
        matches = list(
            s.execute(
                select(Person.id, Person.name, Person.email)
                .where(
                    Person.active.is_(True),
                    or_(func.lower(Person.name).like(needle), Person.email.like(needle)),
                )
                .order_by(Person.name, Person.id)
            )
        )
        out: list[tuple[str, str]] = []
        for batch in chunks(matches, 500):
            units = org_rights.roles_of(s, [p for p, _, _ in batch], day)
            for pid, name, email in batch:
                held = units.get(pid, [])
                if (everyone and not held) or any(u in reach for _, u in held):
                    out.append((name, email))
                    if len(out) >= limit:
                        return out
        return out


def _reach(scope: Scope, org: OrgSnapshot) -> list[int]:
    """The units whose people a person may look up."""
    out = [u for root in scope.roots if root in org.parents for u in org.subtree(root)]
    out += [a.unit_id for a in scope.auth.addresses]  # one's own units (an employee's too)
    return out


def _whole_org(scope: Scope, tops: list[int]) -> bool:
    return bool(tops) and all(u in scope.admin_roots for u in tops)


def is_admin(app: App, actor: Actor) -> bool:
    with app.read() as s:
        scope: Scope = scope_of(s, actor, app)
    return scope.is_admin


# --- the signed-in person -----------------------------------------------------------------
@dataclass(frozen=True)
class RoleView:
    role: str
    unit_id: int
    unit_name: str
    on_behalf_of: int | None  # held by someone the person stands in for


def my_roles(app: App, actor: Actor) -> tuple[list[RoleView], bool]:
    """The roles a person acts in today (their own and those of whom they stand in for),
    and whether they administer any part of the organisation."""
    with app.read() as s:
        scope = scope_of(s, actor, app)
        names = queries.unit_names(s, [a.unit_id for a in scope.auth.addresses])
    roles = [
        RoleView(a.role.value, a.unit_id, names.get(a.unit_id, ""), who)
        for a, who in sorted(scope.auth.addresses.items())
    ]
    return roles, scope.is_admin
