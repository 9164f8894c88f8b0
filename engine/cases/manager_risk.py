"""The manager's own work environment (AFS 2023:2; ``manager-risk.yaml``): a manager's
risk about their own workload or situation becomes an item of the plan of the unit above,
owned by the manager there, not by the manager who raised it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.cases import plan_links
from engine.context import Actor, Tx
from engine.db import queries
from engine.db.models import OrgUnit
from engine.db.models.process import ProcessCase
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.plans import plan as plans
from forms.schemas.base import Form
from forms.schemas.cases import ManagerRisk
from forms.schemas.plan import MeasureInput

#: Days the manager above has to deal with it (the measure's due date).
DUE_DAYS = 30


def to_parent_plan(tx: Tx, actor: Actor, case: ProcessCase, subject: Form) -> dict[str, Any]:
    """``manager_risk.to_parent_plan``: a risk item in the annual plan of the unit above
    (of the year the risk was noted), with one measure held by the manager there: the
    manager above carries the responsibility for a subordinate manager's work environment."""
    assert isinstance(subject, ManagerRisk)
    s = tx.session
    today = local_date(tx.now)
    org = queries.ancestry_snapshot(s, [case.unit_id], today)
    parent = org.parent_of(case.unit_id)
    manager = Address(Role.MANAGER, parent) if parent is not None else None
    if parent is None or manager is None or not org.has_holder(Role.MANAGER, parent):
        raise InvalidInput.field(
            "unit",
            "the unit has no manager above it to own the risk",
            "enheten har ingen chef ovanför som kan äga risken",
        )
    cycle = plan_links.annual_plan(s, parent, subject.noted_on.year)
    name = s.scalar(select(OrgUnit.name).where(OrgUnit.id == case.unit_id)) or ""
    measure = MeasureInput(
        what=subject.proposal or "Hantera risken i chefens arbetsmiljö",
        responsible="manager",
        due_date=today + timedelta(days=DUE_DAYS),
    )
    who = plans.Responsible("manager", None, manager)
    added = plan_links.add_item(
        tx,
        actor,
        case,
        cycle,
        area=f"Chefens egen arbetsmiljö, {name}: {subject.description}"[:300],
        current_state=subject.description,
        measures=[(measure, who)],
        probability=subject.probability,
        consequence=subject.consequence,
    )
    return {"plan": f"cycle:{added.cycle_id}", "item": added.item_number, "owner": str(manager)}
