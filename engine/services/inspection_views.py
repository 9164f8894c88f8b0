"""What the page of a requirement task shows beside its form: the requirement itself (the
inspection's reference, reply date, the krav in the inspector's words) and the measures of
the unit's action plan that year, to name as evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Cycle, Task
from engine.db.models_inspection import Inspection, InspectionRequirement, RequirementTask
from engine.services import reports


@dataclass(frozen=True)
class MeasureChoice:
    id: int
    number: str
    what: str
    status: str


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


def requirement_context(s: Session, task: Task) -> RequirementContext | None:
    """The requirement a task answers (following the task back through its returns)."""
    first = task
    while first.returned_from_id is not None:
        earlier = s.get(Task, first.returned_from_id)
        if earlier is None:
            break
        first = earlier
    row = s.execute(
        select(InspectionRequirement, Inspection)
        .join(RequirementTask, RequirementTask.requirement_id == InspectionRequirement.id)
        .join(Inspection, Inspection.id == InspectionRequirement.inspection_id)
        .where(RequirementTask.task_id == first.id)
    ).first()
    if row is None:
        return None
    req, insp = row
    return RequirementContext(
        insp.id,
        insp.reference,
        insp.inspector,
        insp.inspected_on,
        insp.reply_by,
        req.number,
        req.text,
        req.due_date,
        _measures(s, task.unit_id, insp.inspected_on.year),
    )


def _measures(s: Session, unit_id: int, year: int) -> list[MeasureChoice]:
    """The measures of the unit's annual plan of the inspection's year (and the year before,
    when that year's has none yet)."""
    for y in (year, year - 1):
        cycle_id = s.scalar(
            select(Cycle.id).where(
                Cycle.unit_id == unit_id,
                Cycle.year == y,
                Cycle.instance == "",
                Cycle.status != "cancelled",
            )
        )
        if cycle_id is None:
            continue
        found = [
            MeasureChoice(m.id, m.number, m.what, m.status)
            for item in reports.plan_view(s, cycle_id)
            for m in item.measures
        ]
        if found:
            return found
    return []
