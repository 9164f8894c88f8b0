"""Issue 10 §6: a first-line manager records a risk about their own work situation from
the annual cycle's risk assessment and from the annual follow-up, not only with the
separate form: it becomes a case owned by the manager above, in that manager's plan and
the director's overview, and stays out of the manager's own plan."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.context import App
from engine.db.models import ActionItem, Risk
from engine.db.models.workflow.process import ProcessCase
from engine.domain.errors import InvalidInput
from engine.workflow import tasks
from engine.workflow.process import cases as processes
from tests.factories import EVALUATION, RISKS, Org, build_org, drive_to

OWN = {
    "description": "För många medarbetare att leda",
    "domain": "organisational",
    "probability": 3,
    "consequence": 3,
    "serious": True,
    "own_work_situation": True,
}


@pytest.fixture
def o(app: App) -> Org:
    org = build_org(app)
    org.start()
    return org


def _parent_items(o: Org) -> list[str]:
    with o.app.read() as s:
        dep = o.cycle_of("DEP")
        return list(s.scalars(select(ActionItem.area).where(ActionItem.cycle_id == dep)))


def test_own_risk_from_the_risk_assessment_goes_to_the_manager_above(o: Org) -> None:
    u1 = o.cycle_of("U1")
    drive_to(o, u1, "analysis")
    done = o.complete("m1@x.se", "risk_assessment", {**RISKS, "risks": [*RISKS["risks"], OWN]}, u1)
    assert done.status == "completed"
    with o.app.read() as s:
        own_plan = list(s.scalars(select(Risk.description).where(Risk.cycle_id == u1)))
        case = s.scalar(select(ProcessCase).where(ProcessCase.kind == "manager_risk"))
    assert OWN["description"] not in own_plan and len(own_plan) == 2
    assert case is not None and case.created_by == o.actor("m1@x.se").person_id
    assert any(OWN["description"] in a for a in _parent_items(o))  # the parent's plan
    assert any(i.key == "respond" for i in o.inbox("dep@x.se"))  # the manager above answers
    assert not any(i.key == "respond" for i in o.inbox("m1@x.se"))
    overview = {k.kind: k.cases for k in processes.case_overview(o.app, o.actor("dir@x.se"), 2027)}
    assert overview["manager_risk"] == 1  # the director's overview


def test_own_risk_from_the_annual_follow_up_and_only_by_the_manager(o: Org) -> None:
    u2 = o.cycle_of("U2")
    drive_to(o, u2, "evaluation", manager="m2@x.se", safety_rep="so2@x.se")
    item = o.task("m2@x.se", "annual_evaluation", u2)
    # the manager above hands the follow-up to HR: HR may do it, not note the manager's own
    tasks.delegate_task(o.app, o.actor("dep@x.se"), item.task_id, "hr@x.se")
    given = {
        **EVALUATION,
        "own_risks": [{"description": "Ensam i ledningen", "probability": 2, "consequence": 4}],
    }
    with pytest.raises(InvalidInput) as bad:
        tasks.complete_task(o.app, o.actor("hr@x.se"), item.task_id, given)
    assert bad.value.errors[0].path == "own_risks[0]"
    tasks.delegate_task(o.app, o.actor("dep@x.se"), item.task_id, "m2@x.se")
    tasks.complete_task(o.app, o.actor("m2@x.se"), item.task_id, given)
    assert any("Ensam i ledningen" in a for a in _parent_items(o))
