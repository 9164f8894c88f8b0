"""Request and reply bodies of the cooperation API (bodies, meetings, protocols, MBL,
changes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from api.schemas import In, Out

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Short = Annotated[str, StringConstraints(max_length=200)]
Long = Annotated[str, StringConstraints(max_length=20_000)]
MAX_ID = 2**63 - 1


class BodyIn(In):
    code: Code
    unit: Code
    kind: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MemberIn(In):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
    role: Literal["chair", "employer", "union_rep", "safety_rep"]
    organisation: Short = ""
    valid_from: date | None = Field(None, ge=date(2000, 1, 1), le=date(2100, 12, 31))


class MemberEndIn(In):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
    role: Literal["chair", "employer", "union_rep", "safety_rep"]


class MemberOut(Out):
    person_id: int
    name: str
    email: str
    seat: str
    organisation: str
    valid_from: date
    valid_to: date | None


class BodyOut(Out):
    id: int
    code: str
    kind: str
    kind_label: str
    name: str
    unit_code: str
    unit_name: str
    members: list[MemberOut]
    manages: bool


class BodyImportOut(Out):
    bodies_created: int
    members_added: int
    unchanged: int
    applied: bool
    bodies: list[str]


class MeetingIn(In):
    body: Code
    held_on: date = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))
    title: Short = ""


class MeetingRowOut(Out):
    id: int
    body_code: str
    body_name: str
    held_on: date
    title: str
    items: int
    signed: bool


class MeetingOut(Out):
    id: int
    body_code: str
    body_name: str
    held_on: date
    title: str
    signed_at: datetime | None
    signed_by: str | None
    digest: str | None
    protocol: dict[str, Any]
    manages: bool
    may_sign: bool
    may_request_mbl: bool


class ItemIn(In):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    subject_type: Literal[
        "plan", "risk_assessment", "change", "incident", "annual_follow_up", "other"
    ] = "other"
    subject_id: int | None = Field(None, ge=1, le=MAX_ID)


class OutcomeIn(In):
    outcome: Literal["decided", "disagreement"]
    decision: Long
    disagreement: Long = ""


class MblEndIn(In):
    result: Literal["agreement", "disagreement"]
    protocol: Long


class IdOut(Out):
    id: int


class SignedOut(Out):
    meeting_id: int
    digest: str
    established: list[int]
    not_yet: dict[int, list[str]]


class EstablishedOut(Out):
    body: str
    on: date
    mbl: str
    text_sv: str
    text_en: str


class ChangeRegisteredOut(Out):
    change_id: int
    cycle_id: int
    tasks: int


class DecideIn(In):
    note: Annotated[str, StringConstraints(max_length=4000)] = ""


class UnmetOut(Out):
    gate: str
    message_en: str
    message_sv: str


class ChangeOut(Out):
    id: int
    cycle_id: int | None
    unit_code: str
    unit_name: str
    fields: dict[str, Any]
    tasks: list[dict[str, Any]]
    stage_status: str
    items: list[dict[str, Any]]
    decided_at: datetime | None
    decided_by: str | None
    missing: list[UnmetOut]


class ChangeSummaryOut(Out):
    id: int
    cycle_id: int | None
    unit_code: str
    unit_name: str
    reference: str
    title: str
    opened_on: date
    status: str
