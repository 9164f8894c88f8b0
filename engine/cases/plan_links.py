"""What a case puts into an action plan: an item (with its measures) in a unit's annual
plan, linked back to the case (``case_plan_link``), for an incident's investigation and a
manager's own risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Actor, Tx
from engine.db.models import ActionItem, Cycle, OrgUnit
from engine.db.models.duties.cases import CasePlanLink
from engine.db.models.workflow.process import ProcessCase
from engine.domain.errors import Conflict
from engine.domain.workflow.states import CycleStatus
from engine.plans import plan as plans
from engine.workflow.cycles import chain
from forms.schemas.plan import MeasureInput


def annual_plan(s: Session, unit_id: int, year: int) -> Cycle:
    """The unit's annual cycle of the year (its action plan); refused when there is none
    (the measures would have nowhere to go)."""
    cycle = s.scalar(
        select(Cycle)
        .where(
            Cycle.unit_id == unit_id,
            Cycle.year == year,
            Cycle.instance == "",
            Cycle.status != CycleStatus.CANCELLED.value,
        )
        .order_by(Cycle.id.desc())
    )
    if cycle is None:
        name = s.scalar(select(OrgUnit.name).where(OrgUnit.id == unit_id)) or ""
        raise Conflict(
            f"{name} has no action plan for {year}: start the year for the unit first",
            f"{name} har ingen handlingsplan för {year}: starta året för enheten först",
        )
    return cycle


@dataclass(frozen=True)
class Added:
    cycle_id: int
    item_id: int
    item_number: int
    measure_ids: list[int]


def add_item(
    tx: Tx,
    actor: Actor,
    case: ProcessCase,
    cycle: Cycle,
    *,
    area: str,
    current_state: str,
    measures: list[tuple[MeasureInput, plans.Responsible]],
    probability: int | None = None,
    consequence: int | None = None,
    task_id: int | None = None,
) -> Added:
    """A new item of the plan, its measures, and the link back to the case; the item's
    event goes into the plan's chain (the measures' own events too)."""
    s = tx.session
    number = 1 + (
        s.scalar(select(func.max(ActionItem.number)).where(ActionItem.cycle_id == cycle.id)) or 0
    )
    item = ActionItem(
        cycle_id=cycle.id,
        number=number,
        area=area,
        risk_id=None,
        current_state=current_state,
        probability=probability,
        consequence=consequence,
        created_at=tx.now,
    )
    s.add(item)
    s.flush()
    s.add(CasePlanLink(case_id=case.id, action_item_id=item.id, task_id=task_id, created_at=tx.now))
    tx.record(
        chain(cycle.id),
        "plan.item_from_case",
        "action_item",
        item.id,
        actor,
        unit_id=cycle.unit_id,
        data={"number": number, "area": area, "case": f"{case.kind}:{case.id}"},
    )
    ids = [
        plans.create_measure(tx, actor, cycle, item, n, m_in, who, task_id, None).id
        for n, (m_in, who) in enumerate(measures, start=1)
    ]
    return Added(cycle.id, item.id, number, ids)


def links_of(s: Session, case_id: int) -> list[dict[str, Any]]:
    """Where a case's measures went: each plan item, its unit and year."""
    rows = s.execute(
        select(ActionItem, Cycle, OrgUnit)
        .join(CasePlanLink, CasePlanLink.action_item_id == ActionItem.id)
        .join(Cycle, Cycle.id == ActionItem.cycle_id)
        .join(OrgUnit, OrgUnit.id == Cycle.unit_id)
        .where(CasePlanLink.case_id == case_id)
        .order_by(ActionItem.id)
    )
    return [
        {
            "cycle_id": c.id,
            "item": i.number,
            "area": i.area,
            "unit": u.code,
            "unit_name": u.name,
            "year": c.year,
        }
        for i, c, u in rows
    ]


def sources_of(s: Session, cycle_id: int) -> dict[int, dict[str, Any]]:
    """Action item id -> the case it came from (kind, id, date), for the plan to link back."""
    rows = s.execute(
        select(CasePlanLink.action_item_id, ProcessCase)
        .join(ProcessCase, ProcessCase.id == CasePlanLink.case_id)
        .join(ActionItem, ActionItem.id == CasePlanLink.action_item_id)
        .where(ActionItem.cycle_id == cycle_id)
    )
    return {item_id: {"kind": c.kind, "id": c.id, "on": c.opened_on} for item_id, c in rows}


def due_in(today: date, days: int) -> date:
    from datetime import timedelta

    return today + timedelta(days=days)
