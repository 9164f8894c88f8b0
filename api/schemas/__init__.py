"""The JSON API's request and reply shapes (read from the engine's read models by
attribute, so a reply never carries more than its shape names)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.domain.validation import without_control


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control(cls, value: Any) -> Any:
        """No text of a request carries a control character (``CONTROL``): 422 naming the
        field, never a server error from the database."""
        return without_control(value)


# --- errors -------------------------------------------------------------------------------
class FieldProblem(Out):
    path: str
    message: str
    #: where a row of an imported file is bad (``path`` is then ``file:line: column``)
    file: str | None = None
    line: int | None = None
    column: str | None = None


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
    #: More rows follow: pass this as ``after`` for the next page (due order).
    next_after: str | None = Field(default=None, validation_alias="next_cursor")


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


class MeasureChoiceOut(Out):
    id: int
    number: str
    what: str
    status: str


class TaskRequirementOut(Out):
    """The requirement from Arbetsmiljöverket an inspection task answers."""

    inspection_id: int
    reference: str
    inspector: str
    inspected_on: date
    reply_by: date
    number: int
    text: str
    due: date
    measures: list[MeasureChoiceOut]  # of the unit's action plan, to name as evidence


class ReturnOutcomeOut(Out):
    """The returning manager's own task (returned): what the allocator decided on the
    return, as the task page shows it (``outcome`` null: not decided yet)."""

    state: str
    lacking: list[str]
    lacking_sv: list[str]
    lacking_en: list[str]
    outcome: str | None
    outcome_sv: str | None
    outcome_en: str | None
    note: str | None
    to: str
    decided_by: str
    decided_at: datetime | None


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
    requirement: TaskRequirementOut | None = None
    returned_outcome: ReturnOutcomeOut | None = None


class TaskResultOut(Out):
    task_id: int
    status: str
    version: int
    cycle_id: int
    notes: list[str]


class CompleteIn(In):
    data: dict[str, Any]
    version: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Refuse (409) if the task changed since."
    )


class DraftIn(In):
    data: dict[str, Any]


class ReasonIn(In):
    reason: str = Field(max_length=4000)


class ReturnIn(ReasonIn):
    lacking: list[Literal["authority", "resources", "knowledge"]] = Field(
        default_factory=list,
        max_length=3,
        description="What is lacking: the return is then recorded against the task "
        "allocation, for the allocator (the manager above) to decide.",
    )


class DelegateIn(In):
    to: str = Field(max_length=254, description="E-mail of the person to hand the task to.")
    reason: str = Field("", max_length=4000)


class ExtendIn(In):
    due: date
    reason: str = Field(max_length=4000)


class BulkApproveIn(In):
    task_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(min_length=1, max_length=500)
    comment: str = Field("", max_length=4000)


class BulkItemOut(Out):
    task_id: int
    ok: bool
    code: str
    message: str


class BulkOut(Out):
    approved: int
    results: list[BulkItemOut]


class DoneOut(Out):
    ok: bool = True
    detail: str = ""


def reply(body: BaseModel | list[Any], status: int = 200) -> Response:
    """The reply as JSON, serialised once. (Returned as a model, FastAPI would validate it
    again against the response model, in another hop to a worker thread.)"""
    if isinstance(body, BaseModel):
        content = body.model_dump_json().encode()
    else:
        content = b"[" + b",".join(m.model_dump_json().encode() for m in body) + b"]"
    return Response(content, status_code=status, media_type="application/json")
