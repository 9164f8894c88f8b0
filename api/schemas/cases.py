"""Reply shapes of the case processes' generic doors (``/api/cases/{kind}``, issue 10)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from api.schemas import Out


class CaseOpenedOut(Out):
    case_id: int
    cycle_id: int
    items: int
    tasks: int


class CaseSummaryOut(Out):
    id: int
    kind: str
    cycle_id: int | None
    unit_code: str
    unit_name: str
    reference: str
    opened_on: date
    deadline: date | None
    items: int
    answers: int
    done: int
    overdue: int
    escalated: int
    drawn_up_at: datetime | None
    status: str
    #: the process's own state (an incident's reporting latency, a request's decision
    #: and whether the representative may turn to Arbetsmiljöverket)
    state: dict[str, Any]


class CaseTaskOut(Out):
    task_id: int
    key: str
    title_sv: str
    title_en: str
    status: str
    due: datetime
    closed_at: datetime | None
    by: str
    waiting_on: str
    escalation_level: int
    overdue: bool


class CaseDocumentOut(Out):
    key: str
    at: datetime
    digest: str


class CaseDocumentKindOut(Out):
    key: str
    title_sv: str
    title_en: str


class PlanLinkOut(Out):
    cycle_id: int
    item: int
    area: str
    unit: str
    unit_name: str
    year: int


class CaseDetailOut(Out):
    case_id: int
    kind: str
    title: dict[str, str]
    summary: CaseSummaryOut
    data: dict[str, Any]
    tasks: list[CaseTaskOut]
    documents: list[CaseDocumentOut]
    document_keys: list[CaseDocumentKindOut]
    may_add: bool
    plan_links: list[PlanLinkOut]


class LatencyOut(Out):
    """How quickly serious incidents were reported to Arbetsmiljöverket (hours)."""

    events: int
    serious: int
    reported: int
    not_reported: int
    median_hours: float | None
    max_hours: float | None
    within_24h: int


class KindOverviewOut(Out):
    """One kind of case in the year: how many, per state, and their tasks."""

    kind: str
    title_sv: str
    title_en: str
    cases: int
    open: int = Field(description="Cases not closed")
    overdue: int = Field(description="Open tasks past due")
    escalated: int = Field(description="Tasks with an escalation step taken")
    open_tasks: int
    states: dict[str, int] = Field(description="Cases per state: open, ready, drawn_up, closed")


class CaseOverviewOut(Out):
    """The cases of the year the caller may see, per kind, and how quickly serious
    incidents were reported to Arbetsmiljöverket."""

    year: int
    unit: str | None
    kinds: list[KindOverviewOut]
    latency: LatencyOut
