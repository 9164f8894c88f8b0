"""The doors of the case processes of issue 10: the JSON API (in OpenAPI), the pages
(the phone-sized incident form, a case with its documents, the föreläggande form) and the
CLI, on the real app; and who may see what (404 for a case one may not see)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from pypdf import PdfReader

from api.app import create_app
from cli.main import main as cli_main
from engine.context import App
from engine.domain.clock import FrozenClock
from engine.settings import Settings
from tests.api.conftest import Web, _close, csrf_of
from tests.cases.test_duties import DECISION, INCIDENT, INSPECTION, PEOPLE, REQUEST, RISK
from tests.factories import build_org


def _web(url: str, clock: FrozenClock) -> Web:
    app = create_app(Settings(database_url=url), clock)
    engine: App = app.state.engine
    engine.cache["password_hasher"] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    org = build_org(engine, extra=PEOPLE)
    org.start()
    return Web(app, engine, org, clock)


@pytest.fixture
def cweb(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = _web(sqlite_url, clock)
    yield w
    _close(w)


@pytest.fixture
def cweb_any(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = _web(db_url, clock)
    yield w
    _close(w)


def _cycle_of_case(web: Web, case_id: int) -> int:
    from engine.db.models.workflow.process import ProcessCase

    with web.engine.read() as s:
        case = s.get(ProcessCase, case_id)
        assert case is not None and case.cycle_id is not None
        return case.cycle_id


def _inbox(web: Web, email: str, cycle_id: int) -> dict[str, int]:
    items = web.api(email).get("/api/inbox").json()["items"]
    return {i["key"]: i["task_id"] for i in items if i["cycle_id"] == cycle_id}


def test_api_incident_request_risk_and_injunction(cweb_any: Web) -> None:
    web = cweb_any
    emp = web.api("emp@x.se")
    got = emp.post("/api/cases/incident", json=INCIDENT)
    assert got.status_code == 201, got.text
    incident = got.json()
    assert emp.get("/api/cases/incident").json()[0]["id"] == incident["case_id"]
    other = web.api("emp2@x.se").get(f"/api/cases/incident/{incident['case_id']}")
    assert other.status_code == 404  # another employee's registration
    m1 = web.api("m1@x.se")
    report = _inbox(web, "m1@x.se", incident["cycle_id"])["report_av"]
    done = m1.post(
        f"/api/tasks/{report}/complete",
        json={"data": {"reported_at": "2027-01-10T08:30", "av_reference": "AV-1"}},
    )
    assert done.status_code == 200, done.text
    lat = web.api("dir@x.se").get("/api/incidents/latency", params={"year": 2027}).json()
    assert (lat["reported"], lat["median_hours"]) == (1, 18.0)
    one = web.api("dir@x.se").get(f"/api/cases/incident/{incident['case_id']}").json()
    assert one["summary"]["state"]["av_reference"] == "AV-1"

    bad = web.api("m1@x.se").post("/api/cases/safety_request", json=REQUEST)
    assert bad.status_code == 403 and "skyddsombud" in bad.json()["message"]
    req = web.api("so1@x.se").post("/api/cases/safety_request", json=REQUEST).json()
    pdf = web.api("so1@x.se").get(f"/api/cases/safety_request/{req['case_id']}/documents/receipt")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Mottagningsbevis" in text and "Ventilationen" in text
    hist = web.api("so1@x.se").post(
        f"/api/cases/safety_request/{req['case_id']}/documents/history", params={"format": "json"}
    )
    assert hist.status_code == 200 and json.loads(hist.content)["data"]["events"]
    assert web.api("emp@x.se").get(f"/api/cases/safety_request/{req['case_id']}").status_code == 404

    risk = web.api("m1@x.se").post("/api/cases/manager_risk", json=RISK)
    assert risk.status_code == 201, risk.text
    shown = web.api("dep@x.se").get(f"/api/cases/manager_risk/{risk.json()['case_id']}").json()
    assert [(x["unit"], x["item"]) for x in shown["plan_links"]] == [("DEP", 1)]

    insp = web.api("dir@x.se").post("/api/inspections", json=INSPECTION).json()
    added = web.api("dir@x.se").post(
        f"/api/cases/inspection/{insp['inspection_id']}/additions", json=DECISION
    )
    assert added.status_code == 201 and added.json()["tasks"] == 2
    refused = web.api("m1@x.se").post(
        f"/api/cases/inspection/{insp['inspection_id']}/additions", json=DECISION
    )
    assert refused.status_code == 403
    late = web.api("dir@x.se").post(
        f"/api/cases/inspection/{insp['inspection_id']}/additions",
        json={**DECISION, "requirements": [{"text": "x", "due": "2026-01-01"}]},
    )
    assert late.status_code == 422
    assert [e["path"] for e in late.json()["errors"]] == ["requirements[0].due"]


def test_openapi_names_the_case_routes(cweb: Web) -> None:
    paths = cweb.anonymous().get("/api/openapi.json").json()["paths"]
    for p in (
        "/api/cases/{kind}",
        "/api/cases/{kind}/{case_id}",
        "/api/cases/{kind}/{case_id}/documents/{key}",
        "/api/cases/{kind}/{case_id}/additions",
        "/api/incidents/latency",
    ):
        assert p in paths, p
    assert cweb.api("dir@x.se").get("/api/cases/nonsense").status_code == 422


def test_pages_phone_form_case_and_injunction(cweb: Web) -> None:
    web = cweb
    emp = web.browser("emp@x.se")
    page = emp.get("/cases/incident/new")
    assert page.status_code == 200
    assert 'type="time"' in page.text and 'name="what"' in page.text
    assert "Enhet 1" in page.text and "U1" not in page.text.split("<main")[1].split("</main>")[
        0
    ].replace('value="U1"', "")
    form = {
        "csrf_token": csrf_of(page.text),
        "_action": "register",
        "unit": "U1",
        "kind": "near_miss",
        "occurred_on": "2027-01-10",
        "occurred_time": "07:15",
        "what": "",
    }
    refused = emp.post("/cases/incident/new", data=form)
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    made = emp.post(
        "/cases/incident/new", data={**form, "what": "Nästan fall"}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    case_url = made.headers["location"].split("?")[0]
    shown = emp.get(case_url)
    assert shown.status_code == 200 and "Nästan fall" in shown.text
    assert "Tillbud" in shown.text
    # the investigation's measure lands in the plan, which links back to the event
    m1 = web.browser("m1@x.se")
    case_id = int(case_url.rsplit("/", 1)[1])
    task = _inbox(web, "m1@x.se", _cycle_of_case(web, case_id))["investigation"]
    page = m1.get(f"/tasks/{task}")
    assert page.status_code == 200 and "Orsaker" in page.text
    done = m1.post(
        f"/tasks/{task}",
        data={
            "csrf_token": csrf_of(page.text),
            "_action": "complete",
            "causes": "Vått golv",
            "measures[0].what": "Halkskydd",
            "measures[0].responsible": "manager",
            "measures[0].due_date": "2027-02-01",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    shown = web.api("m1@x.se").get(f"/api/cases/incident/{case_id}").json()
    plan = m1.get(f"/cycles/{shown['plan_links'][0]['cycle_id']}")
    assert f'href="/cases/incident/{case_id}"' in plan.text and "Halkskydd" in plan.text
    other = web.browser("emp2@x.se")
    assert other.get(case_url).status_code == 404
    assert other.get("/cases/incident").status_code == 200
    assert "Nästan fall" not in other.get("/cases/incident").text

    so = web.browser("so1@x.se")
    page = so.get("/cases/safety_request/new")
    data = {"csrf_token": csrf_of(page.text), "_action": "register", **REQUEST}
    made = so.post("/cases/safety_request/new", data=data, follow_redirects=False)
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    shown = so.get(url)
    assert "Mottagningsbevis" in shown.text
    pdf = so.get(url + "/documents/history?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    director = web.browser("dir@x.se")
    insp = web.api("dir@x.se").post("/api/inspections", json=INSPECTION).json()
    url = f"/cases/inspection/{insp['inspection_id']}"
    assert "föreläggande" in director.get(url).text
    form_page = director.get(url + "/additions")
    assert form_page.status_code == 200 and "Vite" in form_page.text
    data = {
        "csrf_token": csrf_of(form_page.text),
        "_action": "register",
        "decision": "prohibition",
        "decided_on": "2027-01-10",
        "requirements[0].text": "Stoppa lyft utan hjälpmedel",
        "requirements[0].due": "2027-02-01",
        "requirements[0].fine": "10000",
    }
    done = director.post(url + "/additions", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert web.browser("m1@x.se").get(url + "/additions").status_code == 200  # sees, may not add
    assert web.browser("so2@x.se").get(url).status_code == 404


def test_cli_register_list_show_and_document(cweb: Web, tmp_path: Path, capsys: Any) -> None:
    url = cweb.engine.settings.database_url
    subject = tmp_path / "incident.json"
    # the command line runs on the real clock: dates in the past, a reply date far ahead
    subject.write_text(json.dumps({**INCIDENT, "occurred_on": "2026-01-09"}), encoding="utf-8")
    base = ["--db", url, "--lang", "sv"]
    assert cli_main([*base, "case", "register", "incident", str(subject), "--as", "emp@x.se"]) == 0
    assert "registrerat" in capsys.readouterr().out
    assert cli_main([*base, "case", "list", "incident", "--as", "emp@x.se"]) == 0
    assert "U1" in capsys.readouterr().out
    req = tmp_path / "req.json"
    ahead = {**REQUEST, "filed_on": "2026-01-10", "reply_by": "2099-01-24"}
    req.write_text(json.dumps(ahead), encoding="utf-8")
    assert (
        cli_main([*base, "case", "register", "safety_request", str(req), "--as", "so1@x.se"]) == 0
    )
    capsys.readouterr()
    pdf = tmp_path / "receipt.pdf"
    code = cli_main(
        [
            *base,
            "case",
            "document",
            "safety_request",
            "2",
            "receipt",
            "--out",
            str(pdf),
            "--as",
            "so1@x.se",
        ]
    )
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF")
    # a refusal is a line naming the reason, not a traceback
    assert cli_main([*base, "case", "register", "safety_request", str(req), "--as", "m1@x.se"]) != 0
    assert "skyddsombud" in capsys.readouterr().err


def test_overview_page_lists_the_cases_and_the_latency(cweb: Web) -> None:
    web = cweb
    web.api("m1@x.se").post("/api/cases/manager_risk", json=RISK)
    made = web.api("emp@x.se").post("/api/cases/incident", json=INCIDENT).json()
    report = _inbox(web, "m1@x.se", made["cycle_id"])["report_av"]
    web.api("m1@x.se").post(
        f"/api/tasks/{report}/complete",
        json={"data": {"reported_at": "2027-01-10T02:30", "av_reference": "AV-2"}},
    )
    page = web.browser("dir@x.se").get("/overview", params={"year": "2027"})
    assert page.status_code == 200
    assert "Ärenden under året" in page.text and "Chefers egen arbetsmiljö" in page.text
    assert 'href="/cases/manager_risk"' in page.text
    assert "12 timmar" in page.text  # 14:30 the day before to 02:30
    english = web.browser("dir@x.se", new=False).get("/overview?year=2027&lang=en")
    assert "Cases during the year" in english.text
