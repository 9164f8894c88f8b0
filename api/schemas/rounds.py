"""Reply shapes of the safety rounds (``/api/rounds``, issue 12 §2)."""

from __future__ import annotations

from datetime import date

from api.schemas import Out
from api.schemas.cases import CaseDetailOut


class FindingOut(Out):
    id: int
    number: int
    point: str
    point_sv: str
    point_en: str
    place: str
    description: str
    probability: int
    consequence: int
    risk_level: str
    status: str  # open | in_plan | resolved
    photos: list[int]  # ids for /api/rounds/photos/{id}
    round_on: date | None = None  # an earlier round's date
    reviewed: str = ""  # this round's review of an earlier finding


class RoundOut(Out):
    case: CaseDetailOut
    checklist: str
    checklist_title: dict[str, str]
    findings: list[FindingOut]
    earlier: list[FindingOut]
    unmet: list[dict[str, str]]
    may_record: bool


class FindingAddedOut(Out):
    id: int
    number: int
    status: str
    photos: int


class ToPlanOut(Out):
    plan_cycle_id: int
    item: int
    measures: list[int]


class ChecklistOut(Out):
    key: str
    title: dict[str, str]
    points: list[dict[str, str]]
