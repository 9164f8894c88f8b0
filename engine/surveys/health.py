"""Health goals for the year and the units' health plans (issue 12 §4).

The administration (HR or a director at the top) sets measurable goals for the year; each
unit's manager draws up the unit's plan: local goals, each saying which administration goal
it serves, two chosen health factors (*friskfaktorer*, ``SAMFLOW_HEALTH_FACTORS``) and the
unit's health challenges, then records each local goal's progress. A department head (a
manager or director at a unit above) follows the plans up; a plan whose last follow-up is
older than ``SAMFLOW_HEALTH_FOLLOW_UP_MONTHS`` is *due*. Progress rolls up: per
administration goal and per unit of the tree, how many local goals are planned, ongoing and
done, and how many have reached the goal's target. Every change is an audit event (chain
``health``) in the same transaction; nothing is deleted (a plan saved again replaces its
local goals' text and keeps their numbers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models.followup.surveys import (
    HealthFollowUp,
    HealthGoal,
    HealthLocalGoal,
    HealthPlan,
)
from engine.domain.clock import local_date
from engine.domain.errors import FieldError, InvalidInput, NotFound, NotPermitted
from engine.domain.followup.health import DIRECTIONS, FACTORS, STATUSES, reached
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.surveys.common import Tree, require_top_admin, tree
from engine.surveys.results import visible_units

CHAIN = "health"
MAX_LOCAL_GOALS = 20


def _text(value: object, path: str, errors: list[FieldError], limit: int, need: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if need and not text:
        errors.append(FieldError(path, "required", "måste anges"))
    if len(text) > limit:
        errors.append(FieldError(path, f"at most {limit} characters", f"högst {limit} tecken"))
    return text


# --- the administration's goals -----------------------------------------------------------
@dataclass(frozen=True)
class Goal:
    id: int
    year: int
    code: str
    title: str
    measure: str
    target: float
    direction: str


def set_goal(
    app: App,
    actor: Actor,
    year: int,
    code: str,
    title: str,
    measure: str,
    target: float,
    direction: str = "at_least",
) -> int:
    """Set (or change) one of the year's health goals; HR or a director at the top."""
    errors: list[FieldError] = []
    code = _text(code, "code", errors, 64, True)
    title = _text(title, "title", errors, 400, True)
    measure = _text(measure, "measure", errors, 200, True)
    if direction not in DIRECTIONS:
        errors.append(FieldError("direction", "at_least or at_most", "at_least eller at_most"))
    if not 2000 <= year <= 2100:
        errors.append(FieldError("year", "a year from 2000 to 2100", "ett år från 2000 till 2100"))
    if errors:
        raise InvalidInput(errors)

    def work(tx: Tx) -> int:
        s = tx.session
        require_top_admin(s, app, actor)
        goal = s.scalar(select(HealthGoal).where(HealthGoal.year == year, HealthGoal.code == code))
        new = goal is None
        if goal is None:
            goal = HealthGoal(year=year, code=code, created_at=tx.now, created_by=actor.person_id)
            s.add(goal)
        goal.title, goal.measure, goal.target, goal.direction = title, measure, target, direction
        s.flush()
        tx.record(CHAIN, "health.goal_set", "health_goal", goal.id, actor,
                  data={"year": year, "code": code, "title": title, "measure": measure,
                        "target": target, "direction": direction, "new": new})  # fmt: skip
        return goal.id

    return app.run(work)


def goals(app: App, year: int) -> list[Goal]:
    with app.read() as s:
        return _goals(s, year)


def goals_in(s: Session, year: int) -> list[Goal]:
    """The year's goals in a read session (the board report's section)."""
    return _goals(s, year)


def _goals(s: Session, year: int) -> list[Goal]:
    return [
        Goal(g.id, g.year, g.code, g.title, g.measure, g.target, g.direction)
        for g in s.scalars(
            select(HealthGoal).where(HealthGoal.year == year).order_by(HealthGoal.code)
        )
    ]


# --- a unit's plan -------------------------------------------------------------------------
def _rights(s: Session, actor: Actor, t: Tree, day: date) -> Callable[[int], tuple[bool, bool]]:
    """Per unit: (may draw up its plan: its manager or the line above; may follow it up: a
    manager or director at a unit above, or HR), the person's roles read once."""
    if actor.person_id is None:
        return lambda unit_id: (True, True)
    auth = queries.authority(s, actor.person_id, day)
    org = OrgSnapshot(dict(t.parents))

    def at(roles: Sequence[Role], units: Sequence[int]) -> bool:
        return any(auth.on_behalf_for_address(Address(r, u))[0] for u in units for r in roles)

    def judge(unit_id: int) -> tuple[bool, bool]:
        above = list(org.ancestors(unit_id))
        line_above = at((Role.MANAGER, Role.DIRECTOR), above)
        own = at((Role.MANAGER, Role.DEPUTY), [unit_id])
        hr = at((Role.HR,), [unit_id, *above])
        return own or line_above, line_above or hr

    return judge


def _authority(s: Session, actor: Actor, t: Tree, unit_id: int, day: date) -> tuple[bool, bool]:
    return _rights(s, actor, t, day)(unit_id)


@dataclass(frozen=True)
class LocalGoalIn:
    goal: str  # the administration goal's code
    text: str
    status: str = "planned"
    value: float | None = None


def parse_plan(
    settings_factors: Sequence[str], data: Mapping[str, Any]
) -> tuple[list[str], str, list[LocalGoalIn]]:
    """A plan from a form or JSON (``factors``, ``challenges``, ``goals``), every problem named."""
    errors: list[FieldError] = []
    raw_factors = data.get("factors")
    factors = (
        [f for f in raw_factors if isinstance(f, str)] if isinstance(raw_factors, list) else []
    )
    allowed = [f for f in settings_factors if f in FACTORS]
    if len(factors) != 2 or len(set(factors)) != 2:
        errors.append(FieldError("factors", "choose two different health factors",
                                 "välj två olika friskfaktorer"))  # fmt: skip
    for i, f in enumerate(factors):
        if f not in allowed:
            known = ", ".join(allowed)
            errors.append(
                FieldError(
                    f"factors[{i}]",
                    f"unknown health factor {f!r} (known: {known})",
                    f"okänd friskfaktor {f!r} (finns: {known})",
                )
            )
    challenges = _text(data.get("challenges", ""), "challenges", errors, 4000, True)
    raw_goals = data.get("goals")
    local: list[LocalGoalIn] = []
    if not isinstance(raw_goals, list) or not raw_goals:
        errors.append(FieldError("goals", "at least one local goal", "minst ett lokalt mål"))
        raw_goals = []
    if len(raw_goals) > MAX_LOCAL_GOALS:
        errors.append(FieldError("goals", f"at most {MAX_LOCAL_GOALS} local goals",
                                 f"högst {MAX_LOCAL_GOALS} lokala mål"))  # fmt: skip
        raw_goals = raw_goals[:MAX_LOCAL_GOALS]
    for i, item in enumerate(raw_goals):
        g = item if isinstance(item, Mapping) else {}
        code = _text(g.get("goal", ""), f"goals[{i}].goal", errors, 64, True)
        text = _text(g.get("text", ""), f"goals[{i}].text", errors, 2000, True)
        status = g.get("status") or "planned"
        if status not in STATUSES:
            errors.append(FieldError(f"goals[{i}].status", "planned, ongoing or done",
                                     "planerat, pågår eller klart"))  # fmt: skip
        value = g.get("value")
        if value in ("", None):
            value = None
        else:
            try:
                value = float(str(value).replace(",", "."))
            except ValueError:
                errors.append(FieldError(f"goals[{i}].value", "a number", "ett tal"))
                value = None
        local.append(LocalGoalIn(code, text, str(status), value))
    if errors:
        raise InvalidInput(errors)
    return factors, challenges, local


def save_plan(
    app: App,
    actor: Actor,
    unit_code: str,
    year: int,
    factors: list[str],
    challenges: str,
    local: list[LocalGoalIn],
) -> int:
    """Draw up (or revise) the unit's health plan; its manager, or the line above."""

    def work(tx: Tx) -> int:
        s, day = tx.session, local_date(tx.now)
        t = tree(s)
        unit = t.by_code.get(unit_code)
        if unit is None:
            raise NotFound("unit", unit_code)
        visible_units(s, app, actor, t, unit_code)  # "not found" unless they see the unit
        may_plan, _ = _authority(s, actor, t, unit, day)
        if not may_plan:
            raise NotPermitted(
                "only the unit's manager or the line above may draw up its health plan",
                "bara enhetens chef eller linjen ovanför får upprätta dess hälsoplan",
            )
        by_code = {g.code: g for g in _goals(s, year)}
        errors = [
            FieldError(f"goals[{i}].goal", f"no health goal {g.goal!r} for {year}",
                       f"inget hälsomål {g.goal!r} för {year}")
            for i, g in enumerate(local) if g.goal not in by_code
        ]  # fmt: skip
        if errors:
            raise InvalidInput(errors)
        plan = s.scalar(
            select(HealthPlan).where(HealthPlan.unit_id == unit, HealthPlan.year == year)
        )
        new = plan is None
        if plan is None:
            plan = HealthPlan(unit_id=unit, year=year)
            s.add(plan)
        plan.factors, plan.challenges = json.dumps(factors), challenges
        plan.updated_at, plan.updated_by = tx.now, actor.person_id
        s.flush()
        existing = {g.number: g for g in s.scalars(
            select(HealthLocalGoal).where(HealthLocalGoal.plan_id == plan.id))}  # fmt: skip
        for number, g in enumerate(local, start=1):
            row = existing.get(number)
            if row is None:
                row = HealthLocalGoal(plan_id=plan.id, number=number)
                s.add(row)
            row.goal_id, row.text = by_code[g.goal].id, g.text
            row.status, row.value = g.status, g.value
        for number, row in existing.items():  # fewer goals now: the rest are kept, as done
            if number > len(local) and row.status != "done":
                row.status = "done"
        tx.record(CHAIN, "health.plan_saved", "health_plan", plan.id, actor, unit_id=unit,
                  data={"unit": unit_code, "year": year, "factors": factors, "new": new,
                        "goals": [{"goal": g.goal, "status": g.status, "value": g.value}
                                  for g in local]})  # fmt: skip
        return plan.id

    return app.run(work)


def _plan(s: Session, unit_id: int, year: int) -> HealthPlan | None:
    return s.scalar(
        select(HealthPlan).where(HealthPlan.unit_id == unit_id, HealthPlan.year == year)
    )


def follow_up(app: App, actor: Actor, unit_code: str, year: int, comment: str) -> int:
    """A department head's follow-up of the unit's plan (a manager or director above it)."""
    errors: list[FieldError] = []
    comment = _text(comment, "comment", errors, 4000, True)
    if errors:
        raise InvalidInput(errors)

    def work(tx: Tx) -> int:
        s, day = tx.session, local_date(tx.now)
        t = tree(s)
        unit = t.by_code.get(unit_code)
        if unit is None:
            raise NotFound("unit", unit_code)
        visible_units(s, app, actor, t, unit_code)  # "not found" unless they see the unit
        _, may_follow = _authority(s, actor, t, unit, day)
        if not may_follow:
            raise NotPermitted(
                "only a manager or director above the unit follows its health plan up",
                "bara en chef eller direktör ovanför enheten följer upp dess hälsoplan",
            )
        plan = s.scalar(
            select(HealthPlan).where(HealthPlan.unit_id == unit, HealthPlan.year == year)
        )
        if plan is None:
            raise NotFound("health plan", f"{unit_code} {year}")
        row = HealthFollowUp(plan_id=plan.id, done_on=day, comment=comment, by=actor.person_id)
        s.add(row)
        s.flush()
        tx.record(CHAIN, "health.plan_followed_up", "health_plan", plan.id, actor, unit_id=unit,
                  data={"unit": unit_code, "year": year, "comment": comment})  # fmt: skip
        return row.id

    return app.run(work)


# --- reading and the roll-up --------------------------------------------------------------
@dataclass(frozen=True)
class LocalGoal:
    number: int
    goal: str
    text: str
    status: str
    value: float | None
    reached: bool | None


@dataclass(frozen=True)
class Plan:
    unit: str
    name: str
    depth: int
    factors: list[str]
    challenges: str
    goals: list[LocalGoal]
    last_follow_up: date | None
    follow_up_due: bool
    may_edit: bool = False  # the person reading: the unit's manager or the line above
    may_follow_up: bool = False  # a manager or director above it, or HR


@dataclass
class Progress:
    planned: int = 0
    ongoing: int = 0
    done: int = 0
    reached: int = 0

    @property
    def total(self) -> int:
        return self.planned + self.ongoing + self.done


@dataclass(frozen=True)
class RollUp:
    year: int
    goals: list[Goal]
    plans: list[Plan]
    #: unit code -> goal code -> its subtree's local goals by status
    progress: dict[str, dict[str, Progress]] = field(default_factory=dict)
    units: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, depth
    units_without_plan: list[str] = field(default_factory=list)
    #: units without a plan the person may draw one up for (code, name), the first 20
    plannable: list[tuple[str, str]] = field(default_factory=list)


def _due(last: date | None, today: date, months: int) -> bool:
    if last is None:
        return True
    months_since = (today.year - last.year) * 12 + today.month - last.month
    return months_since >= months


def plan_of(app: App, actor: Actor, unit_code: str, year: int) -> tuple[Plan | None, bool]:
    """The unit's plan (None: none yet) and whether the person may draw it up; "not found"
    unless they see the unit."""
    found = health_year(app, actor, year, unit_code)
    plan = next((p for p in found.plans if p.unit == unit_code), None)
    with app.read() as s:
        t = tree(s)
        may, _ = _authority(s, actor, t, t.by_code[unit_code], local_date(app.clock.now()))
    return plan, may


def health_year(app: App, actor: Actor, year: int, root: str | None = None) -> RollUp:
    """The year's goals, the plans of the units the person sees, and progress up the tree."""
    with app.read() as s:
        t = tree(s)
        units = visible_units(s, app, actor, t, root)
        wanted = set(units)
        today = local_date(app.clock.now())
        goal_list = _goals(s, year)
        code_of = {g.id: g.code for g in goal_list}
        by_id = {g.id: g for g in goal_list}
        plans_rows = [p for p in s.scalars(select(HealthPlan).where(HealthPlan.year == year))
                      if p.unit_id in wanted]  # fmt: skip
        ids = [p.id for p in plans_rows]
        local: dict[int, list[HealthLocalGoal]] = {}
        last: dict[int, date] = {}
        if ids:
            for g in s.scalars(select(HealthLocalGoal).where(HealthLocalGoal.plan_id.in_(ids))
                               .order_by(HealthLocalGoal.number)):  # fmt: skip
                local.setdefault(g.plan_id, []).append(g)
            for f in s.scalars(select(HealthFollowUp).where(HealthFollowUp.plan_id.in_(ids))):
                if f.plan_id not in last or f.done_on > last[f.plan_id]:
                    last[f.plan_id] = f.done_on
        months = app.settings.health_follow_up_months
        judge = _rights(s, actor, t, today)
        plans: list[Plan] = []
        own: dict[int, dict[str, Progress]] = {}
        for p in sorted(plans_rows, key=lambda p: units.index(p.unit_id)):
            items = []
            for g in local.get(p.id, []):
                goal = by_id[g.goal_id]
                hit = reached(goal.direction, goal.target, g.value)
                items.append(
                    LocalGoal(g.number, code_of[g.goal_id], g.text, g.status, g.value, hit)
                )
                prog = own.setdefault(p.unit_id, {}).setdefault(code_of[g.goal_id], Progress())
                setattr(prog, g.status, getattr(prog, g.status) + 1)
                prog.reached += 1 if hit else 0
            edit, follow = judge(p.unit_id)
            plans.append(Plan(t.code[p.unit_id], t.name[p.unit_id], t.depth(p.unit_id),
                              json.loads(p.factors), p.challenges, items, last.get(p.id),
                              _due(last.get(p.id), today, months), edit, follow))  # fmt: skip
        org = OrgSnapshot(dict(t.parents))
        progress: dict[str, dict[str, Progress]] = {}
        for u in units:
            sums: dict[str, Progress] = {}
            for v in org.subtree(u):
                for code, pr in own.get(v, {}).items():
                    acc = sums.setdefault(code, Progress())
                    acc.planned += pr.planned
                    acc.ongoing += pr.ongoing
                    acc.done += pr.done
                    acc.reached += pr.reached
            if sums:
                progress[t.code[u]] = sums
        with_plan = {p.unit_id for p in plans_rows}
        leaves = [u for u in units if not org.children(u)]
        return RollUp(
            year,
            goal_list,
            plans,
            progress,
            [(t.code[u], t.name[u], t.depth(u)) for u in units],
            [t.code[u] for u in leaves if u not in with_plan],
            [(t.code[u], t.name[u]) for u in units if u not in with_plan and judge(u)[0]][:20],
        )
