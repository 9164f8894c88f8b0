"""The JSON API's request and reply shapes (read from the engine's read models by
attribute, so a reply never carries more than its shape names)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors -------------------------------------------------------------------------------
class FieldProblem(Out):
    path: str
    message: str


class UnmetProblem(Out):
    gate: str
    message: str
    subject: str = ""


class Problem(Out):
    """Every error reply: 401, 403, 404, 409 (with ``unmet``), 422 (with ``errors``), 429."""

    status: int
    code: str
    message: str
    errors: list[FieldProblem] = []
    unmet: list[UnmetProblem] = []


# --- me and tokens ------------------------------------------------------------------------
class RoleOut(Out):
    role: str
    unit_id: int


class MeOut(Out):
    person_id: int
    email: str
    name: str
    via: str
    roles: list[RoleOut]
    admin: bool


class TokenIn(In):
    name: str = Field("api", max_length=100)
    days: int | None = Field(None, ge=1, le=3650)


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str


# --- inbox and tasks ----------------------------------------------------------------------
class InboxItemOut(Out):
    task_id: int
    key: str
    title_sv: str
    title_en: str
    form_key: str
    unit_id: int
    unit_name: str
    cycle_id: int
    year: int
    stage_key: str
    stage_sv: str
    stage_en: str
    due_at: datetime
    overdue: bool
    why: str
    on_behalf_of: int | None
    escalation_level: int
    claimed: bool
    required: bool
    version: int


class InboxOut(Out):
    items: list[InboxItemOut]
    total: int
    overdue: int
    due_this_week: int
    escalated: int
    by_stage: dict[str, int]


class PermissionsOut(Out):
    work: bool
    claim: bool
    release: bool
    delegate: bool
    extend: bool
    on_behalf_of: int | None


class AttachmentOut(Out):
    id: int
    task_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class HistoryOut(BaseModel):
    """One dated status change of a measure."""

    at: datetime
    event: str
    status: str
    note: str
    reason: str

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        if isinstance(value, tuple | list) and len(value) == 5:
            return dict(zip(("at", "event", "status", "note", "reason"), value, strict=True))
        return value


class MeasureOut(Out):
    id: int
    number: str
    what: str
    desired_result: str
    responsible: str
    due_date: date | None
    follow_up_date: date | None
    status: str
    done_on: date | None
    effect: str
    effect_ok: bool | None
    history: list[HistoryOut]


class ItemOut(Out):
    id: int
    number: int
    area: str
    current_state: str
    risk_level: str | None
    risk_id: int | None
    measures: list[MeasureOut]


class RiskOut(Out):
    id: int
    position: int
    description: str
    domain: str
    probability: int
    consequence: int
    level: str
    serious: bool | None


class TaskOut(Out):
    id: int
    key: str
    title_sv: str
    title_en: str
    form_key: str
    status: str
    required: bool
    due_at: datetime
    overdue: bool
    version: int
    cycle_id: int
    unit_id: int
    unit_name: str
    year: int
    stage_key: str
    stage_sv: str
    stage_en: str
    waiting_on: str
    escalation_level: int
    data: dict[str, Any]
    draft: dict[str, Any] | None
    reason: str | None
    closed_at: datetime | None
    closed_by: str
    may: PermissionsOut
    measure: MeasureOut | None
    risks: list[RiskOut]
    plan: list[ItemOut]
    attachments: list[AttachmentOut]


class TaskResultOut(Out):
    task_id: int
    status: str
    version: int
    cycle_id: int
    notes: list[str]


class CompleteIn(In):
    data: dict[str, Any]
    version: int | None = Field(None, description="Refuse (409) if the task changed since.")


class DraftIn(In):
    data: dict[str, Any]


class ReasonIn(In):
    reason: str = Field(max_length=4000)


class DelegateIn(In):
    to: str = Field(max_length=254, description="E-mail of the person to hand the task to.")
    reason: str = Field("", max_length=4000)


class ExtendIn(In):
    due: date
    reason: str = Field(max_length=4000)


class BulkApproveIn(In):
    task_ids: list[int] = Field(min_length=1, max_length=500)
    comment: str = Field("", max_length=4000)


class BulkItemOut(Out):
    task_id: int
    ok: bool
    code: str
    message: str


class BulkOut(Out):
    approved: int
    results: list[BulkItemOut]


# --- cycles -------------------------------------------------------------------------------
class CycleTaskOut(Out):
    id: int
    key: str
    title_sv: str
    title_en: str
    status: str
    required: bool
    due_at: datetime
    waiting_on: str
    closed_at: datetime | None
    form_key: str
    version: int


class StageOut(Out):
    key: str
    title_sv: str
    title_en: str
    status: str
    activated_at: datetime | None
    signed_off_at: datetime | None
    steps_total: int
    steps_done: int
    unmet: list[UnmetProblem]
    tasks: list[CycleTaskOut]


class CycleOut(Out):
    id: int
    unit_id: int
    unit_name: str
    year: int
    status: str
    template_key: str
    template_version: int
    current_stage: str | None
    started_at: datetime
    cancel_reason: str | None
    stages: list[StageOut]
    risks: list[RiskOut]
    plan: list[ItemOut]
    may_sign_off: bool
    may_cancel: bool


class AuditEventOut(Out):
    seq: int
    at: datetime
    actor_label: str
    actor_id: int | None
    on_behalf_of_id: int | None
    action: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    hash: str


class SignOffOut(Out):
    cycle_id: int
    signed_off: str
    next_stage: str | None
    tasks_created: int
    cycle_status: str


class MeasureStatusIn(In):
    status: str = Field(max_length=32)
    note: str = Field("", max_length=4000)
    reason: str = Field("", max_length=4000)


class SeriousIn(In):
    serious: bool


class DoneOut(Out):
    ok: bool = True
    detail: str = ""


# --- organisation, jobs, overview ---------------------------------------------------------
class UnitRowOut(Out):
    id: int
    code: str
    name: str
    level: str
    headcount: int
    children: int
    managers: list[str]
    safety_reps: list[str]


class HolderOut(Out):
    person_id: int
    name: str
    email: str
    role: str
    valid_from: date
    valid_to: date | None


class CycleRowOut(Out):
    id: int
    year: int
    status: str
    current_stage: str | None


class UnitPageOut(Out):
    unit: UnitRowOut | None
    path: list[tuple[int, str]]
    children: list[UnitRowOut]
    holders: list[HolderOut]
    cycles: list[CycleRowOut]


class SubstituteIn(In):
    person_email: str = Field(max_length=254, description="Who stands in.")
    for_email: str = Field(max_length=254, description="Who is away.")
    valid_from: date
    valid_to: date
    reason: str = Field("", max_length=4000)


class SubstituteOut(Out):
    id: int
    person: str
    person_email: str
    for_person: str
    for_email: str
    valid_from: date
    valid_to: date
    reason: str


class ImportIn(In):
    units_csv: str = Field(max_length=5_000_000)
    people_csv: str = Field(max_length=5_000_000)
    dry_run: bool = True


class ImportOut(Out):
    applied: bool
    changes: int
    units_created: list[str]
    units_updated: list[str]
    units_unchanged: int
    units_not_in_file: list[str]
    people_created: list[str]
    people_updated: list[str]
    people_unchanged: int
    roles_added: list[tuple[str, str, str]]
    roles_updated: list[tuple[str, str, str]]
    roles_ended: list[tuple[str, str, str]]
    roles_unchanged: int


class StartYearIn(In):
    year: int
    template: str | None = Field(None, max_length=64)
    root: str | None = Field(None, max_length=64, description="Unit code; empty: everything.")


class JobOut(Out):
    id: int
    kind: str
    status: str
    done: int
    total: int
    percent: int
    message: str
    result: dict[str, Any] | None
    error: str | None
    runner: str
    created_at: datetime
    finished_at: datetime | None


class StageLabelOut(BaseModel):
    key: str
    title_sv: str
    title_en: str


class OverviewRowOut(Out):
    unit_id: int
    code: str
    name: str
    units: int
    cycles: int
    stages: dict[str, int]
    open_tasks: int
    overdue: int
    escalated: int
    managers: int
    span_median: float | None
    span_above: int


class OverviewOut(BaseModel):
    year: int
    span_threshold: int
    stages: list[StageLabelOut]
    rows: list[OverviewRowOut]
    total: OverviewRowOut


def reply(body: BaseModel | list[Any], status: int = 200) -> Response:
    """The reply as JSON, serialised once. (Returned as a model, FastAPI would validate it
    again against the response model, in another hop to a worker thread.)"""
    if isinstance(body, BaseModel):
        content = body.model_dump_json().encode()
    else:
        content = b"[" + b",".join(m.model_dump_json().encode() for m in body) + b"]"
    return Response(content, status_code=status, media_type="application/json")
