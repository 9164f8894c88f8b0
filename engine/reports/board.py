"""The board's status report (rapport till nämnden): each SAM activity done / ongoing /
planned across the units, the employee survey index year over year, and span of control.

Survey figures respect the anonymity threshold twice: a unit with fewer answers than the
threshold contributes nothing, and a group whose included answers are still fewer gets no
figures at all.

    report = board_report.build(app, actor, 2027, root_code="OMS")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from engine.context import Actor, App
from engine.db import queries
from engine.domain.clock import local_date
from engine.domain.hme import SUB_INDICES, suppressed
from engine.org import admin as org
from engine.plans import own as own_plans
from engine.plans.own import PlanRow
from engine.reports import scope as report_scope
from engine.reports.scope import CycleFacts
from engine.workflow import templates

YEARS_BACK = 2
SPAN_BUCKETS = ((0, 20), (21, 30), (31, 40), (41, 50), (51, 10**9))


@dataclass(frozen=True)
class Activity:
    key: str
    title_sv: str
    title_en: str
    done: int
    ongoing: int
    planned: int

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en


@dataclass(frozen=True)
class SurveyFigures:
    year: int
    reported: int  # units that reported a survey at all
    units: int  # units whose results count (at or above the threshold)
    answers: int
    suppressed: bool
    hme: float | None = None
    motivation: float | None = None
    leadership: float | None = None
    governance: float | None = None


@dataclass(frozen=True)
class GroupSurvey:
    code: str
    name: str
    years: list[SurveyFigures]


@dataclass(frozen=True)
class SpanSummary:
    managers: int
    median: float | None
    above: int
    threshold: int
    buckets: list[tuple[str, int]]


@dataclass(frozen=True)
class BoardReport:
    year: int
    root_code: str
    root_name: str
    as_of: datetime
    units: int
    not_started: int
    min_answers: int
    activities: list[Activity]
    measures: Activity
    survey: list[SurveyFigures]
    survey_groups: list[GroupSurvey]
    span: SpanSummary
    #: The plans in their own right of the year in scope (an administration-wide plan, a
    #: theme across units): title, scope, measures open / done / late, established where.
    plans: list[PlanRow] = field(default_factory=list)


def build(app: App, actor: Actor, year: int, root_code: str | None = None) -> BoardReport:
    now = app.clock.now()
    day = local_date(now)
    threshold = app.settings.min_survey_answers
    key = app.settings.default_template
    with app.read() as s:
        snap = queries.org_snapshot(s, day)
        sc = report_scope.scope(s, actor, snap, root_code, day)
        years = list(range(year - YEARS_BACK, year + 1))
        facts = {y: report_scope.cycle_facts(s, sc.units, y, key) for y in years}
        plans = own_plans.plans_in(s, list(sc.units), year, day)
    template = templates.parse(templates.text_for(key), key)
    current = facts[year]
    activities = [
        Activity(st.key, st.title.sv, st.title.en, *_stage_counts(current, st.key))
        for st in template.stages
    ]
    grouped = {y: report_scope.by_group(sc, facts[y]) for y in years}
    code = sc.codes[sc.root] if sc.root is not None else ""
    return BoardReport(
        year=year,
        root_code=code,
        root_name=sc.root_name,
        as_of=now,
        units=len(sc.units),
        not_started=len(sc.units) - len(current),
        min_answers=threshold,
        activities=activities,
        measures=_measure_counts(current),
        survey=[survey(y, facts[y], threshold) for y in years],
        survey_groups=[
            GroupSurvey(
                sc.codes[g],
                sc.names[g],
                [survey(y, grouped[y].get(g, []), threshold) for y in years[-2:]],
            )
            for g in sc.groups
        ],
        span=_span(app, code or None),
        plans=plans,
    )


def _stage_counts(facts: list[CycleFacts], key: str) -> tuple[int, int, int]:
    states = [f.stages.get(key) for f in facts]
    return (
        states.count("signed_off"),
        states.count("active"),
        sum(1 for x in states if x in ("pending", None)),
    )


def _measure_counts(facts: list[CycleFacts]) -> Activity:
    states = [m[0] for f in facts for m in f.measures]
    return Activity(
        "measures",
        "Åtgärder i handlingsplanerna",
        "Measures in the action plans",
        states.count("done"),
        states.count("in_progress"),
        states.count("planned") + states.count("postponed"),
    )


def survey(year: int, facts: list[CycleFacts], threshold: int) -> SurveyFigures:
    """Answer-weighted means over units at or above the threshold; none below it."""
    reported = [f.survey for f in facts if f.survey is not None]
    counted = [
        x
        for x in reported
        if not suppressed(x.get("answered"), threshold)
        and all(isinstance(x.get(k), int | float) for k in SUB_INDICES)
    ]
    answers = sum(int(x["answered"]) for x in counted)
    if not counted or answers < threshold:
        return SurveyFigures(year, len(reported), len(counted), answers, True)
    means = {
        k: round(sum(float(x[k]) * int(x["answered"]) for x in counted) / answers, 1)
        for k in SUB_INDICES
    }
    hme = round(sum(means.values()) / len(means), 1)
    return SurveyFigures(year, len(reported), len(counted), answers, False, hme, **means)


def _span(app: App, root_code: str | None) -> SpanSummary:
    result = org.span(app, root_code)
    employees = [m.employees for m in result.managers]
    buckets = [
        (f"{lo}–{hi}" if hi < 10**9 else f"{lo}+", sum(1 for e in employees if lo <= e <= hi))
        for lo, hi in SPAN_BUCKETS
    ]
    return SpanSummary(
        len(employees),
        median(employees) if employees else None,
        len(result.above_threshold),
        result.threshold,
        buckets,
    )
