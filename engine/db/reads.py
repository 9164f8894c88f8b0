"""Core reads on the hot paths of every door: who may act today (``authority``), a
person's open tasks (``inbox_rows``) and what the inbox shows beside them (role holders,
names, the measures followed up, today's nudges, the units' line above). Core only
(``engine.db.core``), so the command line's inbox runs without the ORM;
``engine.db.queries`` gives the same functions on a Session.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    exc,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import BindParameter, ColumnClause

from engine.db.core import (
    ACTION_ITEM,
    CYCLE,
    CYCLE_TEMPLATE,
    MEASURE,
    ORG_UNIT,
    PERSON,
    STAGE,
    SUBSTITUTE,
    TASK,
    TASK_NUDGE,
)
from engine.db.core import ROLE_ASSIGNMENT as RA
from engine.db.core import ROLE_WITHHELD as WITHHELD
from engine.domain.errors import NotFound
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus


class Read:
    """A SELECT compiled once per dialect and per length of its IN lists, sent straight to
    the driver's cursor of the connection's transaction, its rows converted by the column
    types' own result processors. The reads every request makes (who may act, the inbox)
    skip SQLAlchemy's execution machinery this way (``engine.db.unit.Prepared`` does the
    same for the write path, without IN lists); rows read by attribute as Core's do."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._by_dialect: dict[str, _ReadCompiled] = {}

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[Any]:
        c = self._by_dialect.get(conn.dialect.name)
        if c is None:
            c = self._by_dialect[conn.dialect.name] = _ReadCompiled(self.stmt, conn.dialect)
        sql, params = c.statement(values)
        raw: Any = conn.connection.driver_connection
        cur = raw.cursor()
        try:
            cur.execute(sql, params)
            fetched = cur.fetchall()
        except conn.dialect.loaded_dbapi.Error as e:
            raise exc.DBAPIError.instance(
                sql, params, e, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
            ) from e
        finally:
            cur.close()
        return [c.row(r) for r in fetched]

    def scalars(self, conn: Connection, values: Mapping[str, Any]) -> list[Any]:
        return [r[0] for r in self.rows(conn, values)]


Processor = Callable[[Any], Any] | None


class _ReadCompiled:
    def __init__(self, stmt: Any, dialect: Dialect) -> None:
        c: Any = stmt.compile(dialect=dialect)
        self.compiled = c
        self.positional = bool(c.positional)
        by_name = {c.bind_names[b]: b for b in c.binds.values()}
        self.expanding = tuple(n for n, b in by_name.items() if b.expanding)
        self.defaults = {
            n: b.effective_value
            for n, b in by_name.items()
            if b.value is not None or b.callable is not None
        }
        self.required = tuple(n for n in by_name if n not in self.defaults)
        self.procs: dict[str, Processor] = dict(c._bind_processors)
        self.forms: dict[tuple[int, ...], tuple[str, tuple[tuple[str, str, int], ...]]] = {}
        columns = c._result_columns
        results = tuple(col.type._cached_result_processor(dialect, None) for col in columns)
        self.results: tuple[Processor, ...] | None = (
            None if all(p is None for p in results) else results
        )
        self.make = namedtuple("Row", [col.keyname for col in columns], rename=True)  # type: ignore[misc]

    def statement(self, values: Mapping[str, Any]) -> tuple[str, Any]:
        lengths = tuple(len(values[n]) for n in self.expanding)
        form = self.forms.get(lengths)
        if form is None:
            form = self.forms[lengths] = self._form(lengths)
        sql, slots = form
        out: list[Any] = []
        for _, base, index in slots:
            value = (
                values[base][index] if index >= 0
                else values[base] if base in values else self.defaults[base]
            )  # fmt: skip
            proc = self.procs.get(base)
            out.append(value if proc is None or value is None else proc(value))
        if self.positional:
            return sql, out
        return sql, {name: v for (name, _, _), v in zip(slots, out, strict=True)}

    def _form(self, lengths: tuple[int, ...]) -> tuple[str, tuple[tuple[str, str, int], ...]]:
        """The SQL with these many elements in each IN list, and per parameter slot its
        name, the value it takes (a parameter, or element ``index`` of a list)."""
        dummy: dict[str, Any] = dict.fromkeys(self.required)
        dummy.update({n: [0] * k for n, k in zip(self.expanding, lengths, strict=True)})
        state = self.compiled.construct_expanded_state(dummy, escape_names=False)
        element = {
            e: (base, i) for base, names in state.parameter_expansion.items()
            for i, e in enumerate(names)
        }  # fmt: skip
        names = state.positiontup if self.positional else list(state.parameters)
        slots = tuple((n, *element.get(n, (n, -1))) for n in names)
        return state.statement, slots

    def row(self, row: Sequence[Any]) -> Any:
        if self.results is None:
            return self.make(*row)
        return self.make(
            *(v if p is None or v is None else p(v) for v, p in zip(row, self.results, strict=True))
        )


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


_PRINCIPALS, _ROLES_OF, _MANAGERS_OF_R = Read(PRINCIPALS), Read(ROLES_OF), Read(_MANAGERS_OF)


def authority(conn: Connection, person_id: int, day: date) -> Authority:
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
        for holder, unit in _MANAGERS_OF_R.rows(conn, {"units": deputy_units, "day": day}):
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


#: Written into the SQL, not bound: SQLite uses a partial index (``WHERE status = 'open'``)
#: for a bound value only by planning the statement again on every execution (~0.15 ms
#: of the inbox's 0.2 here; 0.02 ms with the literal).
_OPEN: ColumnClause[str] = literal_column(f"'{TaskStatus.OPEN.value}'")


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
        .where(T.status == _OPEN, *cond)
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
_INBOX = Read(INBOX)


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


# --- what the inbox shows beside the rows -------------------------------------------------
def _batches(ids: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), size):
        yield wanted[i : i + size]


def _in_force(day: BindParameter[Any]) -> Any:
    return and_(RA.c.valid_from <= day, or_(RA.c.valid_to.is_(None), RA.c.valid_to >= day))


_HOLDERS_IN = Read(
    select(RA.c.person_id, RA.c.role, RA.c.unit_id)
    .where(RA.c.unit_id.in_(_UNITS), RA.c.role.in_(_ROLES), _in_force(_DAY))
    .order_by(RA.c.id)
)


def holders_at(
    conn: Connection, addresses: Iterable[Address], day: date
) -> dict[Address, list[int]]:
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


_NAMES = Read(
    select(PERSON.c.id, PERSON.c.name, PERSON.c.email).where(
        PERSON.c.id.in_(bindparam("ids", expanding=True))
    )
)


def person_names(conn: Connection, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Person id -> (name, e-mail)."""
    out: dict[int, tuple[str, str]] = {}
    for batch in _batches(ids):
        out.update({i: (n, e) for i, n, e in _NAMES.rows(conn, {"ids": batch})})
    return out


_MEASURES = Read(
    select(MEASURE.c.id, ACTION_ITEM.c.number, MEASURE.c.number, MEASURE.c.what)
    .join(ACTION_ITEM, ACTION_ITEM.c.id == MEASURE.c.action_item_id)
    .where(MEASURE.c.id.in_(bindparam("ids", expanding=True)))
)


def measures_named(conn: Connection, ids: Iterable[int]) -> dict[int, tuple[int, int, str]]:
    """Measure id -> (its plan item's number, its own number, what it is)."""
    out: dict[int, tuple[int, int, str]] = {}
    for batch in _batches(ids):
        for mid, item_no, no, what in _MEASURES.rows(conn, {"ids": batch}):
            out[mid] = (int(item_no), int(no), str(what))
    return out


_NUDGED = Read(
    select(TASK_NUDGE.c.task_id).where(
        TASK_NUDGE.c.task_id.in_(bindparam("ids", expanding=True)), TASK_NUDGE.c.day == _DAY
    )
)


def nudged_today(conn: Connection, task_ids: Iterable[int], day: date) -> set[int]:
    """The tasks whose holder was already reminded by hand on ``day``."""
    out: set[int] = set()
    for batch in _batches(task_ids):
        out.update(_NUDGED.scalars(conn, {"ids": batch, "day": day}))
    return out


_UP_BASE = (
    select(ORG_UNIT.c.id, ORG_UNIT.c.parent_id)
    .where(ORG_UNIT.c.id.in_(bindparam("ids", expanding=True)))
    .cte("up", recursive=True)
)
_UP_ALL = _UP_BASE.union(
    select(ORG_UNIT.c.id, ORG_UNIT.c.parent_id).join(
        _UP_BASE, ORG_UNIT.c.id == _UP_BASE.c.parent_id
    )
)
_UP = Read(select(_UP_ALL.c.id, _UP_ALL.c.parent_id))
_ACTIVE_HOLDERS = Read(
    select(RA.c.person_id, RA.c.role, RA.c.unit_id)
    .join(PERSON, PERSON.c.id == RA.c.person_id)
    .where(
        RA.c.unit_id.in_(bindparam("units", expanding=True)),
        _in_force(_DAY),
        PERSON.c.active.is_(True),
    )
    .order_by(RA.c.id)
)


def ancestry(conn: Connection, unit_ids: Sequence[int] | set[int], day: date) -> OrgSnapshot:
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
