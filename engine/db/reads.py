"""Core reads on the hot paths of every door: who may act today (``authority``) and a
person's open tasks (``inbox_rows``). Core only (``engine.db.core``), so the command line's
inbox runs without the ORM; ``engine.db.queries`` gives the same functions on a Session.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, literal, or_, select, union_all
from sqlalchemy.sql.elements import BindParameter

from engine.db.core import CYCLE, CYCLE_TEMPLATE, ORG_UNIT, PERSON, STAGE, SUBSTITUTE, TASK
from engine.db.core import ROLE_ASSIGNMENT as RA
from engine.db.core import ROLE_WITHHELD as WITHHELD
from engine.domain.errors import NotFound
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus


@dataclass(frozen=True)
class Authority:
    """What one person may act on today: their own role addresses and those of the people
    they stand in for. Values say on whose behalf (None: in their own right)."""

    person_id: int
    persons: dict[int, int | None]
    addresses: dict[Address, int | None]

    def on_behalf_for_person(self, person_id: int) -> tuple[bool, int | None]:
        if person_id in self.persons:
            return True, self.persons[person_id]
        return False, None

    def on_behalf_for_address(self, address: Address) -> tuple[bool, int | None]:
        if address in self.addresses:
            return True, self.addresses[address]
        return False, None

    def holds(self, role: Role) -> list[int]:
        return [a.unit_id for a in self.addresses if a.role == role]


def _valid(day: BindParameter[Any]) -> Any:
    """A role assignment in force on ``day`` and not withheld by the identity provider
    (``models_ops.RoleWithheld``: a role the person's last sign-in did not claim)."""
    withheld = (
        select(literal(1))
        .select_from(WITHHELD)
        .where(WITHHELD.c.person_id == RA.c.person_id, WITHHELD.c.role == RA.c.role)
        .exists()
    )
    return and_(
        RA.c.valid_from <= day, or_(RA.c.valid_to.is_(None), RA.c.valid_to >= day), ~withheld
    )


# Statements on the hot path are built once; only their parameters change per call.
_DAY: BindParameter[Any] = bindparam("day")
HOLDERS = (
    select(RA.c.person_id)
    .where(RA.c.role == bindparam("role"), RA.c.unit_id == bindparam("unit"), _valid(_DAY))
    .order_by(RA.c.id)
)
_MANAGERS_OF = (
    select(RA.c.person_id, RA.c.unit_id)
    .where(
        RA.c.role == Role.MANAGER.value,
        RA.c.unit_id.in_(bindparam("units", expanding=True)),
        _valid(_DAY),
    )
    .order_by(RA.c.id)
)
ROLES_OF = (
    select(RA.c.person_id, RA.c.role, RA.c.unit_id)
    .where(RA.c.person_id.in_(bindparam("people", expanding=True)), _valid(_DAY))
    .order_by(RA.c.id)
)
PRINCIPALS = select(SUBSTITUTE.c.for_person_id).where(
    SUBSTITUTE.c.person_id == bindparam("me"),
    SUBSTITUTE.c.valid_from <= _DAY,
    SUBSTITUTE.c.valid_to >= _DAY,
    SUBSTITUTE.c.ended_at.is_(None),
)


def authority(conn: Connection, person_id: int, day: date) -> Authority:
    persons: dict[int, int | None] = {person_id: None}
    for principal in conn.execute(PRINCIPALS, {"me": person_id, "day": day}).scalars():
        persons.setdefault(principal, principal)
    addresses: dict[Address, int | None] = {}
    deputy_units: list[int] = []
    for holder, role, unit in conn.execute(ROLES_OF, {"people": list(persons), "day": day}):
        on_behalf = None if holder == person_id else holder
        address = Address(Role(role), unit)
        if addresses.get(address, -1) is not None:
            addresses[address] = on_behalf
        if role == Role.DEPUTY and holder == person_id:
            deputy_units.append(unit)
    if deputy_units:
        heads: dict[int, list[int]] = defaultdict(list)
        for holder, unit in conn.execute(_MANAGERS_OF, {"units": deputy_units, "day": day}):
            heads[unit].append(holder)
        for unit in deputy_units:
            found = heads.get(unit, [])
            addresses.setdefault(Address(Role.MANAGER, unit), found[0] if found else None)
    return Authority(person_id, persons, addresses)


T = TASK.c
INBOX_COLUMNS = (
    T.id, T.key, T.status, T.due_at, T.escalation_level, T.assignee_id, T.role,
    T.role_unit_id, T.unit_id, T.cycle_id, T.version, T.required, T.form_key, T.measure_id,
    T.reminders_sent, T.escalation_role, T.escalation_unit_id, T.created_at,
)  # fmt: skip


def _inbox_branch(why: str, *cond: Any) -> Select[Any]:
    return (
        select(
            *INBOX_COLUMNS,
            CYCLE.c.template_id,
            CYCLE.c.year,
            STAGE.c.key.label("stage_key"),
            ORG_UNIT.c.name.label("unit_name"),
            literal(why).label("why"),
        )
        .select_from(
            TASK.join(CYCLE, CYCLE.c.id == T.cycle_id)
            .join(STAGE, STAGE.c.id == T.stage_id)
            .join(ORG_UNIT, ORG_UNIT.c.id == T.unit_id)
        )
        .where(T.status == TaskStatus.OPEN.value, *cond)
    )


_UNITS: BindParameter[Any] = bindparam("units", expanding=True)
_ROLES: BindParameter[Any] = bindparam("roles", expanding=True)
_INBOX_UNION = union_all(
    _inbox_branch("assigned", T.assignee_id.in_(bindparam("people", expanding=True))),
    _inbox_branch("role", T.assignee_id.is_(None), T.role_unit_id.in_(_UNITS), T.role.in_(_ROLES)),
    _inbox_branch("escalated", T.escalation_unit_id.in_(_UNITS), T.escalation_role.in_(_ROLES)),
).subquery()
# One statement whatever the person holds (its parameters are lists), so it is compiled
# once. Units × roles may match a little more than the person's exact addresses; those
# rows are dropped below.
INBOX = (
    select(_INBOX_UNION)
    .order_by(_INBOX_UNION.c.due_at, _INBOX_UNION.c.id)
    .limit(bindparam("limit"))
)


def inbox_rows(conn: Connection, auth: Authority, *, limit: int = 1000) -> list[Any]:
    """Open tasks for a person: assigned to them (or to someone they stand in for), routed
    to a role they hold, or escalated to one of their roles. One index range per branch."""
    params = {
        "people": list(auth.persons),
        "units": sorted({a.unit_id for a in auth.addresses}),
        "roles": sorted({a.role.value for a in auth.addresses}),
        "limit": limit * 2,
    }
    seen: dict[int, Any] = {}
    for row in conn.execute(INBOX, params):
        if row.why == "role" and Address(Role(row.role), row.role_unit_id) not in auth.addresses:
            continue
        if (
            row.why == "escalated"
            and Address(Role(row.escalation_role), row.escalation_unit_id) not in auth.addresses
        ):
            continue
        if row.id not in seen or row.why == "escalated":
            seen[row.id] = row
    return sorted(seen.values(), key=lambda r: (r.due_at, r.id))[:limit]


_PERSON = select(PERSON.c.id, PERSON.c.email, PERSON.c.active).where(
    PERSON.c.email == bindparam("email")
)
_TEMPLATE = select(CYCLE_TEMPLATE.c.key, CYCLE_TEMPLATE.c.version, CYCLE_TEMPLATE.c.body).where(
    CYCLE_TEMPLATE.c.id == bindparam("id")
)


def person(conn: Connection, email: str) -> tuple[int, str, bool]:
    """(id, e-mail, active) of the person with this e-mail address."""
    row = conn.execute(_PERSON, {"email": email.strip().lower()}).first()
    if row is None:
        raise NotFound("person", email)
    return int(row[0]), str(row[1]), bool(row[2])


def template_text(conn: Connection, template_id: int) -> tuple[str, str]:
    """(body, "key vN") of a stored template version."""
    row = conn.execute(_TEMPLATE, {"id": template_id}).first()
    if row is None:
        raise NotFound("template", template_id)
    return str(row[2]), f"{row[0]} v{row[1]}"
