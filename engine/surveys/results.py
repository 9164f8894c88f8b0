"""The survey figures per unit with last year's, the low areas, and what the unit's survey
and analysis tasks start from.

Only published cells exist (``engine.surveys.imports``): a suppressed unit has its count
and why, never a figure, so nothing here can show more than the rule allows. A person sees
the units they see anywhere else (``engine.org.visibility``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db.models.followup.surveys import SurveyImport, SurveyResult
from engine.domain.errors import NotFound
from engine.domain.followup.surveys import SUB_QUESTIONS
from engine.domain.org import OrgSnapshot
from engine.org.visibility import scope_of, top_roots
from engine.settings import Settings
from engine.surveys.common import Tree, tree

SUBS = tuple(SUB_QUESTIONS)
SUB_TITLES = {
    "motivation": ("Motivation", "Motivation"),
    "leadership": ("Ledarskap", "Leadership"),
    "governance": ("Styrning", "Governance"),
    "hme": ("HME totalt", "HME total"),
}
#: Which risk domain a low sub-index is proposed under (the person assessing may change it).
RISK_DOMAIN = {
    "motivation": "organisational",
    "leadership": "social",
    "governance": "organisational",
}


@dataclass(frozen=True)
class Figures:
    answered: int
    invited: int | None
    suppressed: str | None  # None: shown; none | few | derivable
    motivation: float | None
    leadership: float | None
    governance: float | None
    hme: float | None
    questions: dict[str, float] = field(default_factory=dict)

    def get(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value

    @property
    def shown(self) -> bool:
        return self.suppressed is None


@dataclass(frozen=True)
class UnitFigures:
    unit_id: int
    code: str
    name: str
    depth: int
    now: Figures
    last: Figures | None
    low: list[str]  # sub-indices that are low (below the level, or fallen since last year)

    def change(self, name: str) -> float | None:
        if self.last is None or not self.now.shown or not self.last.shown:
            return None
        a, b = self.now.get(name), self.last.get(name)
        return None if a is None or b is None else round(a - b, 1)


@dataclass(frozen=True)
class YearResults:
    year: int
    survey_name: str
    imported_at: datetime | None
    min_answers: int
    respondents: int
    units: list[UnitFigures]
    last_year: bool  # last year's figures exist


def _figures(r: SurveyResult) -> Figures:
    return Figures(
        r.answered,
        r.invited,
        r.suppressed,
        r.motivation,
        r.leadership,
        r.governance,
        r.hme,
        json.loads(r.questions) if r.questions else {},
    )


def active_import(s: Session, year: int) -> SurveyImport | None:
    return s.scalar(
        select(SurveyImport).where(SurveyImport.year == year, SurveyImport.replaced_at.is_(None))
    )


def cells(s: Session, year: int, unit_ids: list[int] | None = None) -> dict[int, Figures]:
    imp = active_import(s, year)
    if imp is None:
        return {}
    stmt = select(SurveyResult).where(SurveyResult.import_id == imp.id)
    if unit_ids is not None:
        stmt = stmt.where(SurveyResult.unit_id.in_(unit_ids))
    return {r.unit_id: _figures(r) for r in s.scalars(stmt)}


def low_areas(settings: Settings, now: Figures, last: Figures | None) -> list[str]:
    if not now.shown:
        return []
    out = []
    for name in SUBS:
        value = now.get(name)
        if value is None:
            continue
        before = last.get(name) if last is not None and last.shown else None
        if value < settings.survey_low_index or (
            before is not None and value <= before - settings.survey_low_drop
        ):
            out.append(name)
    return out


def visible_units(s: Session, app: App, actor: Actor, t: Tree, root: str | None) -> list[int]:
    """The units the person sees, depth first from their top units (or from ``root``)."""
    org = OrgSnapshot(dict(t.parents))
    if actor.is_system:
        starts = [u for u, p in t.parents.items() if p is None]
    else:
        scope = scope_of(s, actor, app)
        starts = top_roots(scope, org)
        if root is not None:
            wanted = t.by_code.get(root)
            if wanted is None or not scope.sees_unit(wanted, org):
                raise NotFound("unit", root)
            starts = [wanted]
    if actor.is_system and root is not None:
        wanted = t.by_code.get(root)
        if wanted is None:
            raise NotFound("unit", root)
        starts = [wanted]
    out: list[int] = []
    for start in sorted(starts, key=lambda u: t.code[u]):
        out.extend(org.subtree(start))
    return out


def year_results(app: App, actor: Actor, year: int, root: str | None = None) -> YearResults:
    with app.read() as s:
        t = tree(s)
        units = visible_units(s, app, actor, t, root)
        imp = active_import(s, year)
        now = cells(s, year, units) if imp else {}
        before = cells(s, year - 1, units)
        rows = []
        for u in units:
            if u not in now:
                continue
            last = before.get(u)
            rows.append(
                UnitFigures(
                    u,
                    t.code[u],
                    t.name[u],
                    t.depth(u),
                    now[u],
                    last,
                    low_areas(app.settings, now[u], last),
                )
            )
        return YearResults(
            year,
            imp.survey_name if imp else "",
            imp.imported_at if imp else None,
            imp.min_answers if imp else app.settings.min_survey_answers,
            imp.respondents if imp else 0,
            rows,
            bool(before),
        )


def unit_history(app: App, actor: Actor, code: str) -> list[tuple[int, Figures]]:
    """A unit's figures year by year (the years with an import), oldest first."""
    with app.read() as s:
        t = tree(s)
        unit = visible_units(s, app, actor, t, code)[0]
        years = sorted(
            set(s.scalars(select(SurveyImport.year).where(SurveyImport.replaced_at.is_(None))))
        )
        out = []
        for y in years:
            got = cells(s, y, [unit]).get(unit)
            if got is not None:
                out.append((y, got))
        return out


# --- what the unit's tasks start from -------------------------------------------------------
def _subtree_headcount(t: Tree, unit_id: int) -> int:
    org = OrgSnapshot(dict(t.parents))
    return sum(t.headcount.get(u, 0) for u in org.subtree(unit_id))


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def prefill(
    s: Session, settings: Settings, form_key: str, unit_id: int, year: int
) -> dict[str, Any] | None:
    """The start of the unit's survey task (its figures) or analysis task (its low areas as
    proposed risks) from the year's import; None without one."""
    if form_key not in ("survey_results", "risk_assessment"):
        return None
    imp = active_import(s, year)
    if imp is None:
        return None
    now = cells(s, year, [unit_id]).get(unit_id)
    if now is None:
        return None
    last = cells(s, year - 1, [unit_id]).get(unit_id)
    low = low_areas(settings, now, last)
    sv = settings.lang == "sv"
    if form_key == "risk_assessment":
        if not low:
            return None
        risks = []
        for name in low:
            title = SUB_TITLES[name][0 if sv else 1]
            before = last.get(name) if last is not None and last.shown else None
            was = f", {year - 1}: {_fmt(before)}" if before is not None else ""
            figure = f"{_fmt(now.get(name))}{was}"
            text = (
                f"Lågt index för {title.lower()} i medarbetarenkäten ({figure})"
                if sv
                else f"Low {title.lower()} index in the employee survey ({figure})"
            )
            risks.append({"description": text, "domain": RISK_DOMAIN[name]})
        return {"risks": risks, "participants": "", "context": "regular"}
    t = tree(s)
    invited = now.invited if now.invited is not None else _subtree_headcount(t, unit_id)
    start: dict[str, Any] = {
        "survey_name": imp.survey_name,
        "invited": max(invited, now.answered),
        "answered": now.answered,
    }
    if now.shown:
        start |= {k: now.get(k) for k in SUBS}
        parts = [f"HME {_fmt(now.hme)}"]
        if last is not None and last.shown:
            parts.append(f"({year - 1}: {_fmt(last.hme)})")
        if low:
            names = ", ".join(SUB_TITLES[n][0 if sv else 1].lower() for n in low)
            parts.append(f"– låga områden: {names}" if sv else f"– low areas: {names}")
        start["findings"] = " ".join(parts)
    elif now.suppressed == "derivable":
        start["findings"] = (
            "Inga index visas: de skulle tillsammans med andra enheters avslöja en mindre "
            "grupps svar"
            if sv
            else "No indices shown: with other units' they would reveal a smaller group's answers"
        )
    else:
        start["findings"] = (
            f"Inga index visas: för få svar för anonymitet (minst {imp.min_answers})"
            if sv
            else f"No indices shown: too few answers for anonymity (at least {imp.min_answers})"
        )
    return start
