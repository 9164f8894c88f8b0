"""Whom a measure of a unit's action plan may name as responsible, for the plan form's
picker (a ``<select>`` with a group per kind, no JavaScript): the roles somebody holds for
the unit, the people holding a role at the unit or above, and the positions and groups the
organisation named at the unit or above (``engine.org.positions``).

The picker only offers; the plan's writer still resolves and checks what is posted
(``engine.plans.plan.resolve_responsible``), so a value typed by hand or posted by a
program is held to the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.models import Person, RoleAssignment
from engine.db.models.people.positions import OrgGroup, Position
from engine.domain.imports.positions import EMAIL, key_of
from engine.domain.workflow.routing import RoleExpr, resolve, role_from_text
from engine.domain.workflow.states import Role

#: The roles a measure is given to, in the order offered.
ROLES = (Role.MANAGER, Role.DEPUTY, Role.SAFETY_REP, Role.HR, Role.DIRECTOR)
#: At most this many people are listed (a large organisation's top has many role holders).
MOST_PEOPLE = 200


@dataclass(frozen=True)
class ResponsibleChoices:
    roles: list[tuple[str, str, str]]  # (value, Swedish, English)
    people: list[tuple[str, str]]  # (e-mail, name)
    positions: list[str]  # titles, as the organisation wrote them
    groups: list[str]

    def value_of(self, text: str | None) -> str:
        """The choice a written responsible is ('Enhetschef' -> 'manager', an e-mail in
        any case, a title however spaced), or '' if it is none of them."""
        if not text or not text.strip():
            return ""
        written = text.strip()
        folded = key_of(written)
        for title in (*self.positions, *self.groups):  # the organisation's own titles first
            if key_of(title) == folded:
                return title
        role = role_from_text(written)
        if role is not None and any(v == role.value for v, _, _ in self.roles):
            return role.value
        if EMAIL.match(written):
            for email, _ in self.people:
                if email.lower() == written.lower():
                    return email
        return ""


def choices(s: Session, unit_id: int, day: date) -> ResponsibleChoices:
    org = queries.ancestry_snapshot(s, [unit_id], day)
    units = [unit_id, *org.ancestors(unit_id)]
    roles = [(r.value, r.sv, r.en) for r in ROLES if resolve(RoleExpr(r), unit_id, org)]
    people = list(
        s.execute(
            select(Person.email, Person.name)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(
                RoleAssignment.unit_id.in_(units),
                queries.valid_on(day),
                Person.active.is_(True),
            )
            .distinct()
            .order_by(Person.name, Person.email)
            .limit(MOST_PEOPLE)
        ).tuples()
    )
    positions = sorted(set(s.scalars(select(Position.title).where(Position.unit_id.in_(units)))))
    groups = sorted(set(s.scalars(select(OrgGroup.name).where(OrgGroup.unit_id.in_(units)))))
    return ResponsibleChoices(roles, people, positions, groups)
