"""Reply shapes of the policy, routines and knowledge API (``/api/policy``,
``/api/knowledge``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from api.schemas import Out


class EmployerOut(Out):
    code: str
    name: str
    headcount: int
    #: from ``written_from`` employees the policy and routines must be in writing
    written_required: bool
    written_from: int


class DocumentRowOut(Out):
    code: str
    title: str
    kind: str
    topic: str
    unit_code: str
    unit_name: str
    owner: str
    version: int
    valid_from: date | None
    review_by: date | None
    review_overdue: bool
    #: null: not asked of you (you are no manager or director at or below its unit)
    acknowledged_by_me: bool | None
    acknowledged: int
    readers: int


class PolicyOverviewOut(Out):
    employer: EmployerOut | None
    documents: list[DocumentRowOut]
    missing: list[str]
    may_create: bool


class VersionOut(Out):
    number: int
    body: str
    digest: str
    valid_from: date
    review_by: date
    note: str
    created_at: datetime
    created_by: str
    acknowledgements: list[tuple[str, datetime]]


class ReviewOut(Out):
    at: datetime
    by: str
    version: int
    outcome: str
    note: str
    next_review: date


class DocumentOut(Out):
    row: DocumentRowOut
    employer: EmployerOut
    versions: list[VersionOut]
    reviews: list[ReviewOut]
    not_acknowledged: list[str]
    review_task: dict[str, Any] | None
    may_manage: bool
    may_acknowledge: bool


class WrittenOut(Out):
    version: int
    review_by: date


class AcknowledgedOut(Out):
    version: int
    at: datetime
    already: bool


class TrainingOut(Out):
    person: str
    email: str
    unit_code: str
    unit_name: str
    role: str
    course_key: str
    course: str
    taken_on: date
    valid_until: date | None
    state: str
    recorded_at: datetime
    recorded_by: str


class LackingOut(Out):
    name: str
    email: str
    unit_code: str
    unit_name: str


class KnowledgeOut(Out):
    records: list[TrainingOut]
    lacking: list[LackingOut]


class RecordedOut(Out):
    person: str
    course: str
    valid_until: date | None
