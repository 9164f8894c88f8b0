"""The manager's own work environment (AFS 2023:2; ``manager-risk.yaml``): a manager's
risk about their own workload or situation becomes an item of the plan of the unit above,
owned by the manager there, not by the manager who raised it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from engine.cases import plan_links
from engine.context import Actor, Tx
from engine.db import queries
from engine.db.models import Cycle, OrgUnit
from engine.db.models.workflow.process import ProcessCase
from engine.db.queries import TaskRef
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.plans import plan as plans
from engine.workflow.process import cases as processes
from engine.workflow.process.registry import Completion
from forms.schemas.base import Form
from forms.schemas.duties.cases import ManagerRisk
from forms.schemas.evaluation import AnnualEvaluation
from forms.schemas.plan import MeasureInput
from forms.schemas.risk import RiskAssessment

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


def from_form(tx: Tx, actor: Actor, task: TaskRef, form: Form, done: Completion) -> dict[str, Any]:
    """``risk_assessment:own_work_situation`` and ``annual_evaluation:own_risks`` (form_done
    hooks): a first-line manager who marks a risk in the annual risk assessment as being
    about their own work situation, or notes one at the annual follow-up, records it as the
    separate form would — a case owned by the manager above, in that manager's plan — and
    the risk stays out of their own unit's plan. Only the unit's own manager may."""
    if isinstance(form, RiskAssessment):
        flagged = [
            (f"risks[{i}].own_work_situation", r.description, r.probability, r.consequence, "")
            for i, r in enumerate(form.risks)
            if r.own_work_situation
        ]
    elif isinstance(form, AnnualEvaluation):
        flagged = [
            (f"own_risks[{i}]", r.description, r.probability, r.consequence, r.proposal)
            for i, r in enumerate(form.own_risks)
        ]
    else:
        return {}
    if not flagged:
        return {}
    s, today = tx.session, local_date(tx.now)
    if actor.person_id is not None:
        auth = queries.authority(s, actor.person_id, today)
        if not auth.on_behalf_for_address(Address(Role.MANAGER, task.unit_id))[0]:
            raise InvalidInput.field(
                flagged[0][0],
                "only the unit's own manager records a risk about their own work situation",
                "bara enhetens egen chef registrerar en risk i sin egen arbetssituation",
            )
    code = s.scalar(select(OrgUnit.code).where(OrgUnit.id == task.unit_id)) or ""
    year = s.scalar(select(Cycle.year).where(Cycle.id == task.cycle_id)) or today.year
    # the cycle's year (a follow-up done in January is about the year before)
    noted = today if today.year == year else date(year, 12, 31)
    cases = []
    for _path, description, probability, consequence, proposal in flagged:
        subject = ManagerRisk(
            unit=code,
            noted_on=noted,
            description=description,
            probability=probability,
            consequence=consequence,
            proposal=proposal,
        )
        opened = processes.open_in(done.app, tx, actor, "manager_risk", subject)
        cases.append(f"manager_risk:{opened.case_id}")
    return {"manager_risks": cases}
