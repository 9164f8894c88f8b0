"""The risk-oriented selection (ROA): the rule proposes units, HR confirms a selection, and
each selected unit gets a review case (``engine/cycle_templates/roa-review.yaml``: the
manager and the safety representative trained, risk and health factors mapped, measures).

The rule is ``engine.domain.followup.roa`` with the settings ``roa_*`` (docs/surveys.md). HR may
leave a proposed unit out or add one the rule did not propose; the selection keeps which
units the rule proposed and on what figures, and the rule's settings as applied. The
selection and every case it opens are one transaction: all of them, or none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db.models import OrgUnit
from engine.db.models.followup.surveys import AbsenceFigure, RoaSelection, RoaUnit
from engine.domain.clock import local_date
from engine.domain.errors import FieldError, InvalidInput
from engine.domain.followup.roa import Flag, Rule, proposals
from engine.settings import Settings
from engine.surveys.common import Tree, require_top_admin, tree
from engine.workflow.process.cases import open_in, parse_subject

CHAIN = "roa"
KIND = "roa_review"


def rule_of(s: Settings) -> Rule:
    return Rule(s.roa_short_term_pct, s.roa_above_comparable_pct, s.roa_periods)


@dataclass(frozen=True)
class Proposal:
    unit_id: int
    code: str
    name: str
    flags: list[Flag]
    selected: bool  # already in a confirmed selection of the year


def _group(t: Tree, by: str) -> dict[int, str]:
    if by == "parent":
        return {u: str(p) for u, p in t.parents.items()}
    return dict(t.level)


def _proposals(s: Session, settings: Settings, t: Tree, year: int) -> dict[int, list[Flag]]:
    short: dict[int, dict[str, float]] = {}
    starts: dict[str, date] = {}
    for f in s.scalars(select(AbsenceFigure).where(AbsenceFigure.year == year)):
        if f.unit_id in t.parents:
            short.setdefault(f.unit_id, {})[f.period] = f.short_term_pct
            starts[f.period] = f.starts_on
    order = sorted(starts, key=lambda p: (starts[p], len(p)))
    # a year's figure and the months within it are not consecutive periods of each other
    months = [p for p in order if len(p) == 7 and p[5] != "Q"]
    quarters = [p for p in order if "Q" in p]
    found: dict[int, list[Flag]] = {}
    group = _group(t, settings.roa_compare_by)
    for periods in (months, quarters):
        if periods:
            for unit, flags in proposals(rule_of(settings), short, group, periods).items():
                if len(flags) > len(found.get(unit, [])):
                    found[unit] = flags
    return found


def _selected(s: Session, year: int) -> set[int]:
    return set(
        s.scalars(
            select(RoaUnit.unit_id)
            .join(RoaSelection, RoaSelection.id == RoaUnit.selection_id)
            .where(RoaSelection.year == year)
        )
    )


def propose(app: App, actor: Actor, year: int) -> list[Proposal]:
    """The units the rule proposes for the year (HR or a director at the top)."""
    with app.read() as s:
        require_top_admin(s, app, actor)
        t = tree(s)
        found = _proposals(s, app.settings, t, year)
        done = _selected(s, year)
        return sorted(
            (Proposal(u, t.code[u], t.name[u], f, u in done) for u, f in found.items()),
            key=lambda p: p.code,
        )


@dataclass(frozen=True)
class Confirmed:
    selection_id: int
    cases: dict[str, int]  # unit code -> review case


def _reason(flags: list[Flag], sv: bool) -> str:
    if not flags:
        return "Vald av HR" if sv else "Selected by HR"
    parts = ", ".join(
        f"{f.period}: {f.short_term:.1f} % ({f.comparable_median:.1f} %)" for f in flags
    )
    return (
        f"Hög korttidsfrånvaro jämfört med jämförbara enheter (median inom parentes): {parts}"
        if sv
        else f"High short-term absence against comparable units (median in brackets): {parts}"
    )


def confirm(app: App, actor: Actor, year: int, codes: list[str], note: str = "") -> Confirmed:
    """HR confirms the selection: one review case per unit, all in one transaction."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not wanted:
        raise InvalidInput.field("units", "choose at least one unit", "välj minst en enhet")
    if len(wanted) > 500:
        raise InvalidInput.field("units", "at most 500 units", "högst 500 enheter")
    if len(note) > 4000:
        raise InvalidInput.field("note", "at most 4000 characters", "högst 4000 tecken")

    def work(tx: Tx) -> Confirmed:
        s = tx.session
        require_top_admin(s, app, actor)
        t = tree(s)
        by_code = t.by_code
        errors = []
        done = _selected(s, year)
        for i, code in enumerate(wanted):
            if code not in by_code:
                errors.append(FieldError(f"units[{i}]", f"no active unit has code {code!r}",
                                         f"ingen aktiv enhet har koden {code!r}"))  # fmt: skip
            elif by_code[code] in done:
                errors.append(FieldError(f"units[{i}]", f"{code} is already selected in {year}",
                                         f"{code} är redan vald {year}"))  # fmt: skip
        if errors:
            raise InvalidInput(errors)
        found = _proposals(s, app.settings, t, year)
        rule = rule_of(app.settings)
        selection = RoaSelection(
            year=year,
            rule=json.dumps(
                {
                    "short_term_pct": rule.threshold,
                    "above_comparable_pct": rule.above,
                    "periods": rule.periods,
                    "compare_by": app.settings.roa_compare_by,
                }
            ),
            note=note.strip(),
            confirmed_at=tx.now,
            confirmed_by=actor.person_id,
        )
        s.add(selection)
        s.flush()
        sv = app.settings.lang == "sv"
        cases: dict[str, int] = {}
        today = local_date(tx.now)
        for code in wanted:
            unit = by_code[code]
            flags = found.get(unit, [])
            subject = parse_subject(
                KIND, {"unit": code, "selected_on": today.isoformat(), "reason": _reason(flags, sv)}
            )
            opened = open_in(app, tx, actor, KIND, subject)
            s.add(
                RoaUnit(
                    selection_id=selection.id,
                    unit_id=unit,
                    proposed=unit in found,
                    basis=json.dumps([f.__dict__ for f in flags]),
                    case_id=opened.case_id,
                )
            )
            cases[code] = opened.case_id
        tx.record(
            CHAIN,
            "roa.selection_confirmed",
            "roa_selection",
            selection.id,
            actor,
            data={
                "year": year,
                "units": wanted,
                "proposed": sorted(c for c in wanted if by_code[c] in found),
                "added_by_hr": sorted(c for c in wanted if by_code[c] not in found),
                "left_out": sorted(
                    t.code[u] for u in found if t.code[u] not in wanted and u not in done
                ),
                "rule": json.loads(selection.rule),
            },
        )
        return Confirmed(selection.id, cases)

    return app.run(work)


@dataclass(frozen=True)
class SelectedUnit:
    code: str
    name: str
    proposed: bool
    case_id: int | None
    confirmed_at: datetime


def selection(app: App, actor: Actor, year: int) -> list[SelectedUnit]:
    """The year's confirmed selection (HR or a director at the top)."""
    with app.read() as s:
        require_top_admin(s, app, actor)
        return selected_units(s, year)


def selected_units(s: Session, year: int) -> list[SelectedUnit]:
    rows = s.execute(
        select(OrgUnit.code, OrgUnit.name, RoaUnit.proposed, RoaUnit.case_id,
               RoaSelection.confirmed_at)
        .join(RoaUnit, RoaUnit.unit_id == OrgUnit.id)
        .join(RoaSelection, RoaSelection.id == RoaUnit.selection_id)
        .where(RoaSelection.year == year)
        .order_by(OrgUnit.code)
    ).all()  # fmt: skip
    return [SelectedUnit(*r) for r in rows]
