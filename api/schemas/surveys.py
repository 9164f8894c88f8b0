"""Request and reply bodies of the survey, absence and ROA API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from api.schemas import In, Out

Heading = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class MappingColumns(In):
    m1: Heading
    m2: Heading
    m3: Heading
    l1: Heading
    l2: Heading
    l3: Heading
    g1: Heading
    g2: Heading
    g3: Heading


class MappingIn(In):
    name: Heading = ""
    layout: Literal["respondent", "unit"] = "respondent"
    unit_column: Heading
    count_column: Heading = ""
    invited_column: Heading = ""
    columns: MappingColumns
    scale_low: int = Field(1, ge=0, le=100)
    scale_high: int = Field(5, ge=1, le=100)


class MappingOut(Out):
    key: str
    name: str
    layout: str
    unit_column: str
    count_column: str
    invited_column: str
    columns: dict[str, str]
    scale_low: int
    scale_high: int


class SavedOut(Out):
    key: str
    new: bool


class TopOut(Out):
    unit: str
    name: str
    answered: int
    hme: float | None
    motivation: float | None
    leadership: float | None
    governance: float | None


class SurveyImportOut(Out):
    year: int
    survey_name: str
    mapping: str
    layout: str
    rows: int
    respondents: int
    incomplete: int
    units_with_answers: int
    shown: int
    too_few: int
    derivable: int
    replaced: bool
    applied: bool
    import_id: int | None
    hme: float | None
    top: list[TopOut]


class FiguresOut(Out):
    answered: int
    invited: int | None
    suppressed: str | None = Field(description="null: shown; none, few or derivable: why not")
    motivation: float | None
    leadership: float | None
    governance: float | None
    hme: float | None
    questions: dict[str, float]


class UnitFiguresOut(Out):
    code: str
    name: str
    depth: int
    now: FiguresOut
    last: FiguresOut | None
    change: dict[str, float | None]
    low: list[str]


class YearResultsOut(Out):
    year: int
    survey_name: str
    imported_at: datetime | None
    min_answers: int
    respondents: int
    units: list[UnitFiguresOut]


class AbsenceImportOut(Out):
    rows: int
    units: int
    periods: list[str]
    new: int
    replaced: int
    applied: bool


class PeriodOut(Out):
    period: str
    short_term: float
    long_term: float
    headcount: int


class UnitAbsenceOut(Out):
    code: str
    name: str
    depth: int
    hidden: bool
    periods: list[PeriodOut]
    short_term: float | None
    long_term: float | None
    last_short_term: float | None
    last_long_term: float | None


class FlagOut(Out):
    period: str
    short_term: float
    comparable_median: float
    comparables: int


class ProposalOut(Out):
    code: str
    name: str
    flags: list[FlagOut]
    selected: bool


class SelectionIn(In):
    units: list[Code] = Field(min_length=1, max_length=500)
    note: Annotated[str, StringConstraints(max_length=4000)] = ""


class SelectionOut(Out):
    selection_id: int
    cases: dict[str, int]


class SelectedOut(Out):
    code: str
    name: str
    proposed: bool
    case_id: int | None
    confirmed_at: datetime


class GoalIn(In):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
    measure: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    target: float
    direction: Literal["at_least", "at_most"] = "at_least"


class LocalGoalIn(In):
    goal: Code
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    status: Literal["planned", "ongoing", "done"] = "planned"
    value: float | None = None


class PlanIn(In):
    factors: list[Annotated[str, StringConstraints(max_length=64)]] = Field(max_length=10)
    challenges: Annotated[str, StringConstraints(max_length=4000)]
    goals: list[LocalGoalIn] = Field(min_length=1, max_length=20)


class FollowUpIn(In):
    comment: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class IdOut(Out):
    id: int


class GoalOut(Out):
    code: str
    title: str
    measure: str
    target: float
    direction: str


class LocalGoalOut(Out):
    number: int
    goal: str
    text: str
    status: str
    value: float | None
    reached: bool | None


class PlanOut(Out):
    unit: str
    name: str
    factors: list[str]
    challenges: str
    goals: list[LocalGoalOut]
    last_follow_up: date | None
    follow_up_due: bool


class ProgressOut(Out):
    planned: int
    ongoing: int
    done: int
    reached: int


class HealthYearOut(Out):
    year: int
    goals: list[GoalOut]
    plans: list[PlanOut]
    progress: dict[str, dict[str, ProgressOut]]
    units_without_plan: list[str]
