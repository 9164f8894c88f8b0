"""The inspection's own rules, as named hooks (registered in ``process_catalog``): the rest
of the process is its template, ``engine/cycle_templates/av-inspection.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from engine.db.models import Task
from engine.db.models.workflow.process import CaseItem, ProcessCase
from engine.domain.errors import FieldError
from engine.settings import Settings
from engine.workflow.process.views import (
    CaseView,
    MeasureChoice,
    case_data,
    named_measures,
    plan_measures,
)
from forms.schemas.base import Form
from forms.schemas.duties.inspection import InspectionRegistration


def dates_ahead(subject: Form, today: date) -> list[FieldError]:
    """``inspection.dates_ahead``: a reply date or a requirement's date that has passed
    cannot be met, so it is refused rather than routed as already overdue."""
    assert isinstance(subject, InspectionRegistration)
    if subject.reply_by < today:
        return [
            FieldError("reply_by", "the reply date has passed", "svarsdatumet har redan passerat")
        ]
    return [
        FieldError(f"requirements[{i}].due", "the date has passed", "datumet har passerat")
        for i, r in enumerate(subject.requirements)
        if r.due is not None and r.due < today
    ]


def due_before_reply(settings: Settings, subject: Form, item: dict[str, Any], today: date) -> date:
    """``inspection.before_reply``: a requirement without a date of its own is due
    ``inspection_lead_days`` before the reply date (time to draw up the reply), never
    before today."""
    assert isinstance(subject, InspectionRegistration)
    lead = timedelta(days=settings.inspection_lead_days)
    return max(subject.reply_by - lead, min(today, subject.reply_by))


def reply_letter(s: Session, view: CaseView, base: dict[str, Any]) -> dict[str, Any]:
    """``inspection.reply``: the letter gives, per requirement and unit, the actions taken,
    when, the evidence, what remains, and the plan measures named (with their status)."""
    measures = named_measures(s, view.answers)
    for r in base["requirements"]:
        for a in r["answers"]:
            data = a.pop("input")
            a["actions"], a["done_on"] = data.get("actions", ""), data.get("done_on")
            a["evidence"], a["remaining"] = data.get("evidence", []), data.get("remaining", "")
            a["measures"] = [measures[m] for m in data.get("measure_ids", []) if m in measures]
    return base


@dataclass(frozen=True)
class RequirementContext:
    inspection_id: int
    reference: str
    inspector: str
    inspected_on: date
    reply_by: date
    number: int
    text: str
    due: date
    measures: list[MeasureChoice]


def requirement(s: Session, task: Task, case: ProcessCase, item: CaseItem | None) -> dict[str, Any]:
    """``inspection.requirement``: a requirement's task page shows the krav in the
    inspector's words and the measures of the unit's plan, to name as evidence."""
    if item is None or case.deadline is None:
        return {}
    inspector = str(case_data(case).get("inspector", ""))
    measures = plan_measures(s, task.unit_id, case.opened_on.year)
    ctx = RequirementContext(
        case.id,
        case.reference,
        inspector,
        case.opened_on,
        case.deadline,
        item.number,
        item.text,
        item.due_date,
        measures,
    )
    return {"requirement": ctx}
