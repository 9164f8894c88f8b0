"""Role expressions: who a task goes to, written as data in templates.

A task is routed to an *address*, a role at a unit (``manager@42``), not to a person: the
person is looked up when someone opens their inbox, so when a unit gets a new manager the
open tasks follow. Expressions:

    manager, deputy, employee         the role at the task's own unit (must exist there);
                                      a director heads the unit they are director of
    safety_rep, hr, director, ...     the nearest holder at the unit or above it; where a
                                      level has no skyddsombud the huvudskyddsombud stands in
    parent.<role>                     the nearest holder strictly above the unit
    measure.responsible               whoever a measure names (a person or a role)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from engine.domain.workflow.states import ROLE_ALIASES, Role

#: Roles that only count at the unit itself: a unit without its own manager is a gap
#: HR must fix, not something to paper over with the manager of another unit.
SELF_ONLY = frozenset({Role.MANAGER, Role.DEPUTY, Role.EMPLOYEE})
#: Who stands in for a role at the same unit when nobody holds it there.
FALLBACK = {Role.MANAGER: Role.DIRECTOR, Role.SAFETY_REP: Role.CHIEF_SAFETY_REP}
MEASURE_RESPONSIBLE = "measure.responsible"


@dataclass(frozen=True, order=True)
class Address:
    role: Role
    unit_id: int

    def __str__(self) -> str:
        return f"{self.role.value}@{self.unit_id}"


@dataclass(frozen=True)
class RoleExpr:
    role: Role
    from_parent: bool = False

    def __str__(self) -> str:
        return f"parent.{self.role.value}" if self.from_parent else self.role.value


class OrgView(Protocol):
    """What routing needs to know about the organisation (the db implements it)."""

    def parent_of(self, unit_id: int) -> int | None: ...

    def has_holder(self, role: Role, unit_id: int) -> bool: ...


@lru_cache(maxsize=256)
def parse(expr: str) -> RoleExpr | str:
    """A RoleExpr, or the literal ``measure.responsible``. Raises ValueError naming it.
    (Cached: templates name a handful of expressions, routed thousands of times at a year
    start; the result is immutable.)"""
    text = expr.strip()
    if text == MEASURE_RESPONSIBLE:
        return text
    from_parent = text.startswith("parent.")
    name = text.removeprefix("parent.")
    try:
        return RoleExpr(Role(name), from_parent)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ValueError(
            f"unknown role expression {expr!r} (roles: {known}; or parent.<role>, "
            f"{MEASURE_RESPONSIBLE}) | okänt rolluttryck {expr!r}"
        ) from None


def resolve(expr: RoleExpr, unit_id: int, org: OrgView) -> Address | None:
    """The address a task for ``expr`` at ``unit_id`` goes to, or None when nobody holds it."""
    start: int | None = org.parent_of(unit_id) if expr.from_parent else unit_id
    if expr.role in SELF_ONLY and not expr.from_parent:
        return _held_at(expr.role, unit_id, org)
    seen: set[int] = set()
    while start is not None and start not in seen:
        found = _held_at(expr.role, start, org)
        if found is not None:
            return found
        seen.add(start)
        start = org.parent_of(start)
    return None


def _held_at(role: Role, unit_id: int, org: OrgView) -> Address | None:
    for candidate in (role, FALLBACK.get(role)):
        if candidate is not None and org.has_holder(candidate, unit_id):
            return Address(candidate, unit_id)
    return None


def role_from_text(text: str) -> Role | None:
    """'Enhetschef', 'skyddsombud', 'manager' -> the Role; None if it is not a role word."""
    return ROLE_ALIASES.get(text.strip().lower())
