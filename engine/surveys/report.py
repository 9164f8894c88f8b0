"""What the board report shows of surveys and ROA (issue 12 §6): the HME indices per unit
and year, within the anonymity threshold, and the year's risk-oriented selection.

``board_survey(app, actor, year, root)`` is the one entry point (``engine.reports.board``
calls it; it does not read the survey tables itself). Everything is already suppressed at
import: a unit whose figures are hidden comes with ``shown = False`` and no figures, and
so does its change since last year. Only the units the person sees are included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.context import Actor, App
from engine.surveys import results, roa
from engine.surveys.common import tree
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


def board_survey(app: App, actor: Actor, year: int, root: str | None = None) -> BoardSurvey:
    found = results.year_results(app, actor, year, root)
    lines = [
        SurveyLine(
            u.code,
            u.name,
            u.depth,
            u.now.answered,
            u.now.shown,
            u.now.hme,
            u.now.motivation,
            u.now.leadership,
            u.now.governance,
            u.last.hme if u.last is not None and u.change("hme") is not None else None,
            u.change("hme"),
            list(u.low),
        )
        for u in found.units
    ]
    with app.read() as s:
        seen = {tree(s).code[u] for u in visible_units(s, app, actor, tree(s), root)}
        chosen = [
            RoaLine(x.code, x.name, x.proposed, x.case_id)
            for x in roa.selected_units(s, year)
            if x.code in seen
        ]
    return BoardSurvey(year, found.survey_name, found.min_answers, found.respondents, lines, chosen)
