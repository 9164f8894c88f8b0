"""The JSON API's shapes for cycles, the organisation, jobs and the overview."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas import In, ItemOut, Out, RiskOut, UnmetProblem


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


class PersonOut(Out):
    name: str
    email: str


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
    roles_kept: int = Field(
        0, description="Left out of the file but outside your reach: kept as they are."
    )
    tasks_held: int = Field(
        0,
        description="Open tasks of units that got a new manager, held by the manager above "
        "until the new manager's task allocation is accepted.",
    )
    held: int | None = Field(
        None,
        description="Not applied: it ends too many roles and waits for a second HR person "
        "(the held import's id; see `GET /api/org/import/pending`).",
    )


class PendingImportOut(Out):
    id: int
    content_hash: str = Field(description="Name it when confirming: the files exactly as held.")
    units_file: str
    people_file: str
    requested_by: str
    requested_email: str
    requested_at: datetime
    roles_in_reach: int
    roles_ending: int
    ending: list[tuple[str, str, str]] = Field(description="(e-mail, role, unit code), first 50")
    mine: bool
    may_confirm: bool


class ConfirmImportIn(In):
    content_hash: str = Field(min_length=64, max_length=64)


class RefuseImportIn(In):
    reason: str = Field("", max_length=4000)


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
    #: While queued: its place in the queue (1 = next to start).
    position: int | None = None


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


# --- the year's start, previewed (a dry run) ----------------------------------------------
class PreviewUnitOut(Out):
    unit_id: int
    code: str
    name: str
    missing: list[str] = Field(
        description="Roles the template needs that nobody holds (why a unit is held back)"
    )
    cycle_id: int | None = Field(description="The cycle a unit already has this year")


class StartPreviewOut(Out):
    """What starting the year would do now; nothing is written."""

    year: int
    template: str
    root: str | None
    to_start: list[PreviewUnitOut]
    held_back: list[PreviewUnitOut]
    already: list[PreviewUnitOut]
