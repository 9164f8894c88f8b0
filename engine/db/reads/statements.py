"""The Core statements behind ``engine.db.reads`` (SQLAlchemy: imported when a read first
runs on a SQLAlchemy connection, or to compile the plain plans), and their compilation.

``plan(stmt, dialect)`` turns one statement into a plain plan: its SQL text for that
dialect with the IN lists left open, the order of its parameters, how each element of an
IN list is written, and which values need converting on the way in and out. The plans of
every read, for SQLite and PostgreSQL, are kept in ``compiled.json`` (``scripts/reads_sql.py
update`` writes it; ``tests/cli/test_inbox_plain.py`` fails when regenerating would change
it), so ``samflow inbox`` can send the very same SQL through the driver without importing
SQLAlchemy (``engine.db.reads.plain``).
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
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
from engine.db.types import UTCDateTime
from engine.domain.workflow.states import Role, TaskStatus

Processor = Callable[[Any], Any] | None


class ReadCompiled:
    """A SELECT compiled once per dialect and per length of its IN lists, sent straight to
    the driver's cursor of the connection's transaction, its rows converted by the column
    types' own result processors. The reads every request makes (who may act, the inbox)
    skip SQLAlchemy's execution machinery this way (``engine.db.unit.Prepared`` does the
    same for the write path, without IN lists); rows read by attribute as Core's do."""

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

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[Any]:
        sql, params = self.statement(values)
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
        return [self.row(r) for r in fetched]

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


# --- plain plans (the SQL text for the driver, without SQLAlchemy) -----------------------
#: The dialects whose plans are kept: SQLite (stdlib sqlite3) and PostgreSQL (psycopg 3).
def _sqlite() -> Dialect:
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()


def _postgresql() -> Dialect:
    from sqlalchemy.dialects.postgresql import psycopg

    return psycopg.dialect()  # type: ignore[no-untyped-call]


#: (Imported only to write or check the plans: the ordinary path compiles for the dialect
#: of its connection.)
DIALECTS: dict[str, Callable[[], Dialect]] = {"sqlite": _sqlite, "postgresql": _postgresql}


def _kind(type_: Any, what: str) -> str:
    """The plain conversion (``engine.db.reads.plain.CONVERT``) standing in for a type's
    processor; a type without one fails here, when the plans are written."""
    if isinstance(type_, UTCDateTime):
        return "utc_datetime"
    if isinstance(type_, Boolean):
        return "bool"
    if isinstance(type_, Date):
        return "date"
    raise TypeError(f"no plain conversion for the {what} of type {type_!r}")


def plan(stmt: Any, dialect: Dialect) -> dict[str, Any]:
    """One statement as a plain plan for ``dialect`` (what ``engine.db.reads.plain``
    reads): SQLAlchemy's own compilation, with each IN list written as SQLAlchemy writes
    it (its elements, or its empty-set form)."""
    c: Any = stmt.compile(dialect=dialect)
    if c.escaped_bind_names or "~~" in c.string:
        raise ValueError("parameter names that need escaping are not supported")
    by_name = {c.bind_names[b]: b for b in c.binds.values()}
    expanding: dict[str, list[str]] = {}
    empty: dict[str, str] = {}
    for name, b in by_name.items():
        if not b.expanding:
            continue
        _, one = c._literal_execute_expanding_parameter(name, b, [0], taken_names=set())
        left, sep, right = one.partition(f"{name}_1")
        expanding[name] = [left, right] if sep else [one]
        empty[name] = c._literal_execute_expanding_parameter(name, b, [], taken_names=set())[1]
    defaults = {
        n: b.effective_value for n, b in by_name.items() if b.value is not None and not b.expanding
    }
    for n, v in defaults.items():
        if not isinstance(v, (str, int)) or isinstance(v, bool):
            raise TypeError(f"a constant {n}={v!r} that the plan cannot keep as JSON")
    columns = c._result_columns
    return {
        "sql": c.string,
        "positional": bool(c.positional),
        "names": list(c.positiontup) if c.positional else list(by_name),
        "expanding": expanding,
        "empty": empty,
        "defaults": defaults,
        "binds": {n: _kind(c.binds[n].type, f"parameter {n}") for n in c._bind_processors},
        "columns": [col.keyname for col in columns],
        "results": [
            None
            if col.type._cached_result_processor(dialect, None) is None
            else _kind(col.type, f"column {col.keyname}")
            for col in columns
        ],
    }


def plans(names: Iterable[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """The plans of the statements named here (``engine.db.reads.ALL``), per dialect."""
    wanted = sorted(names)
    return {
        dialect: {name: plan(globals()[name], make()) for name in wanted}
        for dialect, make in DIALECTS.items()
    }


def plans_text(names: Iterable[str]) -> str:
    """``compiled.json`` as it should be (``engine.db.reads.compiled_text``)."""
    return json.dumps(plans(names), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# --- the statements -----------------------------------------------------------------------
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
MANAGERS_OF = (
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
# rows are dropped by ``engine.db.reads.inbox_rows``.
INBOX = (
    select(_INBOX_UNION)
    .order_by(_INBOX_UNION.c.due_at, _INBOX_UNION.c.id)
    .limit(bindparam("limit"))
)

PERSON_BY_EMAIL = select(PERSON.c.id, PERSON.c.email, PERSON.c.active).where(
    PERSON.c.email == bindparam("email")
)
TEMPLATE = select(CYCLE_TEMPLATE.c.key, CYCLE_TEMPLATE.c.version, CYCLE_TEMPLATE.c.body).where(
    CYCLE_TEMPLATE.c.id == bindparam("id")
)


def _in_force(day: BindParameter[Any]) -> Any:
    return and_(RA.c.valid_from <= day, or_(RA.c.valid_to.is_(None), RA.c.valid_to >= day))


HOLDERS_IN = (
    select(RA.c.person_id, RA.c.role, RA.c.unit_id)
    .where(RA.c.unit_id.in_(_UNITS), RA.c.role.in_(_ROLES), _in_force(_DAY))
    .order_by(RA.c.id)
)
NAMES = select(PERSON.c.id, PERSON.c.name, PERSON.c.email).where(
    PERSON.c.id.in_(bindparam("ids", expanding=True))
)
MEASURES = (
    select(MEASURE.c.id, ACTION_ITEM.c.number, MEASURE.c.number, MEASURE.c.what)
    .join(ACTION_ITEM, ACTION_ITEM.c.id == MEASURE.c.action_item_id)
    .where(MEASURE.c.id.in_(bindparam("ids", expanding=True)))
)
NUDGED = select(TASK_NUDGE.c.task_id).where(
    TASK_NUDGE.c.task_id.in_(bindparam("ids", expanding=True)), TASK_NUDGE.c.day == _DAY
)
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
UP = select(_UP_ALL.c.id, _UP_ALL.c.parent_id)
ACTIVE_HOLDERS = (
    select(RA.c.person_id, RA.c.role, RA.c.unit_id)
    .join(PERSON, PERSON.c.id == RA.c.person_id)
    .where(
        RA.c.unit_id.in_(bindparam("units", expanding=True)),
        _in_force(_DAY),
        PERSON.c.active.is_(True),
    )
    .order_by(RA.c.id)
)
