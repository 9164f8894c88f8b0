"""What a meeting's agenda may take up, chosen by what it is, never by an internal number.

For a meeting of a body, the matters at or below the body's unit that the person may see
(the rule of each matter's own list: a case's unit overseen, or a case the person opened
where the process says so; a task's or a yearly cycle's unit overseen), newest first, a
bounded number per kind, each marked with its item number where it is already on this
meeting's agenda. ``visible`` is the same rule for one matter, used when an item is added,
so that a choice the page did not offer is refused as if the matter did not exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor
from engine.db import queries
from engine.db.models import Cycle, OrgUnit, Task
from engine.db.models.duties.coop import CoopBody, CoopItem
from engine.db.models.followup.plans import Plan
from engine.db.models.workflow.process import ProcessCase
from engine.domain.org import OrgSnapshot
from engine.org import access
from engine.plans.establishment import OWN_PLAN_INSTANCE
from engine.workflow.process.cases import subject_of

#: The most matters of one kind the picker offers (the newest); the page says when more.
MAX_CHOICES = 100
#: The kinds chosen here (a plan also from its own page).
KINDS = ("change", "incident", "risk_assessment", "plan", "annual_follow_up")
RISK_TASKS = ("risk_assessment", "change_risk_assessment")
#: Over this many units the unit filter is applied in Python, not in the statement.
IN_SQL = 5000


@dataclass(frozen=True)
class Choice:
    """One matter the agenda may take up: ``value`` is the form's (kind and number, never
    shown), ``title`` the matter's own words (empty for a task or cycle), ``what`` the kind
    of task or cycle (``risk_assessment``, ``change_risk_assessment``, ``annual``),
    ``year`` of a yearly cycle, ``on`` the item number where it is on this agenda already."""

    value: str
    title: str
    what: str
    unit: str
    day: date
    year: int | None
    done: bool
    on: int | None


@dataclass(frozen=True)
class Group:
    kind: str
    choices: list[Choice]
    more: bool  # more than MAX_CHOICES matters exist; the newest are offered


def _units(s: Session, actor: Actor, body: CoopBody, day: date) -> tuple[OrgSnapshot, set[int]]:
    """The units at or below the body's that the person oversees (all, for the system)."""
    org = queries.org_snapshot(s, day)
    below = org.subtree(body.unit_id)
    if actor.person_id is None:
        return org, set(below)
    auth = queries.authority(s, actor.person_id, day)
    return org, {u for u in below if access.may_oversee(auth, org, u)}


def _bounded(
    s: Session, stmt: Any, keep: Callable[[Any], bool], cap: int
) -> tuple[list[Any], bool]:
    """The first ``cap`` rows of an ordered statement that pass ``keep``, and whether there
    are more (read in pages of ``cap + 1``)."""
    out: list[Any] = []
    offset = 0
    while len(out) <= cap:
        got = list(s.execute(stmt.limit(cap + 1).offset(offset)).tuples())
        out += [r for r in got if keep(r)]
        if len(got) <= cap:
            break
        offset += len(got)
    return out[:cap], len(out) > cap


def _unit_clause(column: Any, units: set[int]) -> tuple[list[Any], Callable[[int], bool]]:
    if len(units) <= IN_SQL:
        return [column.in_(sorted(units))], lambda _u: True
    return [], units.__contains__


def choices(
    s: Session, actor: Actor, body: CoopBody, meeting_id: int, day: date, cap: int = MAX_CHOICES
) -> list[Group]:
    """Per kind, the matters the person may put on this meeting's agenda (see the module)."""
    org, units = _units(s, actor, body, day)
    below = set(org.subtree(body.unit_id))
    names = dict(s.execute(select(OrgUnit.id, OrgUnit.name)).tuples().all())
    on = {
        (t, i): n
        for t, i, n in s.execute(
            select(CoopItem.subject_type, CoopItem.subject_id, CoopItem.number).where(
                CoopItem.meeting_id == meeting_id, CoopItem.subject_id.is_not(None)
            )
        ).tuples()
    }
    me = actor.person_id

    def group(kind: str, stmt: Any, keep: Callable[[Any], bool], make: Callable[..., Any]) -> Group:
        rows, more = _bounded(s, stmt, keep, cap)
        made = [make(*r) for r in rows]
        return Group(
            kind,
            [
                Choice(
                    f"{kind}:{i}",
                    title,
                    what,
                    names.get(u, ""),
                    when,
                    year,
                    done,
                    on.get((kind, i)),
                )
                for i, u, title, what, when, year, done in made
            ],
            more,
        )

    groups: list[Group] = []
    for kind in ("change", "incident"):
        own = subject_of(kind).registrants.own_cases and me is not None
        in_sql = len(units) <= IN_SQL
        where: list[Any] = [ProcessCase.kind == kind]
        if in_sql:
            seen = ProcessCase.unit_id.in_(sorted(units))
            where.append(seen | (ProcessCase.created_by == me) if own else seen)
        stmt: Any = (
            select(
                ProcessCase.id,
                ProcessCase.unit_id,
                ProcessCase.opened_on,
                ProcessCase.data,
                ProcessCase.created_by,
            )
            .where(*where)
            .order_by(ProcessCase.opened_on.desc(), ProcessCase.id.desc())
        )

        def keep_case(r: Any, _own: bool = own, _sql: bool = in_sql) -> bool:
            return r[1] in below and (_sql or r[1] in units or (_own and r[4] == me))

        groups.append(
            group(
                kind,
                stmt,
                keep_case,
                lambda i, u, opened, data, _by, _k=kind: (
                    i,
                    u,
                    _case_title(_k, data),
                    _k,
                    opened,
                    None,
                    False,
                ),
            )
        )
    where, keep_unit = _unit_clause(Task.unit_id, units)
    stmt = (
        select(Task.id, Task.unit_id, Task.key, Task.due_at, Task.status)
        .where(Task.key.in_(RISK_TASKS), Task.status != "cancelled", *where)
        .order_by(Task.due_at.desc(), Task.id.desc())
    )
    groups.append(
        group(
            "risk_assessment",
            stmt,
            lambda r: keep_unit(r[1]),
            lambda i, u, key, due, status: (i, u, "", key, due.date(), None, status == "completed"),
        )
    )
    where, keep_unit = _unit_clause(Cycle.unit_id, units)
    cycle_columns = (Cycle.id, Cycle.unit_id, Cycle.year, Cycle.started_at, Cycle.status)
    not_cancelled = (Cycle.status != "cancelled", *where)
    by_year = (Cycle.year.desc(), Cycle.id.desc())
    stmt = (
        select(*cycle_columns, Plan.title)
        .outerjoin(Plan, Plan.cycle_id == Cycle.id)
        .where(
            (Cycle.instance == "") | Cycle.instance.startswith(OWN_PLAN_INSTANCE), *not_cancelled
        )
        .order_by(*by_year)
    )
    groups.append(
        group(
            "plan",
            stmt,
            lambda r: keep_unit(r[1]),
            lambda i, u, year, started, status, title: (
                i,
                u,
                title or "",
                "plan",
                started.date(),
                year,
                status == "completed",
            ),
        )
    )
    stmt = select(*cycle_columns).where(Cycle.instance == "", *not_cancelled).order_by(*by_year)
    groups.append(
        group(
            "annual_follow_up",
            stmt,
            lambda r: keep_unit(r[1]),
            lambda i, u, year, started, status: (
                i,
                u,
                "",
                "annual",
                started.date(),
                year,
                status == "completed",
            ),
        )
    )
    return groups


def _case_title(kind: str, data: str) -> str:
    fields = json.loads(data) if data else {}
    text = str(fields.get("title") or fields.get("what") or "").strip()
    return text if len(text) <= 120 else text[:119] + "…"


def visible(
    s: Session,
    actor: Actor,
    subject_type: str,
    unit_id: int,
    created_by: int | None,
    day: date,
    org: OrgSnapshot,
) -> bool:
    """Whether the person may see the matter an item would link to (``choices``' rule)."""
    if actor.person_id is None:
        return True
    if (
        subject_type in ("change", "incident")
        and subject_of(subject_type).registrants.own_cases
        and created_by == actor.person_id
    ):
        return True
    auth = queries.authority(s, actor.person_id, day)
    return access.may_oversee(auth, org, unit_id)


def parse_choice(value: str) -> tuple[str, int | None]:
    """The form's ``kind:number`` (or ``other``) -> (subject type, id); ValueError if not."""
    kind, _, ident = value.strip().partition(":")
    if kind == "other" and not ident:
        return "other", None
    if kind not in KINDS or not ident.isdigit() or len(ident) > 18:
        raise ValueError(value)
    return kind, int(ident)
