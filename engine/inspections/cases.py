"""Inspections by Arbetsmiljöverket, by the names the doors and the tests use: a case
process (``av-inspection.yaml``) on the shared machinery of ``engine.workflow.process.cases``.
Registering one routes each requirement to the responsible units' managers; the reply is
drawn up once every requirement is answered (the ``items_answered`` gate)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.context import Actor, App
from engine.workflow.process import cases as processes
from engine.workflow.process import files as process_files
from engine.workflow.process.cases import Draft
from forms.schemas.duties.inspection import InspectionRegistration

KIND, REPLY = "inspection", "reply"


@dataclass(frozen=True)
class Registered:
    inspection_id: int
    cycle_id: int
    requirements: int
    tasks: int


def parse_registration(data: Mapping[str, Any]) -> InspectionRegistration:
    reg = processes.parse_subject(KIND, data)
    assert isinstance(reg, InspectionRegistration)
    return reg


def read_registration(
    filename: str, content: bytes, overrides: Mapping[str, Any] | None = None
) -> InspectionRegistration:
    reg = process_files.read_subject(KIND, filename, content, overrides)
    assert isinstance(reg, InspectionRegistration)
    return reg


def register(app: App, actor: Actor, reg: InspectionRegistration) -> Registered:
    """Record an inspection and route each requirement to the responsible managers."""
    out = processes.open_case(app, actor, KIND, reg)
    return Registered(out.case_id, out.cycle_id, out.items, out.tasks)


@dataclass(frozen=True)
class InspectionSummary:
    id: int
    cycle_id: int | None
    unit_code: str
    unit_name: str
    reference: str
    inspected_on: date
    reply_by: date | None
    requirements: int
    answers: int
    done: int
    overdue: int
    escalated: int
    reply_drafted_at: datetime | None
    status: str  # open | ready | drafted | closed


def list_inspections(
    app: App, actor: Actor, *, unit_code: str | None = None, year: int | None = None
) -> list[InspectionSummary]:
    """Inspections the person may see, newest first, with how far each has come."""
    return [
        InspectionSummary(
            c.id,
            c.cycle_id,
            c.unit_code,
            c.unit_name,
            c.reference,
            c.opened_on,
            c.deadline,
            c.items,
            c.answers,
            c.done,
            c.overdue,
            c.escalated,
            c.drawn_up_at,
            "drafted" if c.status == "drawn_up" else c.status,
        )
        for c in processes.list_cases(app, actor, KIND, unit_code=unit_code, year=year)
    ]


def preview_reply(app: App, actor: Actor, inspection_id: int) -> Draft:
    """The reply as it stands, complete or not (``open`` counts what is missing)."""
    return processes.preview_document(app, actor, KIND, inspection_id, REPLY)


def draft_reply(app: App, actor: Actor, inspection_id: int) -> Draft:
    """Draw up the reply once every requirement is answered; recorded with its digest."""
    return processes.draw_up(app, actor, KIND, inspection_id, REPLY)
