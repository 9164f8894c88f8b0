"""Rights over the organisation itself: which units and roles a person may change, whose
substitutes they may set, which people they may look up. Denied unless permitted.

The rule everywhere: a right reaches the units where the person holds it, and the units
below. An HR person or a director *administers* that subtree. Within it they may change
units and grant or end roles, but never a role at or above their own level (an HR person
or director at their own unit or above): nobody raises themself or a peer. What they do
not administer stays as it is, even when a file leaves it out.

    rights = admin_rights(session, actor, day)          # what an import may change
    rights.may_change_unit(unit_id)                     # the unit is in the subtree
    rights.may_manage_role(Role.DIRECTOR, unit_id)      # strictly below the own level
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import OrgUnit, RoleAssignment
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role

ADMIN_ROLES = frozenset({Role.HR, Role.DIRECTOR})
LINE_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR})
#: Roles the line above (a manager or director higher up) may arrange a substitute for.
LINE_LED = frozenset({Role.MANAGER, Role.DEPUTY, Role.EMPLOYEE})


def ancestors(parents: Mapping[int, int | None], unit_id: int) -> list[int]:
    """The unit's ancestors, nearest first (a loop in bad data ends the walk)."""
    out: list[int] = []
    seen = {unit_id}
    parent = parents.get(unit_id)
    while parent is not None and parent not in seen:
        out.append(parent)
        seen.add(parent)
        parent = parents.get(parent)
    return out


@dataclass(frozen=True)
class AdminRights:
    """The subtrees one person administers (HR or director there, in their own right or
    for someone they stand in for). ``parents`` is the unit tree the rights are read in."""

    person_id: int | None  # None: the system, which may do anything
    roots: frozenset[int]
    parents: Mapping[int, int | None]

    @property
    def is_system(self) -> bool:
        return self.person_id is None

    @property
    def holds_any(self) -> bool:
        return self.is_system or bool(self.roots)

    def may_change_unit(self, unit_id: int) -> bool:
        """The unit is one the person administers, or below one."""
        if self.is_system:
            return True
        return unit_id in self.roots or any(a in self.roots for a in self._up(unit_id))

    def strictly_below(self, unit_id: int) -> bool:
        if self.is_system:
            return True
        return any(a in self.roots for a in self._up(unit_id))

    def may_manage_role(self, role: Role, unit_id: int) -> bool:
        """Grant, change or end ``role`` at the unit: inside the subtree, and for HR and
        director roles strictly below the person's own level."""
        if role in ADMIN_ROLES:
            return self.strictly_below(unit_id)
        return self.may_change_unit(unit_id)

    def in_tree(self, parents: Mapping[int, int | None]) -> AdminRights:
        """The same rights read in another tree (the tree as an import would leave it)."""
        return AdminRights(self.person_id, self.roots, parents)

    def _up(self, unit_id: int) -> list[int]:
        return ancestors(self.parents, unit_id)


@dataclass(frozen=True)
class BothRights:
    """Rights that two people must both hold (a held import: who asked, who confirms)."""

    first: AdminRights
    second: AdminRights

    @property
    def is_system(self) -> bool:
        return self.first.is_system and self.second.is_system

    @property
    def holds_any(self) -> bool:
        return self.first.holds_any and self.second.holds_any

    def may_change_unit(self, unit_id: int) -> bool:
        return self.first.may_change_unit(unit_id) and self.second.may_change_unit(unit_id)

    def strictly_below(self, unit_id: int) -> bool:
        return self.first.strictly_below(unit_id) and self.second.strictly_below(unit_id)

    def may_manage_role(self, role: Role, unit_id: int) -> bool:
        return self.first.may_manage_role(role, unit_id) and self.second.may_manage_role(
            role, unit_id
        )

    def in_tree(self, parents: Mapping[int, int | None]) -> BothRights:
        return BothRights(self.first.in_tree(parents), self.second.in_tree(parents))


Rights = AdminRights | BothRights


def unit_tree(session: Session) -> dict[int, int | None]:
    """Every unit (active or not) and its parent."""
    return queries.pairs(session, select(OrgUnit.id, OrgUnit.parent_id))


def admin_rights(
    session: Session,
    person_id: int | None,
    day: date,
    *,
    roles: Iterable[Role] = ADMIN_ROLES,
    parents: Mapping[int, int | None] | None = None,
    not_for: int | None = None,
) -> AdminRights:
    """The person's administrative rights today. ``roles`` narrows which roles count (a
    confirmation needs HR); ``not_for`` leaves out what they hold standing in for that
    person (nobody confirms their own import through a substitute)."""
    tree = unit_tree(session) if parents is None else parents
    if person_id is None:
        return AdminRights(None, frozenset(), tree)
    auth = queries.authority(session, person_id, day)
    wanted = frozenset(roles)
    roots = frozenset(
        a.unit_id
        for a, on_behalf in auth.addresses.items()
        if a.role in wanted and (not_for is None or on_behalf != not_for)
    )
    return AdminRights(person_id, roots, tree)


# --- substitutes --------------------------------------------------------------------------
def covers_role(
    auth: queries.Authority, parents: Mapping[int, int | None], role: Role, unit_id: int
) -> bool:
    """May the person arrange a substitute for someone holding ``role`` at the unit?
    HR or a director at or above the unit (strictly above for HR and director roles), or
    the line above for the roles the line leads."""
    up = ancestors(parents, unit_id)
    admin_units = up if role in ADMIN_ROLES else [unit_id, *up]
    if any(auth.on_behalf_for_address(Address(r, u))[0] for u in admin_units for r in ADMIN_ROLES):
        return True
    return role in LINE_LED and any(
        auth.on_behalf_for_address(Address(r, u))[0] for u in up for r in LINE_ROLES
    )


def roles_of(
    session: Session, person_ids: Iterable[int], day: date
) -> dict[int, list[tuple[Role, int]]]:
    """The roles each person holds in their own right today (no substitutions)."""
    out: dict[int, list[tuple[Role, int]]] = {p: [] for p in person_ids}
    for batch in chunks(sorted(out), 500):
        for person, role, unit in session.execute(
            select(RoleAssignment.person_id, RoleAssignment.role, RoleAssignment.unit_id).where(
                RoleAssignment.person_id.in_(batch), queries.valid_on(day)
            )
        ):
            out[person].append((Role(role), unit))
    return out


def covers_person(
    auth: queries.Authority,
    parents: Mapping[int, int | None],
    top_units: Iterable[int],
    roles: list[tuple[Role, int]],
) -> bool:
    """Every role the person holds is covered; someone holding none is covered only by HR
    or a director of the whole organisation (their work may be anywhere)."""
    if not roles:
        tops = list(top_units)
        return bool(tops) and all(
            any(auth.on_behalf_for_address(Address(r, u))[0] for r in ADMIN_ROLES) for u in tops
        )
    return all(covers_role(auth, parents, role, unit) for role, unit in roles)
