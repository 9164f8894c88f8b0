"""Request and reply shapes of the evidence, inspection, audit, report and plan import
routes (read from the engine's read models by attribute)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas import In, Out

ScopeKind = Literal["unit", "subtree"]
DocLang = Literal["sv", "en"]
DocFormat = Literal["pdf", "html", "json"]
CODE = Field(min_length=1, max_length=64, description="A unit's code, e.g. U1")


# --- evidence -----------------------------------------------------------------------------
class EvidenceJobIn(In):
    code: str = CODE
    year: int = Field(ge=2000, le=2100)
    scope: ScopeKind = "subtree"
    lang: DocLang = "sv"
    #: The *diarienummer* printed on the cover (outside the digest).
    reference: str = Field(default="", max_length=60)


class EvidenceDocOut(Out):
    """The package's data as embedded in its HTML and PDF (``data`` is what the digest
    covers: SHA-256 of its canonical JSON)."""

    kind: str
    format: int
    digest: str
    built_by: str
    data: dict[str, Any]


class DifferenceOut(Out):
    where: str  # readable: "U2 · measure:17 › what"
    path: list[str]
    kind: str  # changed | added | removed
    before: Any
    after: Any
    verdict: str  # explained | possibly_explained | unexplained
    explained_by: list[str]


class ChainBreakOut(Out):
    chain: str
    seq: int
    kind: str
    detail: str
    event_id: int | None


class VerifyOut(Out):
    """``matches``: the file is intact, the database gives the same data, the chains hold."""

    matches: bool
    file_intact: bool
    verdict: str  # in words, in the asked-for language
    recorded: str
    current: str
    scope: str
    code: str
    year: int
    as_of: datetime
    total: int
    differences: list[DifferenceOut]
    later_events: int
    broken_chains: list[ChainBreakOut]
    #: What the package's signed checkpoint shows (events removed, the chain recomputed, a
    #: forged or missing checkpoint), in words; and what could not be checked about it.
    anchor_findings: list[str]
    anchor_notes: list[str]


# --- inspections --------------------------------------------------------------------------
class RegisteredOut(Out):
    inspection_id: int
    cycle_id: int
    requirements: int
    tasks: int


class InspectionSummaryOut(Out):
    id: int
    cycle_id: int | None
    unit_code: str
    unit_name: str
    reference: str
    inspected_on: date
    reply_by: date
    requirements: int
    answers: int
    done: int
    overdue: int
    escalated: int
    reply_drafted_at: datetime | None
    status: Literal["open", "ready", "drafted", "closed"]


class AnswerOut(Out):
    """One responsible unit's answer to a requirement (the task now answering for it)."""

    ref: str
    unit: str | None
    unit_name: str
    status: str
    due: datetime
    closed_at: datetime | None
    by: str
    waiting_on: str  # who holds it while open
    escalation_level: int
    actions: Any
    done_on: Any
    evidence: Any
    remaining: Any
    measures: list[dict[str, Any]]


class RequirementOut(Out):
    number: int
    text: str
    due: date
    answers: list[AnswerOut]


class InspectionOut(Out):
    summary: InspectionSummaryOut
    inspector: str
    note: str
    requirements: list[RequirementOut]
    complete: bool
    open: int


# --- audit search -------------------------------------------------------------------------
class AuditRowOut(Out):
    id: int
    at: datetime
    chain: str
    seq: int
    actor: str
    actor_name: str
    on_behalf_of: str
    action: str
    subject: str
    unit_code: str
    unit_name: str
    data: Any
    hash: str


class AuditPageOut(Out):
    rows: list[AuditRowOut]
    #: The matches, counted up to 10,000; ``capped``: there are more than that.
    total: int
    capped: bool
    #: None when the page lies beyond the counted matches (reached by cursor).
    page: int | None
    page_size: int
    pages: int
    #: Pass as ``before`` for the next, older page / as ``after`` for the newer one.
    older: int | None
    newer: int | None


# --- reports ------------------------------------------------------------------------------
class FollowUpRowOut(Out):
    code: str
    name: str
    units: int
    cycles: int
    risk_signed: int
    plan_approved: int
    evaluated: int
    measures: int
    measures_due: int
    done: int
    done_on_time: int
    overdue: int
    returned: int
    escalations: int
    risk_share: float | None
    plan_share: float | None
    on_time_share: float | None


class FollowUpOut(Out):
    year: int
    root_code: str
    root_name: str
    as_of: datetime
    groups: list[FollowUpRowOut]
    total: FollowUpRowOut


class ActivityOut(Out):
    key: str
    title_sv: str
    title_en: str
    done: int
    ongoing: int
    planned: int


class SurveyOut(Out):
    year: int
    reported: int
    units: int
    answers: int
    suppressed: bool
    hme: float | None
    motivation: float | None
    leadership: float | None
    governance: float | None


class GroupSurveyOut(Out):
    code: str
    name: str
    years: list[SurveyOut]


class SpanOut(Out):
    managers: int
    median: float | None
    above: int
    threshold: int
    buckets: list[tuple[str, int]]


class WorkOut(Out):
    """One of the organisation's activities by name (a process that ran in the year)."""

    key: str
    title_sv: str
    title_en: str
    status: str  # done | ongoing | planned
    done: int
    ongoing: int
    planned: int
    first: date | None
    last: date | None


class SectionOut(Out):
    key: str
    title_sv: str
    title_en: str
    headers_sv: list[str]
    headers_en: list[str]
    rows: list[list[str]]
    rows_en: list[list[str]] | None
    note_sv: str
    note_en: str


class DecisionOut(Out):
    sv: str
    en: str


class BoardPlanCountsOut(Out):
    total: int
    open: int
    done: int
    late: int


class BoardPlanOut(Out):
    """A plan in its own right of the year (not a unit's annual plan)."""

    title: str
    scope: str  # unit | department | administration | theme
    theme: str
    unit: str
    unit_code: str
    plan_date: date | None
    established: str | None
    counts: BoardPlanCountsOut


class BoardOut(Out):
    year: int
    root_code: str
    root_name: str
    as_of: datetime
    units: int
    not_started: int
    min_answers: int
    activities: list[ActivityOut]
    measures: ActivityOut
    survey: list[SurveyOut]
    survey_groups: list[GroupSurveyOut]
    span: SpanOut
    #: the organisation's activities by name (the annual plans, each case process)
    work: list[WorkOut]
    #: sections other capabilities register (engine.reports.sections)
    sections: list[SectionOut]
    decision: DecisionOut
    plans: list[BoardPlanOut] = Field(default_factory=list)


# --- plan import --------------------------------------------------------------------------
class MeasureRowOut(Out):
    line: int
    what: str
    desired_result: str
    responsible: str
    due_date: date | None  # the end of the due period; none when open-ended
    due_label: str  # as written: "hösten 2027", "Q1 2027", "kontinuerligt"
    follow_up_date: date | None  # the first follow-up point's end
    follow_up_labels: list[str]  # every follow-up and evaluation point, as written
    status: str  # after its whole dated history
    done_on: date | None
    note: str


class ItemRowOut(Out):
    line: int
    area: str
    current_state: str
    probability: int | None
    consequence: int | None
    measures: list[MeasureRowOut]


class PlanImportOut(Out):
    """What the file holds and what was (``applied``) or would be imported."""

    cycle_id: int
    items: int
    measures: int
    status_changes: int
    applied: bool
    rows: list[ItemRowOut]


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` put in place (for an OpenAPI request body
    that the use case, not FastAPI, validates: its messages are bilingual and name paths)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
