"""The overview of cases, set-based: per kind of case and state, how many, how many tasks
are open, overdue and escalated, for the units a person may see, computed in the
database (a director's year of 10,000 incidents is a few aggregate queries, not 10,000
case views read into Python).

The rules are those of the case lists (``cases.list_cases`` and ``views.summary``),
written as SQL:

* **visible**: cases at the units the person oversees (a manager, deputy or safety
  representative at the unit; a manager, director, HR or chief safety representative at
  it or above), found by walking the active unit tree down from those units in the
  database, and, where the process says so (``registrants.own_cases``), the cases the
  person opened;
* **the tasks that count** for a case: with items, the task now answering each item at
  each responsible unit (the first one, or where its returns led: the last task made from
  a returned one, followed in a recursive query); without items, its own tasks that are
  open or completed;
* **state**: ``closed`` when its cycle is no longer active, ``drawn_up`` when the first
  document its template names exists, ``ready`` when every task that counts is done,
  else ``open``; **overdue**: open tasks past due; **escalated**: tasks with an
  escalation step taken.

The statements are Core, built once per shape (who asks: the system or a person; with a
unit filter or not) with every value a bound parameter, so a call pays for running them,
not for building them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import Cycle, OrgUnit, Task, table
from engine.db.models.workflow.process import CaseDocument, CaseItem, CaseItemTask, ProcessCase
from engine.domain.clock import local_date
from engine.domain.workflow.template import CycleTemplate
from engine.org import access
from engine.workflow import templates

#: The states a case is in, as the case lists show them.
STATES = ("open", "ready", "drawn_up", "closed")

T, CY, U = table(Task), table(Cycle), table(OrgUnit)
PC, CI, CIT, CD = table(ProcessCase), table(CaseItem), table(CaseItemTask), table(CaseDocument)


@dataclass(frozen=True)
class KindOverview:
    """One row of the overview per kind of case: how many, and how many need attention."""

    kind: str
    title_sv: str
    title_en: str
    cases: int
    open: int  # not closed yet
    overdue: int  # tasks past due
    escalated: int
    open_tasks: int = 0  # tasks that count and are still open
    #: Cases per state: open, ready (every task done), drawn_up, closed.
    states: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseKind:
    kind: str
    title_sv: str
    title_en: str
    first_document: str | None
    own_cases: bool
    has_items: bool = False


def case_kinds() -> list[CaseKind]:
    """Every packaged process whose subject is a case, by kind."""
    out: dict[str, CaseKind] = {}
    for text in templates.packaged().values():
        template: CycleTemplate = templates.parse(text)
        sub = template.subject
        if not sub.is_case() or sub.kind in out:
            continue
        title = sub.title or template.title
        doc = sub.documents[0].key if sub.documents else None
        out[sub.kind] = CaseKind(
            sub.kind, title.sv, title.en, doc, sub.registrants.own_cases, sub.items is not None
        )
    return [out[k] for k in sorted(out)]


# --- which cases: visibility, year, unit, as conditions with bound parameters -------------
def _subtree(root: Any, name: str) -> Any:
    """The ids of the active units under ``root`` (a condition on ``U``), walked down."""
    base = select(U.c.id).where(root, U.c.active.is_(True)).cte(name, recursive=True)
    below = U.alias(f"{name}_below")
    return base.union(
        select(below.c.id)
        .join(base, below.c.parent_id == base.c.id)
        .where(below.c.active.is_(True))
    )


def visible_clause(person: bool, own_kinds: bool) -> Any:
    """``PC`` rows the person may see: the units under their oversight roles (``:tops``),
    those where they are manager, deputy or safety representative (``:own_units``) and,
    with ``own_kinds``, the cases of ``:own_kinds`` they opened (``:me``)."""
    if not person:
        return true()
    seen = _subtree(U.c.id.in_(bindparam("tops", expanding=True)), "seen")
    mine = select(U.c.id).where(
        U.c.id.in_(bindparam("own_units", expanding=True)), U.c.active.is_(True)
    )
    cond = or_(PC.c.unit_id.in_(select(seen.c.id)), PC.c.unit_id.in_(mine))
    if own_kinds:
        cond = or_(
            cond,
            and_(
                PC.c.kind.in_(bindparam("own_kinds", expanding=True)),
                PC.c.created_by == bindparam("me"),
            ),
        )
    return cond


def case_where(person: bool, own_kinds: bool, unit: bool) -> list[Any]:
    """The cases of ``:kinds`` opened between ``:first_day`` and ``:last_day`` that the
    person may see (within ``:root``'s subtree with ``unit``)."""
    day = PC.c.opened_on.type
    where = [
        PC.c.kind.in_(bindparam("kinds", expanding=True)),
        PC.c.opened_on >= bindparam("first_day", type_=day),
        PC.c.opened_on <= bindparam("last_day", type_=day),
        visible_clause(person, own_kinds),
    ]
    if unit:
        sub = _subtree(U.c.id == bindparam("root"), "within")
        where.append(PC.c.unit_id.in_(select(sub.c.id)))
    return where


def case_params(
    s: Session,
    actor: Actor,
    day: date,
    year: int,
    kinds: Iterable[str],
    own_kinds: Iterable[str],
    unit_code: str | None,
) -> dict[str, Any]:
    """The values of ``case_where``'s parameters (the person's roles read once)."""
    params: dict[str, Any] = {
        "kinds": sorted(set(kinds)),
        "first_day": date(year, 1, 1),
        "last_day": date(year, 12, 31),
    }
    if unit_code is not None:
        params["root"] = queries.unit_by_code(s, unit_code).id
    if actor.person_id is not None:
        auth = queries.authority(s, actor.person_id, day)
        params["tops"] = sorted(
            {a.unit_id for a in auth.addresses if a.role in access.OVERSIGHT_ROLES}
        )
        params["own_units"] = sorted(
            {a.unit_id for a in auth.addresses if a.role in access.OWN_READERS}
        )
        params["own_kinds"] = sorted(set(own_kinds))
        params["me"] = actor.person_id
    return params


# --- the tasks that count, and the aggregate -------------------------------------------------
def _answering(vc: Any) -> Any:
    """The task now answering each item of the cases of ``vc`` with items (the first task,
    or the last one made from it where it was returned, followed in a recursive query):
    its case, status, due date and escalation level."""
    first = (
        select(CI.c.case_id.label("case_id"), CIT.c.task_id.label("task_id"))
        .join(CIT, CIT.c.item_id == CI.c.id)
        .where(CI.c.case_id.in_(select(vc.c.id).where(vc.c.with_items == 1)))
        .cte("answering", recursive=True)
    )
    prev, nxt, later = T.alias("prev"), T.alias("nxt"), T.alias("later")
    last_made = (  # the successor the lists follow: the last task made from the returned one
        select(func.max(later.c.id))
        .where(later.c.returned_from_id == prev.c.id, later.c.cycle_id == prev.c.cycle_id)
        .scalar_subquery()
    )
    chain = first.union_all(
        select(first.c.case_id, nxt.c.id)
        .join(prev, prev.c.id == first.c.task_id)
        .join(nxt, nxt.c.id == last_made)
        .where(prev.c.status == "returned")
    )
    t, succ = T.alias("t"), T.alias("succ")
    followed = (
        select(succ.c.id)
        .where(succ.c.returned_from_id == t.c.id, succ.c.cycle_id == t.c.cycle_id)
        .exists()
    )
    return (
        select(chain.c.case_id, t.c.status, t.c.due_at, t.c.escalation_level)
        .join(t, t.c.id == chain.c.task_id)
        .where(or_(t.c.status != "returned", ~followed))
        .cte("current")
        .prefix_with("MATERIALIZED")
    )


def _count(flag: Any) -> Any:
    return func.coalesce(func.sum(case((flag, 1), else_=0)), 0)


_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_PG_PLANNING = sql_text(
    "SELECT set_config('jit', 'off', true), "
    "set_config('plan_cache_mode', 'force_custom_plan', true)"
)


def pg_planning(s: Session) -> None:
    """On PostgreSQL, for the rest of this read transaction: plan each statement for its
    values, and do not compile it to machine code. The overview's statements are run
    often with the same text, so the driver prepares them and after five runs the server
    keeps a generic plan, blind to the kinds and the year (about twice as slow on 10,000
    incidents); and their cost grows with the cases (a few index probes each), past
    ``jit_above_cost`` at some thousands, when compiling takes longer than running."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(_PG_PLANNING)


def overview_statement(
    kinds: list[CaseKind], person: bool, own_kinds: bool, unit: bool, dialect: str = "sqlite"
) -> Any:
    """Rows (kind, state, cases, 0, 0, 0) per kind and state, and (kind, "", 0, overdue,
    escalated, open tasks) per kind (``:now`` dates what is overdue); built once per shape
    and dialect.

    The cases chosen (``vc``: with their cycle's status and whether they have items) are
    read once. A case's state takes a few index probes (its cycle; an open and a completed
    task of its cycle; a document of the first kind its template names); its tasks that
    count — its own where it has no items, straight from the task index by cycle, the
    answering ones where it has — are summed per kind.

    On PostgreSQL the kind is filtered as the plain column (its statistics then say the
    cases chosen are most of the table, not a few hundred) and the own tasks are summed
    joining the cases' table itself rather than ``vc``, whose row count the planner cannot
    know: one hash join of the task table instead of an index look-up per case."""
    pg = dialect == "postgresql"
    key = (tuple(kinds), person, own_kinds, unit, pg)
    found = _STATEMENTS.get(key)
    if found is not None:
        return found
    item_kinds = [k.kind for k in kinds if k.has_items]
    has_items = (
        and_(
            PC.c.kind.in_(item_kinds),
            select(CI.c.id)
            .join(CIT, CIT.c.item_id == CI.c.id)
            .where(CI.c.case_id == PC.c.id)
            .exists(),
        )
        if item_kinds
        else false()
    )
    where = case_where(person, own_kinds, unit)
    if not pg:
        # every case is of one of the kinds: no index on the kind for SQLite (a scan of
        # the table in order is cheaper than the index and a look-up per row)
        where[0] = func.coalesce(PC.c.kind, "").in_(bindparam("kinds", expanding=True))
    vc = (
        select(
            PC.c.id,
            PC.c.kind,
            PC.c.cycle_id,
            CY.c.status.label("cycle_status"),
            case((has_items, 1), else_=0).label("with_items"),
        )
        .select_from(PC)
        .outerjoin(CY, CY.c.id == PC.c.cycle_id)
        .where(*where)
        .cte("vc")
        .prefix_with("MATERIALIZED")
    )
    doc_kinds = [k for k in kinds if k.first_document]
    drawn: Any = false()
    if doc_kinds:
        docs = [and_(vc.c.kind == k.kind, CD.c.key == k.first_document) for k in doc_kinds]
        drawn = and_(
            vc.c.kind.in_([k.kind for k in doc_kinds]),
            select(CD.c.id).where(CD.c.case_id == vc.c.id, or_(*docs)).exists(),
        )

    def task_of_cycle(status: str) -> Any:
        return select(T.c.id).where(T.c.cycle_id == vc.c.cycle_id, T.c.status == status).exists()

    ready = and_(vc.c.with_items == 0, task_of_cycle("completed"), ~task_of_cycle("open"))
    current = _answering(vc) if item_kinds else None
    if current is not None:
        answering = select(current.c.case_id).where(current.c.case_id == vc.c.id)
        undone = answering.where(current.c.status != "completed")
        ready = or_(ready, and_(vc.c.with_items == 1, answering.exists(), ~undone.exists()))
    state = case(
        (and_(vc.c.cycle_status.is_not(None), vc.c.cycle_status != "active"), literal("closed")),
        (drawn, literal("drawn_up")),
        (ready, literal("ready")),
        else_=literal("open"),
    )
    states = select(vc.c.kind, state.label("state")).cte("states").prefix_with("MATERIALIZED")
    zero = literal(0)
    parts = [
        select(states.c.kind, states.c.state, func.count(), zero, zero, zero).group_by(
            states.c.kind, states.c.state
        )
    ]
    now = bindparam("now", type_=T.c.due_at.type)

    def sums(task: Any) -> list[Any]:
        return [
            _count(and_(task.c.status == "open", task.c.due_at < now)),
            _count(task.c.escalation_level > 0),
            _count(task.c.status == "open"),
        ]

    counting = T.c.status.in_(("open", "completed"))
    if pg:  # the same cases as vc's without items (their kind is never null: where[0])
        own_sums = (
            select(PC.c.kind, literal(""), zero, *sums(T))
            .select_from(PC)
            .join(T, and_(T.c.cycle_id == PC.c.cycle_id, counting))
            .where(*where, ~has_items)
            .group_by(PC.c.kind)
        )
    else:
        own_sums = (
            select(vc.c.kind, literal(""), zero, *sums(T))
            .select_from(vc)
            .join(T, and_(T.c.cycle_id == vc.c.cycle_id, counting))
            .where(vc.c.with_items == 0)
            .group_by(vc.c.kind)
        )
    parts.append(own_sums)
    if current is not None:
        parts.append(
            select(vc.c.kind, literal(""), zero, *sums(current))
            .select_from(vc)
            .join(current, current.c.case_id == vc.c.id)
            .group_by(vc.c.kind)
        )
    stmt = union_all(*parts)
    _STATEMENTS[key] = stmt
    return stmt


def case_overview(
    app: App, actor: Actor, year: int, *, unit_code: str | None = None
) -> list[KindOverview]:
    """Every case process the person may see, for the year's overview: per kind, the
    cases per state and their open, overdue and escalated tasks (one statement)."""
    kinds = case_kinds()
    own = [k.kind for k in kinds if k.own_cases]
    now = app.clock.now()
    with app.read() as s:
        params = case_params(
            s, actor, local_date(now), year, [k.kind for k in kinds], own, unit_code
        )
        pg_planning(s)
        stmt = overview_statement(
            kinds,
            actor.person_id is not None,
            bool(own),
            unit_code is not None,
            s.get_bind().dialect.name,
        )
        rows = s.execute(stmt, params | {"now": now}).all()
    got: dict[str, dict[str, list[int]]] = {}
    for kind, state, n, late, esc, open_tasks in rows:
        acc = got.setdefault(kind, {}).setdefault(state, [0, 0, 0, 0])
        for i, v in enumerate((n, late, esc, open_tasks)):
            acc[i] += int(v)
    out = []
    for k in kinds:
        per = got.get(k.kind, {})
        states = {st: per.get(st, [0])[0] for st in STATES}
        total = [sum(v[i] for v in per.values()) for i in range(4)]
        out.append(
            KindOverview(
                k.kind,
                k.title_sv,
                k.title_en,
                total[0],
                total[0] - states["closed"],
                total[1],
                total[2],
                total[3],
                states,
            )
        )
    return out
