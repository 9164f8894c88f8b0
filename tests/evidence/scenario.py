"""A year with history, built through the use cases, for the evidence and report tests.

U1 runs the whole year (survey → evaluation, cycle completed). U2 has a survey below the
anonymity threshold, returns its risk assessment to the manager above (with the reason),
gets its plan established in FSG, and lets a follow-up go overdue: the sweep escalates it
and the manager above moves the deadline, with a reason. ADM and DEP stay at the survey.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from engine.context import App
from engine.domain.clock import FrozenClock
from engine.plans import plan as plans
from engine.views import cycle as cycle_views
from engine.workflow import cycles, sweeps, tasks
from tests.factories import APPROVE, RISKS, SAFETY_ROUND, SURVEY, Org, build_org, drive_to

EVALUATION = {
    **dict.fromkeys(
        (
            "policy",
            "routines",
            "task_distribution",
            "knowledge",
            "cooperation",
            "risk_assessment",
            "action_plan",
            "incidents",
            "ohs",
        ),
        True,
    ),
    "findings": "Arbetet fungerar, men uppföljningen kom sent.",
    "improvements": "Tidigare skyddsrond.",
}
U2_PLAN = {
    "participants": "Mats Chef, Siv Skyddsombud, APT",
    "source_material": "Skyddsrond mars, riskbedömning",
    "items": [
        {
            "area": "Tunga lyft",
            "current_state": "Två belastningsskador",
            "probability": 3,
            "consequence": 3,
            "measures": [
                {
                    "what": "Utbildning i förflyttningsteknik",
                    "desired_result": "Alla utbildade",
                    "responsible": "manager",
                    "due_date": "2027-03-31",
                    "follow_up_date": "2027-04-15",
                },
                {
                    "what": "Taklyft i två rum",
                    "desired_result": "Inga manuella lyft",
                    "responsible": "m2@x.se",
                    "due_date": "2027-05-31",
                    "follow_up_date": "2027-06-15",
                },
            ],
        }
    ],
}
FSG = {
    "decision": "approve",
    "comment": "Fastställd i FSG",
    "body": "FSG",
    "established_on": "2027-02-10",
    "protocol_ref": "FSG 2027-02-10 §7",
}


@dataclass
class Year:
    o: Org
    clock: FrozenClock
    c1: int
    c2: int


def year_with_history(app: App, clock: FrozenClock) -> Year:
    o = build_org(app)
    o.start()
    c1, c2 = o.cycle_of("U1"), o.cycle_of("U2")
    drive_to(o, c1, "evaluation")
    o.complete("m1@x.se", "annual_evaluation", EVALUATION, c1)
    o.sign_off("m1@x.se", c1, "evaluation")
    _u2(o, clock, c2)
    return Year(o, clock, c1, c2)


def _u2(o: Org, clock: FrozenClock, c2: int) -> None:
    app = o.app
    few = {"survey_name": "HME 2027", "invited": 6, "answered": 3}
    o.complete("m2@x.se", "employee_survey", few, c2)
    o.complete("m2@x.se", "safety_round", SAFETY_ROUND, c2)
    o.sign_off("m2@x.se", c2, "survey")
    risk = o.task("m2@x.se", "risk_assessment", c2)
    tasks.return_task(app, o.actor("m2@x.se"), risk.task_id, "Saknar kunskap om hot och våld")
    o.complete("dep@x.se", "risk_assessment", RISKS, c2)
    o.sign_off("m2@x.se", c2, "analysis")
    risk_id = cycle_views.cycle_view(app, c2).risks[0].id
    plan = {**U2_PLAN, "items": [{**U2_PLAN["items"][0], "risk_id": risk_id}]}
    o.complete("m2@x.se", "action_plan", plan, c2)
    o.sign_off("m2@x.se", c2, "action_plan")
    o.complete("m2@x.se", "approve_manager", APPROVE, c2)
    o.complete("so2@x.se", "approve_safety_rep", FSG, c2)
    o.sign_off("m2@x.se", c2, "cooperation")
    measure = cycle_views.cycle_view(app, c2).plan[0].measures[0].id
    plans.update_measure(app, o.actor("m2@x.se"), measure, "in_progress", note="Kurs bokad")
    clock.set(datetime(2027, 4, 16, 8, tzinfo=UTC))
    sweeps.sweep(app)  # the first follow-up (due 04-15) is escalated to the manager above
    late = o.task("dep@x.se", "measure_follow_up", c2)
    tasks.extend_due(
        app, o.actor("dep@x.se"), late.task_id, date(2027, 5, 15), "Kursen flyttad av leverantören"
    )
    clock.set(datetime(2027, 4, 20, 8, tzinfo=UTC))


def survey(answered: int) -> dict[str, object]:
    return {**SURVEY, "answered": answered, "invited": max(answered, 20)}


__all__ = ["Year", "cycles", "survey", "year_with_history"]
