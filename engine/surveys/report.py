"""What the board report shows of surveys, ROA and health (issue 12 §6): the HME indices
per unit year over year within the anonymity threshold, the year's risk-oriented
selection, and the administration's health goals with the units' progress.

The board report's sections (``engine.reports.sections``, registered in
``engine.catalog``) are ``survey_section``, ``roa_section`` and ``health_section``: each
takes the report's read session, the units in its scope (already limited to what the
reader oversees), the year and the settings, and returns a ``ReportSection`` or None.
``board_survey(app, actor, year, root)`` is the same survey lines for a person (the units
they see), for the API and tests.

Everything is already suppressed at import: a unit whose figures are hidden has
``shown = False`` and no figures stored at all, so no cell here can show more than the
rule allows; its change since last year is shown only when both years are shown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db.audit_store import chunks
from engine.db.models import Cycle
from engine.db.models.followup.surveys import HealthLocalGoal, HealthPlan, RoaSelection, RoaUnit
from engine.db.models.workflow.process import ProcessCase
from engine.domain.followup.health import reached
from engine.domain.followup.sections import ReportSection
from engine.settings import Settings
from engine.surveys import health, results, roa
from engine.surveys.common import Tree, tree
from engine.surveys.results import visible_units


@dataclass(frozen=True)
class SurveyLine:
    code: str
    name: str
    depth: int
    answered: int
    shown: bool
    hme: float | None
    motivation: float | None
    leadership: float | None
    governance: float | None
    last_hme: float | None  # last year's, when shown both years
    change: float | None
    low: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RoaLine:
    code: str
    name: str
    proposed: bool  # by the rule (else added by HR)
    case_id: int | None


@dataclass(frozen=True)
class BoardSurvey:
    year: int
    survey_name: str
    min_answers: int
    respondents: int
    units: list[SurveyLine]
    roa: list[RoaLine]

    @property
    def imported(self) -> bool:
        return bool(self.survey_name)


def survey_lines(
    s: Session, settings: Settings, t: Tree, units: Sequence[int], year: int
) -> list[SurveyLine]:
    """Each unit (in the order given) with figures this year, and last year's HME."""
    if results.active_import(s, year) is None:
        return []
    wanted = list(units)
    now = results.cells(s, year, wanted)
    before = results.cells(s, year - 1, wanted)
    out = []
    for u in wanted:
        if u not in now or u not in t.code:
            continue
        fig, last = now[u], before.get(u)
        both = fig.shown and last is not None and last.shown
        change = None
        if both and fig.hme is not None and last is not None and last.hme is not None:
            change = round(fig.hme - last.hme, 1)
        out.append(
            SurveyLine(
                t.code[u],
                t.name[u],
                t.depth(u),
                fig.answered,
                fig.shown,
                fig.hme,
                fig.motivation,
                fig.leadership,
                fig.governance,
                last.hme if both and last is not None else None,
                change,
                results.low_areas(settings, fig, last),
            )
        )
    return out


def board_survey(app: App, actor: Actor, year: int, root: str | None = None) -> BoardSurvey:
    """The survey lines and the ROA selection of the units the person sees."""
    found = results.year_results(app, actor, year, root)
    with app.read() as s:
        t = tree(s)
        units = visible_units(s, app, actor, t, root)
        lines = survey_lines(s, app.settings, t, units, year)
        seen = {t.code[u] for u in units}
        chosen = [
            RoaLine(x.code, x.name, x.proposed, x.case_id)
            for x in roa.selected_units(s, year)
            if x.code in seen
        ]
    return BoardSurvey(year, found.survey_name, found.min_answers, found.respondents, lines, chosen)


# --- the board report's sections -------------------------------------------------------
def _num(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "sv" else text


def _signed(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + _num(value, lang).replace("-", "−")


def survey_section(
    s: Session, units: Sequence[int], year: int, settings: Settings
) -> ReportSection | None:
    """``survey_indices``: HME and its sub-indices per unit, this year beside last year's,
    for the top ``board_survey_levels`` levels of the scope; a hidden unit shows its number
    of answers and a dash in every figure."""
    imp = results.active_import(s, year)
    if imp is None:
        return None
    t = tree(s)
    present = [u for u in units if u in t.code]
    if not present:
        return None
    top = min(t.depth(u) for u in present)
    shallow = [u for u in present if t.depth(u) - top < max(1, settings.board_survey_levels)]
    lines = survey_lines(s, settings, t, shallow, year)
    if not lines:
        return None

    def row(x: SurveyLine, lang: str) -> list[str]:
        name = "\u2003" * (x.depth - top) + f"{x.code} {x.name}"
        if not x.shown:  # nothing of a hidden unit exists to show but its count
            return [name, str(x.answered), *["–"] * 6]
        return [
            name,
            str(x.answered),
            _num(x.last_hme, lang),
            _num(x.hme, lang),
            _signed(x.change, lang),
            _num(x.motivation, lang),
            _num(x.leadership, lang),
            _num(x.governance, lang),
        ]

    more = len(present) - len(shallow)
    hidden = sum(1 for x in lines if not x.shown)
    threshold = imp.min_answers
    note_sv = (
        f"{imp.survey_name}. – = redovisas inte: färre än {threshold} svar, eller skulle "
        "tillsammans med andra enheter avslöja en mindre grupps svar (anonymitet). Index "
        "0–100; förändring mot föregående år visas bara när båda åren redovisas."
    )
    note_en = (
        f"{imp.survey_name}. – = not shown: fewer than {threshold} answers, or would reveal a "
        "smaller group's answers together with other units (anonymity). Indices 0–100; the "
        "change since last year is shown only when both years are shown."
    )
    if hidden:
        note_sv += f" {hidden} av {len(lines)} enheter redovisas inte."
        note_en += f" {hidden} of {len(lines)} units are not shown."
    if more:
        note_sv += f" {more} enheter längre ned i organisationen finns i enkätrapporten."
        note_en += f" {more} units further down are in the survey report."
    return ReportSection(
        "survey_indices",
        f"Medarbetarenkät (HME) per enhet {year - 1}–{year}",
        f"Employee survey (HME) per unit {year - 1}–{year}",
        [
            "Enhet",
            "Svar",
            f"HME {year - 1}",
            f"HME {year}",
            "Förändring",
            "Motivation",
            "Ledarskap",
            "Styrning",
        ],
        [
            "Unit",
            "Answers",
            f"HME {year - 1}",
            f"HME {year}",
            "Change",
            "Motivation",
            "Leadership",
            "Governance",
        ],
        [row(x, "sv") for x in lines],
        note_sv,
        note_en,
        [row(x, "en") for x in lines],
    )


def _basis(raw: str, proposed: bool, lang: str) -> str:
    if not proposed:
        return "Vald av HR" if lang == "sv" else "Selected by HR"
    try:
        flags = json.loads(raw)
    except ValueError:
        flags = []
    parts = []
    for f in flags if isinstance(flags, list) else []:
        if isinstance(f, dict) and {"period", "short_term", "comparable_median"} <= set(f):
            parts.append(
                f"{f['period']}: {_num(float(f['short_term']), lang)} % "
                f"({_num(float(f['comparable_median']), lang)} %)"
            )
    head = "Föreslagen av regeln" if lang == "sv" else "Proposed by the rule"
    return f"{head}: {'; '.join(parts)}" if parts else head


_CASE_STATE = {
    "completed": ("Klar", "Done"),
    "active": ("Pågår", "Ongoing"),
    "cancelled": ("Avbruten", "Cancelled"),
}


def roa_section(
    s: Session, units: Sequence[int], year: int, settings: Settings
) -> ReportSection | None:
    """``roa_selection``: the units HR selected for a risk-oriented review in the year, why
    (the rule's periods and figures against comparable units' median, or HR's own
    choice), and where each unit's review stands."""
    rows: list[tuple[int, str, bool, str | None]] = []
    for batch in chunks(list(units), 500):
        rows.extend(
            s.execute(
                select(RoaUnit.unit_id, RoaUnit.basis, RoaUnit.proposed, Cycle.status)
                .join(RoaSelection, RoaSelection.id == RoaUnit.selection_id)
                .outerjoin(ProcessCase, ProcessCase.id == RoaUnit.case_id)
                .outerjoin(Cycle, Cycle.id == ProcessCase.cycle_id)
                .where(RoaSelection.year == year, RoaUnit.unit_id.in_(batch))
            ).tuples()
        )
    if not rows:
        return None
    t = tree(s)
    rows.sort(key=lambda r: t.code.get(r[0], ""))

    def row(r: tuple[int, str, bool, str | None], lang: str) -> list[str]:
        state = _CASE_STATE.get(r[3] or "", ("–", "–"))
        return [
            f"{t.code.get(r[0], '')} {t.name.get(r[0], '')}",
            _basis(r[1], r[2], lang),
            state[0 if lang == "sv" else 1],
        ]

    short, above = settings.roa_short_term_pct, settings.roa_above_comparable_pct
    return ReportSection(
        "roa_selection",
        f"Riskorienterat urval (ROA) {year}",
        f"Risk-oriented selection (ROA) {year}",
        ["Enhet", "Grund (korttidsfrånvaro, jämförbara enheters median)", "Fördjupad granskning"],
        ["Unit", "Basis (short-term absence, comparable units' median)", "In-depth review"],
        [row(r, "sv") for r in rows],
        f"Regeln: korttidsfrånvaro minst {_num(short, 'sv')} % och {_num(above, 'sv')} % över "
        f"jämförbara enheters median i minst {settings.roa_periods} perioder i följd; HR "
        "bekräftar urvalet.",
        f"The rule: short-term absence at least {_num(short, 'en')} % and {_num(above, 'en')} % "
        f"above comparable units' median in at least {settings.roa_periods} consecutive "
        "periods; HR confirms the selection.",
        [row(r, "en") for r in rows],
        text_columns=3,
    )


def health_section(
    s: Session, units: Sequence[int], year: int, settings: Settings
) -> ReportSection | None:
    """``health_goals``: each of the year's health goals with its target and the units'
    local goals serving it in scope: planned, ongoing, done, and how many have reached the
    target by the latest figure recorded."""
    goals = health.goals_in(s, year)
    if not goals:
        return None
    plans: dict[int, int] = {}
    for batch in chunks(list(units), 500):
        for pid, uid in s.execute(
            select(HealthPlan.id, HealthPlan.unit_id).where(
                HealthPlan.year == year, HealthPlan.unit_id.in_(batch)
            )
        ):
            plans[pid] = uid
    counts = {g.id: [0, 0, 0, 0] for g in goals}  # planned, ongoing, done, reached
    by_id = {g.id: g for g in goals}
    for batch in chunks(sorted(plans), 500):
        for goal_id, status, value in s.execute(
            select(HealthLocalGoal.goal_id, HealthLocalGoal.status, HealthLocalGoal.value).where(
                HealthLocalGoal.plan_id.in_(batch)
            )
        ):
            g = by_id.get(goal_id)
            if g is None:
                continue
            c = counts[goal_id]
            c[("planned", "ongoing", "done").index(status)] += 1
            c[3] += 1 if reached(g.direction, g.target, value) else 0

    def row(g: health.Goal, lang: str) -> list[str]:
        sign = "≥" if g.direction == "at_least" else "≤"
        c = counts[g.id]
        return [f"{g.code} {g.title}", g.measure, f"{sign} {_num(g.target, lang)}",
                str(sum(c[:3])), str(c[2]), str(c[1]), str(c[0]), str(c[3])]  # fmt: skip

    with_plan = len(set(plans.values()))
    t = tree(s)
    leaves = {u for u in units if u in t.code} - {p for p in t.parents.values() if p is not None}
    return ReportSection(
        "health_goals",
        f"Hälsomål {year}",
        f"Health goals {year}",
        [
            "Mål",
            "Mått",
            "Målvärde",
            "Lokala mål",
            "Klara",
            "Pågår",
            "Planerade",
            "Har nått målvärdet",
        ],
        [
            "Goal",
            "Measure",
            "Target",
            "Local goals",
            "Done",
            "Ongoing",
            "Planned",
            "Reached the target",
        ],
        [row(g, "sv") for g in goals],
        f"{with_plan} av {len(leaves)} enheter har en hälsoplan för {year}. Målvärdet jämförs "
        "med den senaste siffra enheten har registrerat för sitt lokala mål.",
        f"{with_plan} of {len(leaves)} units have a health plan for {year}. The target is "
        "compared with the latest figure the unit recorded for its local goal.",
        [row(g, "en") for g in goals],
        text_columns=2,
    )
