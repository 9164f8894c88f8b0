"""The board's status report (rapport till nämnden): the organisation's own activities by
name (the annual plans, safety rounds, incidents, requests, changes, inspections, the
follow-up ...: each process that ran, done / ongoing / planned, with its period), the annual
cycle's stages, the employee survey index year over year, span of control, the sections
other capabilities register (``engine.reports.sections``), and a proposed decision.

Survey figures respect the anonymity threshold twice: a unit with fewer answers than the
threshold contributes nothing, and a group whose included answers are still fewer gets no
figures at all.

    report = board_report.build(app, actor, 2027, root_code="OMS")
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import Cycle
from engine.db.models.workflow.process import ProcessCase
from engine.domain.clock import local_date
from engine.domain.followup.hme import SUB_INDICES, suppressed
from engine.org import admin as org
from engine.plans import own as own_plans
from engine.plans.own import PlanRow
from engine.reports import scope as report_scope
from engine.reports import sections as report_sections
from engine.reports.scope import CycleFacts
from engine.reports.sections import ReportSection
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
class NamedActivity:
    """One of the organisation's activities in the year, by its name: how many are done,
    going on or planned, and the period they span."""

    key: str
    title_sv: str
    title_en: str
    done: int
    ongoing: int
    planned: int
    first: date | None
    last: date | None

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en

    @property
    def status(self) -> str:
        """done when all are done; planned when none has begun; else ongoing."""
        if self.ongoing or (self.done and self.planned):
            return "ongoing"
        return "done" if self.done else "planned"


@dataclass(frozen=True)
class Decision:
    sv: str
    en: str

    def text(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


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
    work: list[NamedActivity] = field(default_factory=list)
    sections: list[ReportSection] = field(default_factory=list)
    decision: Decision = Decision("", "")
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
        work = [
            _annual_plans(facts[year], len(sc.units), year),
            *_processes(s, sc.units, year, day),
        ]
        extra = report_sections.render("board", s, sc.units, year, app.settings)
        plans = own_plans.plans_in(s, list(sc.units), year, day)
    template = templates.parse(templates.text_for(key), key)
    current = facts[year]
    activities = [
        Activity(st.key, st.title.sv, st.title.en, *_stage_counts(current, st.key))
        for st in template.stages
    ]
    grouped = {y: report_scope.by_group(sc, facts[y]) for y in years}
    code = sc.codes[sc.root] if sc.root is not None else ""
    measures = _measure_counts(current)
    return BoardReport(
        year=year,
        root_code=code,
        root_name=sc.root_name,
        as_of=now,
        units=len(sc.units),
        not_started=len(sc.units) - len(current),
        min_answers=threshold,
        activities=activities,
        measures=measures,
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
        work=work,
        sections=extra,
        decision=_decision(sc.root_name, year, work, measures),
        plans=plans,
    )


def _annual_plans(facts: list[CycleFacts], units: int, year: int) -> NamedActivity:
    """The units' annual cycles (kartläggning to uppföljning, their action plans)."""
    states = [f.status for f in facts]
    return NamedActivity(
        "annual_plans",
        "Årscykler och handlingsplaner",
        "Annual cycles and action plans",
        states.count("completed"),
        states.count("active"),
        units - len(facts),
        date(year, 1, 1) if facts else None,
        date(year, 12, 31) if facts else None,
    )


def _processes(s: Session, units: list[int], year: int, day: date) -> list[NamedActivity]:
    """Each case process that ran at the units in the year (by the date of each case):
    completed cases are done, those begun ongoing, those dated ahead planned."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    spans: dict[str, list[date]] = defaultdict(list)
    start, end = date(year, 1, 1), date(year, 12, 31)
    for batch in chunks(units, 500):
        rows = s.execute(
            select(ProcessCase.kind, ProcessCase.opened_on, Cycle.status)
            .join(Cycle, Cycle.id == ProcessCase.cycle_id)
            .where(
                ProcessCase.unit_id.in_(batch),
                ProcessCase.opened_on >= start,
                ProcessCase.opened_on <= end,
                Cycle.status != "cancelled",
            )
        )
        for kind, on, status in rows:
            i = 0 if status == "completed" else 2 if on > day else 1
            counts[kind][i] += 1
            spans[kind].append(on)
    titles = _titles()
    return [
        NamedActivity(
            kind,
            titles.get(kind, (kind, kind))[0],
            titles.get(kind, (kind, kind))[1],
            counts[kind][0],
            counts[kind][1],
            counts[kind][2],
            min(spans[kind]),
            max(spans[kind]),
        )
        for kind in sorted(counts, key=lambda k: titles.get(k, (k, k))[0])
    ]


def _titles() -> dict[str, tuple[str, str]]:
    out = {}
    for text in templates.packaged().values():
        t = templates.parse(text)
        if t.subject.is_case():
            title = t.subject.title or t.title
            out[t.subject.kind] = (title.sv, title.en)
    return out


def _decision(root: str, year: int, work: list[NamedActivity], measures: Activity) -> Decision:
    """The proposed decision: the report approved and placed on file; with work still
    going on, the administration is asked to report back on it."""
    who_sv = f" för {root}" if root else ""
    who_en = f" for {root}" if root else ""
    sv = (
        f"Nämnden godkänner statusrapporten om arbetsmiljöarbetet{who_sv} {year} "
        "och lägger den till handlingarna."
    )
    en = (
        f"The committee approves the status report on the work environment management"
        f"{who_en} {year} and places it on file."
    )
    open_ = sum(a.ongoing for a in work) + measures.ongoing
    if open_:
        sv += (
            " Förvaltningen återrapporterar pågående aktiviteter och åtgärder vid nästa "
            "uppföljning."
        )
        en += (
            " The administration reports back on the activities and measures still under "
            "way at the next follow-up."
        )
    return Decision(sv, en)


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
