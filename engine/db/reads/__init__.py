"""Core reads on the hot paths of every door: who may act today (``authority``), a
person's open tasks (``inbox_rows``) and what the inbox shows beside them (role holders,
names, the measures followed up, today's nudges, the units' line above).

The statements are SQLAlchemy Core (``engine.db.reads.statements``, over ``engine.db.core``:
no ORM), imported when a read first runs on a SQLAlchemy connection; ``engine.db.queries``
gives the same functions on a Session. This module itself imports no SQLAlchemy: on a
``Plain`` connection (``engine.db.reads.plain``: the DB-API driver alone) each read sends
the SQL text SQLAlchemy compiled for that dialect, kept in ``compiled.json``, so that
``samflow inbox`` runs these very functions without loading SQLAlchemy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias

from engine.db.reads.plain import Plain
from engine.domain.errors import NotFound
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from engine.db.reads.statements import ReadCompiled

    #: What every read runs on: a SQLAlchemy connection, or the driver's own (``Plain``).
    Conn: TypeAlias = Connection | Plain


class Read:
    """One statement of ``engine.db.reads.statements`` (named by its attribute there).
    On a SQLAlchemy connection it is compiled once per dialect and per length of its IN
    lists and sent straight to the driver's cursor (``statements.ReadCompiled``); on a
    ``Plain`` connection its kept plan is sent. Rows read by attribute as Core's do."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._by_dialect: dict[str, ReadCompiled] = {}
        ALL.append(self)

    @property
    def stmt(self) -> Any:
        from engine.db.reads import statements

        return getattr(statements, self.name)

    def rows(self, conn: Conn, values: Mapping[str, Any]) -> list[Any]:
        if isinstance(conn, Plain):
            return conn.rows(self.name, values)
        c = self._by_dialect.get(conn.dialect.name)
        if c is None:
            from engine.db.reads.statements import ReadCompiled

            c = self._by_dialect[conn.dialect.name] = ReadCompiled(self.stmt, conn.dialect)
        return c.rows(conn, values)

    def scalars(self, conn: Conn, values: Mapping[str, Any]) -> list[Any]:
        return [r[0] for r in self.rows(conn, values)]


#: Every read (``statements.plans`` compiles them all).
ALL: list[Read] = []
_PRINCIPALS, _ROLES_OF, _MANAGERS_OF = Read("PRINCIPALS"), Read("ROLES_OF"), Read("MANAGERS_OF")
_INBOX, _PERSON, _TEMPLATE = Read("INBOX"), Read("PERSON_BY_EMAIL"), Read("TEMPLATE")
_HOLDERS_IN, _NAMES, _MEASURES = Read("HOLDERS_IN"), Read("NAMES"), Read("MEASURES")
_NUDGED, _UP, _ACTIVE_HOLDERS = Read("NUDGED"), Read("UP"), Read("ACTIVE_HOLDERS")


def compiled_text() -> str:
    """What ``compiled.json`` should hold: every read's plans, compiled now."""
    from engine.db.reads import statements

    return statements.plans_text(r.name for r in ALL)


def __getattr__(name: str) -> Any:
    """The statements by their old names here (``reads.HOLDERS``), built on first use."""
    if name.isupper():
        from engine.db.reads import statements

        return getattr(statements, name)
    raise AttributeError(name)


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


def authority(conn: Conn, person_id: int, day: date) -> Authority:
    persons: dict[int, int | None] = {person_id: None}
    for principal in _PRINCIPALS.scalars(conn, {"me": person_id, "day": day}):
        persons.setdefault(principal, principal)
    addresses: dict[Address, int | None] = {}
    deputy_units: list[int] = []
    for holder, role, unit in _ROLES_OF.rows(conn, {"people": list(persons), "day": day}):
        on_behalf = None if holder == person_id else holder
        address = Address(Role(role), unit)
        if addresses.get(address, -1) is not None:
            addresses[address] = on_behalf
        if role == Role.DEPUTY and holder == person_id:
            deputy_units.append(unit)
    if deputy_units:
        heads: dict[int, list[int]] = defaultdict(list)
        for holder, unit in _MANAGERS_OF.rows(conn, {"units": deputy_units, "day": day}):
            heads[unit].append(holder)
        for unit in deputy_units:
            found = heads.get(unit, [])
            addresses.setdefault(Address(Role.MANAGER, unit), found[0] if found else None)
    return Authority(person_id, persons, addresses)


def inbox_rows(conn: Conn, auth: Authority, *, limit: int = 1000) -> list[Any]:
    """Open tasks for a person: assigned to them (or to someone they stand in for), routed
    to a role they hold, or escalated to one of their roles. One index range per branch."""
    params = {
        "people": list(auth.persons),
        "units": sorted({a.unit_id for a in auth.addresses}),
        "roles": sorted({a.role.value for a in auth.addresses}),
        "limit": limit * 2,
    }
    seen: dict[int, Any] = {}
    for row in _INBOX.rows(conn, params):
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


def person(conn: Conn, email: str) -> tuple[int, str, bool]:
    """(id, e-mail, active) of the person with this e-mail address."""
    found = _PERSON.rows(conn, {"email": email.strip().lower()})
    row = found[0] if found else None
    if row is None:
        raise NotFound("person", email)
    return int(row[0]), str(row[1]), bool(row[2])


def template_text(conn: Conn, template_id: int) -> tuple[str, str]:
    """(body, "key vN") of a stored template version."""
    found = _TEMPLATE.rows(conn, {"id": template_id})
    row = found[0] if found else None
    if row is None:
        raise NotFound("template", template_id)
    return str(row[2]), f"{row[0]} v{row[1]}"


# --- what the inbox shows beside the rows -------------------------------------------------
def _batches(ids: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), size):
        yield wanted[i : i + size]


def holders_at(conn: Conn, addresses: Iterable[Address], day: date) -> dict[Address, list[int]]:
    """Who holds each of a few role addresses on ``day``, in one statement compiled once:
    units × roles, the extra pairs dropped here."""
    wanted = set(addresses)
    if not wanted:
        return {}
    out: dict[Address, list[int]] = defaultdict(list)
    params = {
        "units": sorted({a.unit_id for a in wanted}),
        "roles": sorted({a.role.value for a in wanted}),
        "day": day,
    }
    for holder, role, unit in _HOLDERS_IN.rows(conn, params):
        address = Address(Role(role), unit)
        if address in wanted:
            out[address].append(holder)
    return dict(out)


def person_names(conn: Conn, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Person id -> (name, e-mail)."""
    out: dict[int, tuple[str, str]] = {}
    for batch in _batches(ids):
        out.update({i: (n, e) for i, n, e in _NAMES.rows(conn, {"ids": batch})})
    return out


def measures_named(conn: Conn, ids: Iterable[int]) -> dict[int, tuple[int, int, str]]:
    """Measure id -> (its plan item's number, its own number, what it is)."""
    out: dict[int, tuple[int, int, str]] = {}
    for batch in _batches(ids):
        for mid, item_no, no, what in _MEASURES.rows(conn, {"ids": batch}):
            out[mid] = (int(item_no), int(no), str(what))
    return out


def nudged_today(conn: Conn, task_ids: Iterable[int], day: date) -> set[int]:
    """The tasks whose holder was already reminded by hand on ``day``."""
    out: set[int] = set()
    for batch in _batches(task_ids):
        out.update(_NUDGED.scalars(conn, {"ids": batch, "day": day}))
    return out


def ancestry(conn: Conn, unit_ids: Sequence[int] | set[int], day: date) -> OrgSnapshot:
    """The units and all their ancestors, with the active role holders there: enough to
    judge the line above those units without loading the whole organisation."""
    parents: dict[int, int | None] = {}
    for batch in _batches(unit_ids):
        parents.update((r[0], r[1]) for r in _UP.rows(conn, {"ids": batch}))
    holders: dict[Address, list[int]] = defaultdict(list)
    for batch in _batches(parents):
        for holder, role, unit in _ACTIVE_HOLDERS.rows(conn, {"units": batch, "day": day}):
            holders[Address(Role(role), unit)].append(holder)
    return OrgSnapshot(parents, dict(holders))
