"""Factories: build organisations and drive cycles through the real use cases.

Everything here goes through the use cases; keyword overrides change one thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import Cycle, OrgUnit
from engine.org import admin as org
from engine.views import cycle as cycle_views
from engine.views import inbox as reports
from engine.workflow import cycles, tasks

SURVEY = {
    "survey_name": "HME 2027",
    "invited": 20,
    "answered": 15,
    "motivation": 75,
    "leadership": 70,
    "governance": 65,
}
SAFETY_ROUND = {"done_on": "2027-03-01", "participants": "Chef och skyddsombud"}
RISKS = {
    "participants": "Chef, skyddsombud",
    "safety_rep_participated": True,
    "risks": [
        {
            "description": "Tunga lyft",
            "domain": "physical",
            "probability": 3,
            "consequence": 3,
            "serious": True,
        },
        {
            "description": "Stress",
            "domain": "organisational",
            "probability": 2,
            "consequence": 2,
            "serious": False,
        },
    ],
}
APPROVE = {"decision": "approve", "comment": "OK", "body": "LSG"}
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
    "findings": "Fungerar.",
}


def plan(*measures: dict[str, Any], risk_id: int | None = None) -> dict[str, Any]:
    return {
        "participants": "Chef och skyddsombud",
        "items": [
            {
                "area": "Tunga lyft",
                "risk_id": risk_id,
                "probability": 3,
                "consequence": 3,
                "measures": list(measures)
                or [
                    {
                        "what": "Taklyft",
                        "responsible": "manager",
                        "due_date": "2027-09-30",
                        "follow_up_date": "2027-10-15",
                    }
                ],
            }
        ],
    }


@dataclass
class Org:
    app: App
    units: dict[str, int] = field(default_factory=dict)

    def actor(self, email: str) -> Actor:
        return tasks.active_person(self.app, email)

    def inbox(self, email: str) -> list[reports.InboxItem]:
        return reports.inbox(self.app, self.actor(email)).items

    def task(self, email: str, key: str, cycle_id: int | None = None) -> reports.InboxItem:
        found = [
            i
            for i in self.inbox(email)
            if i.key == key and (cycle_id is None or i.cycle_id == cycle_id)
        ]
        assert found, f"{email} has no {key} task (cycle {cycle_id})"
        return found[0]

    def complete(
        self, email: str, key: str, data: dict[str, Any], cycle_id: int | None = None
    ) -> tasks.TaskResult:
        item = self.task(email, key, cycle_id)
        return tasks.complete_task(self.app, self.actor(email), item.task_id, data)

    def sign_off(self, email: str, cycle_id: int, stage: str) -> cycles.SignOffResult:
        return cycles.sign_off_stage(self.app, self.actor(email), cycle_id, stage)

    def start(self, year: int = 2027, **kw: Any) -> cycles.StartReport:
        return cycles.start_cycles(self.app, self.actor("hr@x.se"), year, **kw)

    def cycle_of(self, unit_code: str, year: int = 2027) -> int:
        with self.app.read() as s:
            cid = s.scalar(
                select(Cycle.id).where(
                    Cycle.unit_id == self.units[unit_code],
                    Cycle.year == year,
                    Cycle.status != "cancelled",
                )
            )
        assert cid is not None
        return cid


def units_csv(*, with_u2: bool = True) -> str:
    rows = [
        "code,name,parent_code,level,headcount",
        "ADM,Förvaltningen,,administration,5",
        "DEP,Avdelningen,ADM,department,4",
        "U1,Enhet 1,DEP,unit,30",
    ]
    if with_u2:
        rows.append("U2,Enhet 2,DEP,unit,45")
    return "\n".join(rows) + "\n"


def people_csv(
    *,
    u1_manager: str = "m1@x.se",
    u2_manager: str | None = "m2@x.se",
    u2_safety_rep: bool = True,
    extra: tuple[str, ...] = (),
) -> str:
    rows = [
        "email,name,role,unit_code,valid_from,valid_to",
        "dir@x.se,Dora Direktör,director,ADM,2020-01-01,",
        "hr@x.se,Hugo HR,hr,ADM,2020-01-01,",
        "hso@x.se,Hilda Huvudskyddsombud,chief_safety_rep,ADM,2020-01-01,",
        "dep@x.se,Dag Avdelningschef,manager,DEP,2020-01-01,",
        f"{u1_manager},Maja Chef,manager,U1,2020-01-01,",
        "so1@x.se,Sven Skyddsombud,safety_rep,U1,2020-01-01,",
    ]
    if u2_manager:
        rows.append(f"{u2_manager},Mats Chef,manager,U2,2020-01-01,")
    if u2_safety_rep:
        rows.append("so2@x.se,Siv Skyddsombud,safety_rep,U2,2020-01-01,")
    rows += list(extra)
    return "\n".join(rows) + "\n"


def build_org(app: App, **people: Any) -> Org:
    with_u2 = people.pop("with_u2", True)
    org.import_org(app, Actor.system("test"), units_csv(with_u2=with_u2), people_csv(**people))
    with app.read() as s:
        units = queries.pairs(s, select(OrgUnit.code, OrgUnit.id))
    return Org(app, units)


def drive_to(
    o: Org, cycle_id: int, stage: str, *, manager: str = "m1@x.se", safety_rep: str = "so1@x.se"
) -> None:
    """Move a started cycle forward (through the use cases) until ``stage`` is active."""
    order = ["survey", "analysis", "action_plan", "cooperation", "follow_up", "evaluation"]
    for current in order[: order.index(stage)]:
        if current == "survey":
            o.complete(manager, "employee_survey", SURVEY, cycle_id)
            o.complete(manager, "safety_round", SAFETY_ROUND, cycle_id)
        elif current == "analysis":
            o.complete(manager, "risk_assessment", RISKS, cycle_id)
        elif current == "action_plan":
            risk = cycle_views.cycle_view(o.app, cycle_id).risks[0].id
            o.complete(manager, "action_plan", plan(risk_id=risk), cycle_id)
        elif current == "cooperation":
            o.complete(manager, "approve_manager", APPROVE, cycle_id)
            o.complete(safety_rep, "approve_safety_rep", APPROVE, cycle_id)
        elif current == "follow_up":
            for item in o.inbox(manager):
                if item.cycle_id == cycle_id and item.key == "measure_follow_up":
                    tasks.complete_task(
                        o.app,
                        o.actor(manager),
                        item.task_id,
                        {"status": "done", "effect_ok": True, "effect": "Bra"},
                    )
        o.sign_off(manager, cycle_id, current)
