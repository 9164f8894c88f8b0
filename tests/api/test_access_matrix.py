"""Who may see and do what, on the real app: each role × each endpoint × a unit of their
own and a unit elsewhere → allowed, or denied (403/404) without a trace of the data.
Evidence, inspections, the audit log, reports and plan import included.

The organisation: ADM (director, HR, chief safety representative) with two departments;
DEP1 holds unit U1, DEP2 holds unit U3. Everyone's "own" unit is U1, "other" is U3.

Administrative routes too (issue 8): importing the organisation, confirming a held import,
substitutes, jobs and their files, people search, bulk approval, the whole audit log. A
department's director (director at DEP1) may do there what the director may, but only in
their own department.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from engine.context import Actor
from engine.domain.clock import FrozenClock
from engine.evidence import jobs as evidence_jobs
from engine.evidence import package as evidence
from engine.org import admin as org
from engine.reports import rollup
from engine.views import job_files
from engine.workflow import yearstart
from forms.exports.evidence_docs import evidence_html
from tests.api.conftest import Web, make_web
from tests.api.test_api_inspections import INSPECTION
from tests.cases.test_duties import DECISION, INCIDENT, REQUEST, RISK
from tests.conftest import START
from tests.rounds.scenario import JPEG

UNITS = """code,name,parent_code,level,headcount
ADM,Förvaltningen,,administration,5
DEP1,Avdelning Ett,ADM,department,4
U1,Enhet Ett,DEP1,unit,30
DEP2,Avdelning Två,ADM,department,4
U3,Enhet Tre,DEP2,unit,20
"""
PEOPLE = """email,name,role,unit_code,valid_from,valid_to
dir@x.se,Dora Direktör,director,ADM,2020-01-01,
hr@x.se,Hugo HR,hr,ADM,2020-01-01,
hso@x.se,Hilda Huvudskyddsombud,chief_safety_rep,ADM,2020-01-01,
dep1@x.se,Dag Ett,manager,DEP1,2020-01-01,
dep2@x.se,Dag Två,manager,DEP2,2020-01-01,
m1@x.se,Maja Ett,manager,U1,2020-01-01,
so1@x.se,Sven Ett,safety_rep,U1,2020-01-01,
emp@x.se,Erik Medarbetare,employee,U1,2020-01-01,
m3@x.se,Mats Tre,manager,U3,2020-01-01,
so3@x.se,Siv Tre,safety_rep,U3,2020-01-01,
dir1@x.se,Dina Avdelningsdirektör,director,DEP1,2020-01-01,
"""
ROLES = {
    "unit_manager": "m1@x.se",
    "safety_rep": "so1@x.se",
    "department_manager": "dep1@x.se",
    "hr": "hr@x.se",
    "director": "dir@x.se",
    "chief_safety_rep": "hso@x.se",
    "employee": "emp@x.se",
    "department_director": "dir1@x.se",
}
SEES = {"unit_manager", "safety_rep", "department_manager", "hr", "director", "chief_safety_rep"}
SEES_ELSEWHERE = {"hr", "director", "chief_safety_rep"}


@dataclass
class Target:
    unit: int
    cycle: int
    survey: int  # the manager's survey task
    safety_round: int  # the safety representative's task (their part in a safety round)
    name: str
    code: str = ""
    inspection: int = 0  # an inspection of the unit
    incident: int = 0  # an incident at the unit (U1: registered by the employee)
    request: int = 0  # a safety representative's request about the unit
    manager_risk: int = 0  # the unit manager's own risk (in the department's plan)
    package: bytes = b""  # the unit's evidence package (HTML), for verifying
    manager: tuple[str, str] = ("", "")  # (name, e-mail) of the unit's manager
    pending: int = 0  # a held import that ends the unit's roles (asked for by the director)
    start_job: int = 0  # HR's start of the year for the unit
    evidence_job: int = 0  # HR's evidence package of the unit, with its file
    fresh_substitute: Callable[[], int] = lambda: 0  # a new coming substitution for the manager
    allocation: int = 0  # the task allocation offered to the unit's manager (issue 10)
    fresh_allocation: Callable[[], int] = lambda: 0  # a new one offered, to accept
    decision: int = 0  # the allocator's decision task on a case the manager returned
    round: int = 0  # a safety round at the unit (issue 12)
    photo: int = 0  # a photo of one of its findings
    level: int = 0  # the roll-up level of the unit's department
    plan: int = 0  # a plan in its own right at the unit (issue 11), opened by its manager


@dataclass
class World:
    web: Web
    targets: dict[str, Target]
    clients: dict[str, TestClient]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    path = tmp_path_factory.mktemp("matrix") / "samflow.db"
    shutil.copy(sqlite_template, path)
    web = make_web(f"sqlite:///{path}", FrozenClock(START), start=False)
    org.import_org(web.engine, Actor.system("test"), UNITS, PEOPLE)
    web.org.units = {}
    hr = web.api("hr@x.se")
    hr.post("/api/jobs/start-year", json={"year": 2027})
    web.launcher.join(30)
    rollup.start(web.engine, Actor.system("test"), 2027, root_code="ADM")
    targets = {}
    for side, code, manager, rep in (
        ("own", "U1", "m1@x.se", "so1@x.se"),
        ("other", "U3", "m3@x.se", "so3@x.se"),
    ):
        admin = _admin_targets(web, code, manager)
        survey = _item(web, manager, "employee_survey")
        round_, photo = _round(web, code, manager, rep)
        safety = _item(web, rep, "take_part")
        targets[side] = Target(
            survey["unit_id"],
            survey["cycle_id"],
            survey["task_id"],
            safety["task_id"],
            survey["unit_name"],
        )
        assert survey["unit_name"] == ("Enhet Ett" if code == "U1" else "Enhet Tre")
        targets[side].code = code
        targets[side].round, targets[side].photo = round_, photo
        targets[side].inspection = _inspection(web, code)
        for k, v in _cases(web, code, manager, rep).items():
            setattr(targets[side], k, v)
        made = web.api(manager).post("/api/plans", json={**OWN_PLAN, "unit": code})
        assert made.status_code == 201, made.text
        targets[side].plan = int(made.json()["plan_id"])
        scope = evidence.Scope("unit", code, 2027)
        doc = evidence.build(web.engine, Actor.system("test"), scope).document("test")
        targets[side].package = evidence_html(doc).encode()
        for k, v in admin.items():
            setattr(targets[side], k, v)
        targets[side].fresh_allocation = _allocation(web, code)
        targets[side].allocation = targets[side].fresh_allocation()
        targets[side].decision = _decision(web, manager, targets[side].unit)
    levels = {lv.code: lv.case_id for lv in rollup.levels(web.engine, Actor.system("test"), 2027)}
    targets["own"].level, targets["other"].level = levels["DEP1"], levels["DEP2"]
    yield World(web, targets, {role: web.api(email) for role, email in ROLES.items()})
    web.launcher.join(30)
    web.documents.join(120)
    for client in web.clients:
        client.__exit__(None, None, None)
    web.engine.db.dispose()


OWN_PLAN = {"scope": "unit", "title": "Plan för arbetsbelastning", "plan_date": "2027-01-10"}
COMING = {"valid_from": date(2028, 1, 1), "valid_to": date(2028, 1, 31)}  # changes no rights
NAMES = {"m1@x.se": "Maja Ett", "m3@x.se": "Mats Tre"}
LEAVES_OUT = {"U1": ("m1@x.se", "so1@x.se", "emp@x.se"), "U3": ("m3@x.se", "so3@x.se")}


def _admin_targets(web: Web, code: str, manager: str) -> dict[str, object]:
    """What the administrative routes are tried on: a held import ending the unit's
    roles, HR's jobs for the unit, a coming substitution for its manager."""
    eng, system = web.engine, Actor.system("test")
    director, hr = web.org.actor("dir@x.se"), web.org.actor("hr@x.se")
    people = "".join(
        line for line in PEOPLE.splitlines(True) if line.split(",")[0] not in LEAVES_OUT[code]
    )
    held = org.import_org(eng, director, UNITS, people).held
    assert held is not None
    start = yearstart.request_start(eng, hr, 2028, None, code, "thread")
    made = evidence_jobs.request(eng, hr, evidence.Scope("unit", code, 2027), "sv", "thread")
    job_files.store(eng, made, "underlag.pdf", "application/pdf", b"%PDF-1 matrix")

    def fresh() -> int:
        return org.set_substitute(eng, system, "so3@x.se", manager, **COMING).id

    fresh()  # one that stays, for the list
    return {
        "manager": (NAMES[manager], manager),
        "pending": held,
        "start_job": start,
        "evidence_job": made,
        "fresh_substitute": fresh,
    }


def _inspection(web: Web, code: str) -> int:
    body = {**INSPECTION, "unit": code, "requirements": [{"text": "Krav"}]}
    got = web.api("dir@x.se").post("/api/inspections", json=body)
    assert got.status_code == 201, got.text
    inspection_id: int = got.json()["inspection_id"]
    return inspection_id


def _cases(web: Web, code: str, manager: str, rep: str) -> dict[str, int]:
    """An incident, a request and a manager's own risk at the unit (issue 10)."""
    out = {}
    by = "emp@x.se" if code == "U1" else manager
    for key, kind, email, body in (
        ("incident", "incident", by, {**INCIDENT, "unit": code}),
        ("request", "safety_request", rep, {**REQUEST, "unit": code}),
        ("manager_risk", "manager_risk", manager, {**RISK, "unit": code}),
    ):
        got = web.api(email).post(f"/api/cases/{kind}", json=body)
        assert got.status_code == 201, got.text
        out[key] = int(got.json()["case_id"])
    routine = {"code": f"RUT-{code}", "unit": code, "topic": "incidents", "owner": "manager"}
    got = web.api("hr@x.se").post(  # the unit's own routine (issue 10 §8)
        "/api/policy",
        json={"document": {**routine, "title": "Rutin"}, "version": POLICY_VERSION},
    )
    assert got.status_code == 201, got.text
    return out


def _decision(web: Web, manager: str, unit_id: int) -> int:
    """The manager returns their absence review naming what is lacking: the allocator's
    decision task (allocation-return.yaml)."""
    from sqlalchemy import select

    from engine.db.models import Task

    review = _item(web, manager, "absence_review")
    got = web.api(manager).post(
        f"/api/tasks/{review['task_id']}/return",
        json={"reason": "Ingen tid", "lacking": ["resources"]},
    )
    assert got.status_code == 200, got.text
    with web.engine.read() as s:
        found = s.scalar(
            select(Task.id).where(Task.key == "decide_return", Task.unit_id == unit_id)
        )
    assert found is not None
    return int(found)


def _allocation(web: Web, code: str) -> Callable[[], int]:
    """A written task allocation offered to the unit's manager by the manager above."""
    from engine.alloc import allocations

    above = web.org.actor("dep1@x.se" if code == "U1" else "dep2@x.se")
    offer = allocations.OfferIn(unit=code, items=[allocations.ItemIn("investigation", "Ronder")])
    return lambda: allocations.offer(web.engine, above, offer).id


def _round(web: Web, code: str, manager: str, rep: str) -> tuple[int, int]:
    """A safety round at the unit led by its manager, with a finding and its photo."""
    plan = {"unit": code, "checklist": "general", "planned_on": "2027-01-20"}
    made = web.api(manager).post("/api/rounds", json=plan)
    assert made.status_code == 201, made.text
    rid = int(made.json()["case_id"])
    sent = web.api(rep).post(
        f"/api/rounds/{rid}/findings",
        data=ROUND_FINDING,
        files=[("photos", ("golv.jpg", JPEG, "image/jpeg"))],
    )
    assert sent.status_code == 201, sent.text
    photo = web.api(manager).get(f"/api/rounds/{rid}").json()["findings"][0]["photos"][0]
    return rid, int(photo)


ROUND_FINDING = {
    "place": "Entrén",
    "description": "Blockerad nödutgång",
    "probability": "2",
    "consequence": "4",
}


def _item(web: Web, email: str, key: str) -> dict[str, object]:
    items = web.api(email).get("/api/inbox").json()["items"]
    found: dict[str, object] = next(i for i in items if i["key"] == key)
    return found


Call = Callable[[TestClient, Target], object]
POLICY_VERSION = {"body": "Så gör vi.", "valid_from": "2027-01-01"}
EXTEND = {"due": "2027-06-30", "reason": "Prövning"}


@dataclass(frozen=True)
class Endpoint:
    call: Call
    own: frozenset[str]  # roles allowed at their own unit
    other: frozenset[str]  # roles allowed at the other unit
    ok: int = 200  # the answer when allowed (409: allowed, but a gate still blocks)
    #: For lists and searches (always 200): does the reply show the target?
    shows: Callable[[Any, Target], bool] | None = None


def _f(*roles: str) -> frozenset[str]:
    return frozenset(roles)


ENDPOINTS: dict[str, Endpoint] = {
    "GET task": Endpoint(
        lambda c, t: c.get(f"/api/tasks/{t.survey}"), _f(*SEES), _f(*SEES_ELSEWHERE)
    ),
    "GET safety-rep task": Endpoint(
        lambda c, t: c.get(f"/api/tasks/{t.safety_round}"), _f(*SEES), _f(*SEES_ELSEWHERE)
    ),
    "GET task attachments": Endpoint(
        lambda c, t: c.get(f"/api/tasks/{t.survey}/attachments"), _f(*SEES), _f(*SEES_ELSEWHERE)
    ),
    "GET cycle": Endpoint(
        lambda c, t: c.get(f"/api/cycles/{t.cycle}"), _f(*SEES), _f(*SEES_ELSEWHERE)
    ),
    "GET cycle audit": Endpoint(
        lambda c, t: c.get(f"/api/cycles/{t.cycle}/audit"), _f(*SEES), _f(*SEES_ELSEWHERE)
    ),
    "GET unit": Endpoint(
        lambda c, t: c.get(f"/api/org/units/{t.unit}"), _f(*SEES), _f(*SEES_ELSEWHERE)
    ),
    "GET overview of unit": Endpoint(
        lambda c, t: c.get("/api/overview", params={"year": 2027, "root": t.unit}),
        _f(*SEES),
        _f(*SEES_ELSEWHERE),
    ),
    "POST draft (manager's task)": Endpoint(
        lambda c, t: c.post(f"/api/tasks/{t.survey}/draft", json={"data": {}}),
        _f("unit_manager"),
        _f(),
    ),
    "POST draft (safety rep's task)": Endpoint(
        lambda c, t: c.post(f"/api/tasks/{t.safety_round}/draft", json={"data": {}}),
        _f("safety_rep"),
        _f(),
    ),
    "POST complete (invalid input)": Endpoint(
        lambda c, t: c.post(f"/api/tasks/{t.survey}/complete", json={"data": {}}),
        _f("unit_manager"),
        _f(),
        ok=422,
    ),
    "POST extend deadline": Endpoint(
        lambda c, t: c.post(f"/api/tasks/{t.survey}/extend", json=EXTEND),
        _f("department_manager", "director"),
        _f("director"),
    ),
    "POST sign off stage": Endpoint(
        lambda c, t: c.post(f"/api/cycles/{t.cycle}/stages/survey/sign-off"),
        _f("unit_manager", "department_manager", "director"),
        _f("director"),
        ok=409,
    ),
}
EVIDENCE = {"year": 2027, "format": "json"}
PLAN_CSV = (
    "Område,Åtgärd,Ansvarig,Klart senast\nBuller,Absorbenter,enhetschef,2027-10-01\n".encode()
)
ENDPOINTS.update(
    {
        "GET evidence package": Endpoint(
            lambda c, t: c.get("/api/evidence", params={**EVIDENCE, "code": t.code}),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "POST evidence job": Endpoint(
            lambda c, t: c.post("/api/evidence/jobs", json={"code": t.code, "year": 2027}),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
            ok=202,
        ),
        "POST evidence verify": Endpoint(
            lambda c, t: c.post("/api/evidence/verify", files={"file": ("p.html", t.package)}),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "GET audit of unit": Endpoint(
            lambda c, t: c.get("/api/audit", params={"unit": t.code, "subtree": True}),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "GET audit CSV of unit": Endpoint(
            lambda c, t: c.get("/api/audit/csv", params={"unit": t.code}),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "GET follow-up report": Endpoint(
            lambda c, t: c.get("/api/reports/followup", params={"year": 2027, "root": t.code}),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "GET board report": Endpoint(
            lambda c, t: c.get(
                "/api/reports/board", params={"year": 2027, "root": t.code, "format": "html"}
            ),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "GET inspection": Endpoint(
            lambda c, t: c.get(f"/api/inspections/{t.inspection}"), _f(*SEES), _f(*SEES_ELSEWHERE)
        ),
        "GET inspection reply preview": Endpoint(
            lambda c, t: c.get(f"/api/inspections/{t.inspection}/reply"),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "POST register inspection": Endpoint(
            lambda c, t: c.post(
                "/api/inspections",
                json={**INSPECTION, "unit": t.code, "requirements": [{"text": "Krav"}]},
            ),
            _f("hr", "director"),
            _f("hr", "director"),
            ok=201,
        ),
        # issue 10: incidents, safety representatives' requests, managers' own risks
        "GET incident": Endpoint(
            lambda c, t: c.get(f"/api/cases/incident/{t.incident}"),
            _f(*SEES, "employee"),  # the employee registered it
            _f(*SEES_ELSEWHERE),
        ),
        "GET incident list": Endpoint(
            lambda c, t: c.get("/api/cases/incident"),
            _f(*SEES, "employee"),
            _f(*SEES_ELSEWHERE),
            shows=lambda r, t: any(x["id"] == t.incident for x in r.json()),
        ),
        "GET case overview of the unit": Endpoint(
            lambda c, t: c.get("/api/overview/cases", params={"year": 2027, "unit": t.code}),
            _f(*SEES, "employee"),  # the employee: their own registration
            _f(*SEES_ELSEWHERE),
            shows=lambda r, t: {k["kind"]: k["cases"] for k in r.json()["kinds"]}["incident"] > 0,
        ),
        "POST register incident": Endpoint(
            lambda c, t: c.post("/api/cases/incident", json={**INCIDENT, "unit": t.code}),
            _f(*ROLES),  # anyone with a role at the unit or above
            _f("hr", "director", "chief_safety_rep"),
            ok=201,
        ),
        "GET safety request": Endpoint(
            lambda c, t: c.get(f"/api/cases/safety_request/{t.request}"),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "GET safety request receipt": Endpoint(
            lambda c, t: c.get(f"/api/cases/safety_request/{t.request}/documents/receipt"),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "POST safety request history": Endpoint(
            lambda c, t: c.post(
                f"/api/cases/safety_request/{t.request}/documents/history",
                params={"format": "json"},
            ),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "POST register safety request": Endpoint(
            lambda c, t: c.post("/api/cases/safety_request", json={**REQUEST, "unit": t.code}),
            _f("safety_rep", "chief_safety_rep"),
            _f("chief_safety_rep"),
            ok=201,
        ),
        "GET manager's own risk": Endpoint(
            lambda c, t: c.get(f"/api/cases/manager_risk/{t.manager_risk}"),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "POST register manager's own risk": Endpoint(
            lambda c, t: c.post("/api/cases/manager_risk", json={**RISK, "unit": t.code}),
            _f("unit_manager"),
            _f(),
            ok=201,
        ),
        "POST inspection injunction": Endpoint(
            lambda c, t: c.post(
                f"/api/cases/inspection/{t.inspection}/additions",
                json={**DECISION, "requirements": [{"text": "Lyft", "due": "2027-03-01"}]},
            ),
            _f("hr", "director"),
            _f("hr", "director"),
            ok=201,
        ),
        # issue 10: task allocation (engine.alloc)
        "GET task allocation": Endpoint(
            lambda c, t: c.get(f"/api/allocations/{t.allocation}"),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
        ),
        "GET task allocation chain": Endpoint(
            lambda c, t: c.get("/api/allocations/chain"),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
            shows=lambda r, t: t.code in [x["code"] for x in r.json()["rows"]],
        ),
        "POST offer a task allocation to the unit's manager": Endpoint(
            lambda c, t: c.post(
                "/api/allocations",
                json={"unit": t.code, "items": [{"key": "measures", "authority": "Åtgärder"}]},
            ),
            _f("department_manager"),  # only the manager above
            _f(),
            ok=201,
        ),
        "POST accept a task allocation": Endpoint(
            lambda c, t: c.post(f"/api/allocations/{t.fresh_allocation()}/accept"),
            _f("unit_manager"),  # only the manager it is allocated to, signing it
            _f(),
        ),
        "GET the allocator's decision task on a returned task": Endpoint(
            lambda c, t: c.get(f"/api/tasks/{t.decision}"), _f(*SEES), _f(*SEES_ELSEWHERE)
        ),
        "POST complete the decision task (empty: refused for its form)": Endpoint(
            lambda c, t: c.post(f"/api/tasks/{t.decision}/complete", json={"data": {}}),
            _f("department_manager"),  # the allocator: the manager above
            _f(),
            ok=422,
        ),
        # issue 12: safety rounds and the roll-up of the annual follow-up
        "GET safety round": Endpoint(
            lambda c, t: c.get(f"/api/rounds/{t.round}"), _f(*SEES), _f(*SEES_ELSEWHERE)
        ),
        "GET safety round list": Endpoint(
            lambda c, t: c.get("/api/rounds"),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
            shows=lambda r, t: any(x["id"] == t.round for x in r.json()),
        ),
        "GET safety round photo": Endpoint(
            lambda c, t: c.get(f"/api/rounds/photos/{t.photo}"), _f(*SEES), _f(*SEES_ELSEWHERE)
        ),
        "POST safety round finding": Endpoint(
            lambda c, t: c.post(f"/api/rounds/{t.round}/findings", data=ROUND_FINDING),
            _f("unit_manager", "safety_rep"),  # who leads it, who takes part
            _f(),
            ok=201,
        ),
        "POST plan a safety round": Endpoint(
            lambda c, t: c.post(
                "/api/rounds",
                json={"unit": t.code, "checklist": "office", "planned_on": "2027-02-01"},
            ),
            _f("unit_manager", "department_manager", "hr", "director"),
            _f("hr", "director"),
            ok=201,
        ),
        "GET roll-up level": Endpoint(
            lambda c, t: c.get(f"/api/rollup/{t.level}"),
            _f("department_manager", "hr", "director", "chief_safety_rep"),
            _f("hr", "director", "chief_safety_rep"),
        ),
        "POST roll-up waiver": Endpoint(
            lambda c, t: c.post(
                f"/api/rollup/{t.level}/waivers", json={"unit": t.code, "reason": "Nedlagd"}
            ),
            _f("hr"),  # HR's alone
            _f("hr"),
            ok=204,
        ),
        "POST plan import (dry run)": Endpoint(
            lambda c, t: c.post(
                f"/api/cycles/{t.cycle}/plan-import",
                data={"dry_run": "true"},
                files={"file": ("plan.csv", PLAN_CSV)},
            ),
            _f("unit_manager", "department_manager", "director"),
            _f("director"),
        ),
    }
)
# Plans in their own right and the organisation's positions (issue 11).
ENDPOINTS.update(
    {
        "GET plan": Endpoint(
            lambda c, t: c.get(f"/api/plans/{t.plan}"), _f(*SEES), _f(*SEES_ELSEWHERE)
        ),
        "GET plans (list)": Endpoint(
            lambda c, t: c.get("/api/plans"),
            _f(*SEES),
            _f(*SEES_ELSEWHERE),
            shows=lambda r, t: any(p["id"] == t.plan for p in r.json()),
        ),
        "POST plan (new, at the unit)": Endpoint(
            lambda c, t: c.post("/api/plans", json={**OWN_PLAN, "unit": t.code}),
            _f("unit_manager", "department_manager", "hr", "director"),
            _f("hr", "director"),
            ok=201,
        ),
        "PUT plan rhythm": Endpoint(
            lambda c, t: c.put(f"/api/plans/{t.plan}/rhythm", json={"follow_up_months": 3}),
            _f("unit_manager", "department_manager", "hr", "director"),
            _f("hr", "director"),
        ),
        "GET positions of the unit": Endpoint(
            lambda c, t: c.get("/api/positions", params={"unit": t.code}),
            _f("hr", "director"),
            _f("hr", "director"),
        ),
    }
)
# On the routes above, a department's director may in their own department what the
# director may (their line rights and oversight reach it); the admin routes below say it
# case by case.
for _name, _spec in list(ENDPOINTS.items()):
    if "director" in _spec.own:
        ENDPOINTS[_name] = replace(_spec, own=_spec.own | {"department_director"})
ADMIN = ("hr", "director")


def _renamed(code: str) -> str:
    return "".join(
        line.replace(f"{code},Enhet", f"{code},Ny enhet") if line.startswith(f"{code},") else line
        for line in UNITS.splitlines(True)
    )


def _ids(reply: Any, key: str = "id") -> list[Any]:
    return [r[key] for r in reply.json()]


ENDPOINTS.update(
    {
        "POST org import renaming the unit (dry run)": Endpoint(
            lambda c, t: c.post(
                "/api/org/import",
                json={"units_csv": _renamed(t.code), "people_csv": PEOPLE, "dry_run": True},
            ),
            _f(*ADMIN, "department_director"),
            _f(*ADMIN),
        ),
        "POST org import granting a role at the unit (dry run)": Endpoint(
            lambda c, t: c.post(
                "/api/org/import",
                json={
                    "units_csv": UNITS,
                    "people_csv": PEOPLE + f"emp@x.se,Erik Medarbetare,manager,{t.code},,\n",
                    "dry_run": True,
                },
            ),
            _f(*ADMIN, "department_director"),
            _f(*ADMIN),
        ),
        "POST org import granting director at the unit (dry run)": Endpoint(
            lambda c, t: c.post(
                "/api/org/import",
                json={
                    "units_csv": UNITS,
                    "people_csv": PEOPLE + f"emp@x.se,Erik Medarbetare,director,{t.code},,\n",
                    "dry_run": True,
                },
            ),
            _f(*ADMIN, "department_director"),  # strictly below their own level
            _f(*ADMIN),
        ),
        "POST confirm a held import (stale hash)": Endpoint(
            lambda c, t: c.post(
                f"/api/org/import/pending/{t.pending}/confirm", json={"content_hash": "0" * 64}
            ),
            _f("hr"),  # a second HR person: not the director who asked
            _f("hr"),
            ok=422,
        ),
        "GET held imports": Endpoint(
            lambda c, t: c.get("/api/org/import/pending"),
            _f(*ADMIN),
            _f(*ADMIN),
            shows=lambda r, t: t.pending in _ids(r),
        ),
        "POST set a substitute for the unit's manager": Endpoint(
            lambda c, t: c.post(
                "/api/org/substitutes",
                json={
                    "person_email": "so3@x.se",
                    "for_email": t.manager[1],
                    **{k: v.isoformat() for k, v in COMING.items()},
                },
            ),
            _f(*ADMIN, "department_director", "department_manager", "unit_manager"),
            _f(*ADMIN),
            ok=201,
        ),
        "DELETE a substitution of the unit's manager": Endpoint(
            lambda c, t: c.delete(f"/api/org/substitutes/{t.fresh_substitute()}"),
            _f(*ADMIN, "department_director", "department_manager", "unit_manager"),
            _f(*ADMIN),
        ),
        "GET substitutes": Endpoint(
            lambda c, t: c.get("/api/org/substitutes"),
            _f(*ADMIN, "department_director", "department_manager", "unit_manager"),
            _f(*ADMIN),
            shows=lambda r, t: t.manager[1] in _ids(r, "for_email"),
        ),
        "GET people search": Endpoint(
            lambda c, t: c.get("/api/org/people", params={"q": t.manager[0]}),
            _f(*ROLES),  # an employee finds the people of their own unit
            _f(*SEES_ELSEWHERE),
            shows=lambda r, t: t.manager[1] in _ids(r, "email"),
        ),
        "GET the year's start job of the unit": Endpoint(
            lambda c, t: c.get(f"/api/jobs/{t.start_job}"),
            _f(*ADMIN, "department_director"),
            _f(*ADMIN),
        ),
        "POST the year's start of the unit, a dry run": Endpoint(
            lambda c, t: c.post(
                "/api/jobs/start-year/dry-run", json={"year": 2028, "root": t.code}
            ),
            _f(*ADMIN, "department_director"),
            _f(*ADMIN),
        ),
        "GET the evidence job's file": Endpoint(
            lambda c, t: c.get(f"/api/evidence/jobs/{t.evidence_job}/file"),
            _f(*SEES, "department_director"),
            _f(*SEES_ELSEWHERE),
        ),
        "POST bulk approve the unit's task": Endpoint(
            lambda c, t: c.post("/api/tasks/bulk-approve", json={"task_ids": [t.survey]}),
            _f(*SEES, "department_director"),
            _f(*SEES_ELSEWHERE),
            shows=lambda r, t: r.json()["results"][0]["code"] != "not_found",
        ),
        # policy, routines and knowledge (issue 10 §8): the unit's own routine and training
        "GET the unit's routine": Endpoint(
            lambda c, t: c.get(f"/api/policy/RUT-{t.code}"), _f(*ROLES), _f(*SEES_ELSEWHERE)
        ),
        "POST acknowledge the unit's routine": Endpoint(
            lambda c, t: c.post(f"/api/policy/RUT-{t.code}/acknowledge"),
            _f("unit_manager"),  # the line at or below the unit
            _f(),
        ),
        "POST a version of the unit's routine": Endpoint(
            lambda c, t: c.post(f"/api/policy/RUT-{t.code}/versions", json=POLICY_VERSION),
            _f(*ADMIN, "department_director"),
            _f(*ADMIN),
            ok=201,
        ),
        "GET the unit's training records": Endpoint(
            lambda c, t: c.get("/api/knowledge", params={"unit": t.code}),
            _f(*SEES, "department_director"),
            _f(*SEES_ELSEWHERE),
        ),
        "POST a training of the unit's manager": Endpoint(
            lambda c, t: c.post(
                "/api/knowledge",
                json={
                    "email": t.manager[1],
                    "unit": t.code,
                    "role": "manager",
                    "course_key": "bam",
                    "taken_on": "2026-01-01",
                },
            ),
            _f(*ADMIN, "department_director"),
            _f(*ADMIN),
            ok=201,
        ),
        "GET the whole audit log as CSV": Endpoint(
            lambda c, t: c.get("/api/audit/csv"),
            _f(*SEES_ELSEWHERE),
            _f(*SEES_ELSEWHERE),
        ),
    }
)
# issue 12: surveys, absence and the ROA selection. The files and the selection are the
# organisation's (HR or a director at the top); the figures are seen with the unit.
SURVEY_CSV = b"Enhet;F1\nU1;4\n"
ABSENCE_CSV = b"unit;period;short_term;long_term;headcount\nX;2027;1;1;9\n"
ENDPOINTS.update(
    {
        "GET survey figures of the unit": Endpoint(
            lambda c, t: c.get("/api/surveys/2027", params={"root": t.code}),
            _f(*SEES, "department_director"),
            _f(*SEES_ELSEWHERE),
        ),
        "GET absence of the unit": Endpoint(
            lambda c, t: c.get("/api/absence/2027", params={"root": t.code}),
            _f(*SEES, "department_director"),
            _f(*SEES_ELSEWHERE),
        ),
        "POST survey import (no mapping fits)": Endpoint(
            lambda c, t: c.post(
                "/api/surveys/import",
                data={"year": "2027", "dry_run": "true"},
                files={"file": ("svar.csv", SURVEY_CSV)},
            ),
            _f(*ADMIN),
            _f(*ADMIN),
            ok=422,
        ),
        "POST absence import (unknown unit)": Endpoint(
            lambda c, t: c.post(
                "/api/absence/import",
                data={"dry_run": "true"},
                files={
                    "file": (
                        "f.csv",
                        b"enhet;period;korttid;langtid;antal anstallda\nX;2027;1;1;9\n",
                    )
                },
            ),
            _f(*ADMIN),
            _f(*ADMIN),
            ok=422,
        ),
        "GET ROA proposals": Endpoint(
            lambda c, t: c.get("/api/roa/2027/proposals"), _f(*ADMIN), _f(*ADMIN)
        ),
        "GET health plans and progress of the unit": Endpoint(
            lambda c, t: c.get("/api/health/2027", params={"root": t.code}),
            _f(*SEES, "department_director"),
            _f(*SEES_ELSEWHERE),
        ),
        "PUT the unit's health plan (no such goal)": Endpoint(
            lambda c, t: c.put(
                f"/api/health/2027/plans/{t.code}",
                json={
                    "factors": ["sam", "leadership"],
                    "challenges": "x",
                    "goals": [{"goal": "NONE", "text": "x"}],
                },
            ),
            _f("unit_manager", "department_manager", "director", "department_director"),
            _f("director"),
            ok=422,
        ),
        "POST ROA selection (unknown unit)": Endpoint(
            lambda c, t: c.post("/api/roa/2027/selection", json={"units": ["NOPE"]}),
            _f(*ADMIN),
            _f(*ADMIN),
            ok=422,
        ),
    }
)
CASES = [(role, name, side) for role in ROLES for name in ENDPOINTS for side in ("own", "other")]


@pytest.mark.parametrize(
    ("role", "endpoint", "side"), CASES, ids=[f"{r}-{e}-{s}" for r, e, s in CASES]
)
def test_access(world: World, role: str, endpoint: str, side: str) -> None:
    spec, target = ENDPOINTS[endpoint], world.targets[side]
    allowed = role in (spec.own if side == "own" else spec.other)
    reply = spec.call(world.clients[role], target)
    status = reply.status_code  # type: ignore[attr-defined]
    if spec.shows is not None:
        assert status == 200, reply.text  # type: ignore[attr-defined]
        assert spec.shows(reply, target) is allowed, reply.text  # type: ignore[attr-defined]
        if not allowed:
            assert target.name not in reply.text  # type: ignore[attr-defined]
        return
    if allowed:
        assert status == spec.ok, reply.text  # type: ignore[attr-defined]
        if spec.ok == 409:
            assert reply.json()["code"] == "gate_blocked"  # type: ignore[attr-defined]
    else:
        assert status in (403, 404), reply.text  # type: ignore[attr-defined]
        assert target.name not in reply.text  # type: ignore[attr-defined]


def test_inboxes_hold_only_ones_own_tasks(world: World) -> None:
    own, other = world.targets["own"], world.targets["other"]
    box = {i["task_id"] for i in world.clients["unit_manager"].get("/api/inbox").json()["items"]}
    assert own.survey in box and other.survey not in box and own.safety_round not in box
    assert world.clients["employee"].get("/api/inbox").json()["items"] == []
    assert world.clients["hr"].get("/api/inbox").json()["items"] == []  # sees, but holds nothing
