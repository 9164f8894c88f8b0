"""Deciding, before anything is written, what an organisation import may change.

An import is read against the database as it stands: which unit rows change a unit (or
create one), which people rows grant or change a role, which people it renames, and which
current roles it would end because the file leaves them out. Every change must lie within
the importer's rights (``org_rights``); every row that does not is reported at once, by
file, line and field, and nothing is written. Roles the file leaves out but the importer
does not administer are kept as they are.

    plan = authorize(session, rights, unit_rows, people_rows, day, files)   # or raises
    plan.ending          # the roles the import ends (only these are ended)
    plan.needs_confirmation(20)   # ends more than 20 % of the roles in reach

A job runner calls this (through ``org.prepare_import``) before it starts, and the import
calls it again inside its own transaction, so what is applied is what was authorized.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import OrgUnit, Person, RoleAssignment
from engine.domain.errors import ImportNotPermitted, NotPermitted, RowError
from engine.domain.imports.org import MAX_ERRORS, PersonRoleRow, UnitRow
from engine.domain.workflow.states import Role
from engine.org.rights import Rights

RoleKey = tuple[int, str, int]  # person id, role, unit id


@dataclass(frozen=True)
class Files:
    units: str = "units.csv"
    people: str = "people.csv"


@dataclass(frozen=True)
class ImportPlan:
    """What an authorized import will do to roles it does not list."""

    roles_in_reach: int  # current imported roles the importer administers
    ending: frozenset[RoleKey]  # of those, the ones the file leaves out: ended
    kept_outside: int  # left out of the file, but not the importer's to end: kept
    touched_units: frozenset[int] = field(default_factory=frozenset)  # existing units changed
    ending_labels: tuple[tuple[str, str, str], ...] = ()  # (e-mail, role, unit code), sorted

    def needs_confirmation(self, percent: int) -> bool:
        """Ends more than ``percent`` % of the roles in reach."""
        return self.roles_in_reach > 0 and len(self.ending) * 100 > percent * self.roles_in_reach


class _Errors:
    def __init__(self) -> None:
        self.rows: list[RowError] = []

    def add(self, file: str, line: int, field_: str, en: str, sv: str) -> None:
        if len(self.rows) < MAX_ERRORS:
            self.rows.append(RowError(file, line, field_, en, sv))


def _outside(what: str) -> tuple[str, str]:
    return (
        f"{what} is outside the units you administer",
        f"{what} ligger utanför de enheter du administrerar",
    )


def _own_level(role: str, code: str) -> tuple[str, str]:
    return (
        f"{role} at {code} is at or above your own level; someone above you must grant it",
        f"{role} vid {code} är på eller över din egen nivå; någon ovanför dig måste ge den",
    )


def require_some_rights(rights: Rights) -> None:
    """Only HR or a director (somewhere) imports at all."""
    if not rights.holds_any:
        raise NotPermitted(
            "only HR or a director may import the organisation",
            "bara HR eller en direktör får importera organisationen",
        )


def authorize(
    session: Session,
    rights: Rights,
    unit_rows: list[UnitRow],
    people_rows: list[PersonRoleRow],
    day: date,
    files: Files = Files(),
) -> ImportPlan:
    """Check every change the import makes against ``rights``; raise ImportNotPermitted
    naming each row that goes outside them, else say which roles it ends."""
    require_some_rights(rights)
    units = {u.code: u for u in session.scalars(select(OrgUnit))}
    ids = {code: u.id for code, u in units.items()}
    new_ids = {r.code: -(i + 1) for i, r in enumerate(r for r in unit_rows if r.code not in ids)}
    ids.update(new_ids)
    tree: dict[int, int | None] = {u.id: u.parent_id for u in units.values()}
    for r in unit_rows:
        tree[ids[r.code]] = ids[r.parent_code] if r.parent_code else None
    after = rights.in_tree(tree)
    errors = _Errors()
    touched = _check_units(rights, after, unit_rows, units, ids, errors, files.units)
    current = _current_roles(session, day)
    persons = {p.email: p for p in session.scalars(select(Person))}
    wanted = _check_roles(after, people_rows, current, persons, ids, errors, files.people)
    _check_people(session, rights, people_rows, persons, day, errors, files.people)
    if errors.rows:
        raise ImportNotPermitted(errors.rows)
    reach = {k for k in current if after.may_manage_role(Role(k[1]), k[2])}
    ending = frozenset(k for k in reach if k not in wanted)
    kept = sum(1 for k in current if k not in wanted and k not in reach)
    touched |= {k[2] for k in ending}
    emails = {p.id: p.email for p in persons.values()}
    codes = {u.id: u.code for u in units.values()}
    labels = tuple(sorted((emails[k[0]], k[1], codes[k[2]]) for k in ending))
    return ImportPlan(len(reach), ending, kept, frozenset(touched), labels)


def _check_units(
    before: Rights,
    after: Rights,
    rows: list[UnitRow],
    units: dict[str, OrgUnit],
    ids: dict[str, int],
    errors: _Errors,
    file: str,
) -> set[int]:
    touched: set[int] = set()
    for row in rows:
        unit = units.get(row.code)
        parent = ids[row.parent_code] if row.parent_code else None
        if unit is None:
            if not _parent_ok(after, parent):
                errors.add(file, row.line, "parent_code", *_outside(row.parent_code or "—"))
            elif parent is not None and parent > 0:
                touched.add(parent)
            continue
        new = {
            "name": row.name,
            "level": row.level,
            "headcount": row.headcount,
            "parent_code": parent,
            "active": True,
        }
        old = {
            "name": unit.name,
            "level": unit.level,
            "headcount": unit.headcount,
            "parent_code": unit.parent_id,
            "active": unit.active,
        }
        changed = [k for k in new if new[k] != old[k]]
        if not changed:
            continue
        touched.add(unit.id)
        if not before.may_change_unit(unit.id):
            fields = ", ".join("code" if k == "active" else k for k in changed)
            errors.add(file, row.line, fields, *_outside(row.code))
        elif "parent_code" in changed and not _parent_ok(after, parent):
            errors.add(file, row.line, "parent_code", *_outside(row.parent_code or "—"))
    return touched


def _parent_ok(after: Rights, parent: int | None) -> bool:
    """A unit goes under a unit the importer administers (only the system adds or moves
    units to the top)."""
    if after.is_system:
        return True
    return parent is not None and after.may_change_unit(parent)


def _current_roles(session: Session, day: date) -> dict[RoleKey, RoleAssignment]:
    """The imported roles current or to come (what ``org._apply_roles`` compares with)."""
    current: dict[RoleKey, RoleAssignment] = {}
    for ra in session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.source == "import",
            (RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to >= day),
        )
    ):
        if ra.valid_to is None or ra.valid_to >= ra.valid_from:
            current[(ra.person_id, ra.role, ra.unit_id)] = ra
    return current


def _check_roles(
    after: Rights,
    rows: list[PersonRoleRow],
    current: dict[RoleKey, RoleAssignment],
    persons: dict[str, Person],
    ids: dict[str, int],
    errors: _Errors,
    file: str,
) -> set[RoleKey]:
    """Each role the file grants or changes must be the importer's to manage."""
    wanted: set[RoleKey] = set()
    for row in rows:
        if row.role is None or row.unit_code is None:
            continue
        person = persons.get(row.email)
        unit_id = ids[row.unit_code]
        found = None
        if person is not None:
            key = (person.id, row.role.value, unit_id)
            wanted.add(key)
            found = current.get(key)
        if found is not None and not _role_changes(found, row):
            continue
        if after.may_manage_role(row.role, unit_id):
            continue
        if after.may_change_unit(unit_id):
            errors.add(file, row.line, "role", *_own_level(row.role.value, row.unit_code))
        else:
            errors.add(file, row.line, "unit_code", *_outside(row.unit_code))
    return wanted


def _role_changes(found: RoleAssignment, row: PersonRoleRow) -> bool:
    """The same test ``org._apply_roles`` uses for an update."""
    return found.valid_to != row.valid_to or bool(
        row.valid_from and found.valid_from != row.valid_from
    )


def _check_people(
    session: Session,
    rights: Rights,
    rows: list[PersonRoleRow],
    persons: dict[str, Person],
    day: date,
    errors: _Errors,
    file: str,
) -> None:
    """Renaming (or re-activating, or giving another employee number) someone: only who
    works wholly within the rights."""
    first: dict[str, PersonRoleRow] = {}
    numbers: dict[str, str] = {}
    for row in rows:
        first.setdefault(row.email, row)
        if row.employee_number:
            numbers.setdefault(row.email, row.employee_number)
    changed = [
        (persons[e], r)
        for e, r in first.items()
        if e in persons
        and (
            persons[e].name != r.name
            or not persons[e].active
            or numbers.get(e, persons[e].employee_number) != persons[e].employee_number
        )
    ]
    if not changed or rights.is_system:
        return
    units = _role_units(session, [p.id for p, _ in changed], day)
    for person, row in changed:
        if not all(rights.may_change_unit(u) for u in units.get(person.id, ())):
            errors.add(file, row.line, "name", *_outside(row.email))


def _role_units(session: Session, person_ids: Iterable[int], day: date) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for batch in chunks(sorted(set(person_ids)), 500):
        for person, unit in session.execute(
            select(RoleAssignment.person_id, RoleAssignment.unit_id).where(
                RoleAssignment.person_id.in_(batch), queries.valid_on(day)
            )
        ):
            out.setdefault(person, set()).add(unit)
    return out
