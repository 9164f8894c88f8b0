"""The pages people work in: the inbox, task forms (validation beside the field, input
kept, rows added without JavaScript), the cycle page and its sign-off."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from starlette.testclient import TestClient

from tests.api.conftest import Web, csrf_of
from tests.factories import APPROVE, drive_to


def _task_id(web: Web, email: str, key: str) -> int:
    items = web.api(email).get("/api/inbox").json()["items"]
    return next(i["task_id"] for i in items if i["key"] == key)


def _post(client: TestClient, url: str, data: dict[str, str] | list[tuple[str, str]]) -> object:
    token = csrf_of(client.get("/inbox").text)
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    body = urlencode([("csrf_token", token), *pairs])  # in order, names may repeat
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return client.post(url, content=body, headers=headers, follow_redirects=False)


def test_inbox_page_lists_counts_and_filters(web: Web) -> None:
    client = web.browser("m1@x.se")
    page = client.get("/inbox")
    assert page.status_code == 200
    assert "Medarbetarenkät (HME) – resultat" in page.text and "2027-03-15" in page.text
    assert "<strong>3</strong> öppna uppgifter" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    filtered = client.get("/inbox", params={"stage": "analysis"})
    assert "Inga öppna uppgifter här." in filtered.text
    english = client.get("/inbox", params={"lang": "en"})
    assert "Employee survey (HME) results" in english.text and '<html lang="en">' in english.text
    assert "samflow_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in client.get("/inbox").text  # the cookie remembers


def test_claim_from_the_inbox(web: Web) -> None:
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "employee_survey")
    reply = _post(client, f"/tasks/{task}/claim", {})
    assert reply.status_code == 303  # type: ignore[attr-defined]
    assert "Uppgiften är din nu." in client.get(reply.headers["location"]).text  # type: ignore[attr-defined]


def test_survey_form_keeps_input_and_shows_the_error_beside_the_field(web: Web) -> None:
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "employee_survey")
    page = client.get(f"/tasks/{task}")
    assert 'name="survey_name"' in page.text and "Medarbetarenkät 2027" in page.text
    version = re.search(r'name="_version" value="(\d+)"', page.text)
    assert version is not None
    reply = _post(
        client,
        f"/tasks/{task}",
        {
            "_action": "complete",
            "_version": version.group(1),
            "survey_name": "HME",
            "invited": "10",
            "answered": "4",
            "motivation": "71,5",
        },
    )
    assert reply.status_code == 422  # type: ignore[attr-defined]
    html = reply.text  # type: ignore[attr-defined]
    assert 'id="f-motivation-err"' in html and "färre än 5 svar" in html
    assert 'aria-invalid="true" aria-describedby="f-motivation-err"' in html
    assert 'value="71.5"' in html or 'value="71,5"' in html  # the input is kept
    assert 'href="#f-motivation"' in html  # the summary links to the field
    ok = _post(
        client,
        f"/tasks/{task}",
        {
            "_action": "complete",
            "survey_name": "HME",
            "invited": "10",
            "answered": "8",
            "motivation": "71,5",
        },
    )
    assert ok.status_code == 303  # type: ignore[attr-defined]
    cycle = client.get(ok.headers["location"])  # type: ignore[attr-defined]
    assert "Uppgiften är klar." in cycle.text and "1 av 2 obligatoriska steg klara" in cycle.text


def test_action_plan_rows_are_added_and_removed_without_javascript(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "action_plan")
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "action_plan")
    page = client.get(f"/tasks/{task}")
    assert "Tunga lyft" in page.text  # the high risk is offered as the first area
    assert 'value="add:items[0].measures"' in page.text
    base = [
        ("participants", "Chef och skyddsombud"),
        ("items[0].area", "Tunga lyft"),
        ("items[0].measures[0].what", "Taklyft"),
    ]
    added = _post(client, f"/tasks/{task}", [*base, ("_action", "add:items[0].measures")])
    html = added.text  # type: ignore[attr-defined]
    assert 'name="items[0].measures[1].what"' in html and 'value="Taklyft"' in html
    assert "Åtgärd 1.2" in html
    removed = _post(
        client,
        f"/tasks/{task}",
        [*base, ("items[0].measures[1].what", "x"), ("_action", "remove:items[0].measures[0]")],
    )
    assert 'name="items[0].measures[1].what"' not in removed.text  # type: ignore[attr-defined]
    saved = _post(client, f"/tasks/{task}", [*base, ("_action", "save")])
    assert saved.status_code == 303  # type: ignore[attr-defined]
    assert 'value="Taklyft"' in client.get(f"/tasks/{task}").text  # the draft comes back


def test_action_plan_invalid_responsible_then_corrected(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "action_plan")
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "action_plan")
    risk = web.api("m1@x.se").get(f"/api/cycles/{cycle}").json()["risks"][0]["id"]
    fields = {
        "participants": "Chef, skyddsombud",
        "items[0].area": "Tunga lyft",
        "items[0].risk_id": str(risk),
        "items[0].probability": "3",
        "items[0].consequence": "3",
        "items[0].measures[0].what": "Taklyft",
        "items[0].measures[0].responsible": "Kalle",
        "items[0].measures[0].due_date": "2027-09-30",
        "_action": "complete",
    }
    bad = _post(client, f"/tasks/{task}", fields)
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert 'id="f-items-0-measures-0-responsible-err"' in bad.text  # type: ignore[attr-defined]
    assert "Förbättringsområde 1 › Åtgärder 1 › Ansvarig" in bad.text or "Ansvarig" in bad.text  # type: ignore[attr-defined]
    good = _post(
        client, f"/tasks/{task}", {**fields, "items[0].measures[0].responsible": "enhetschef"}
    )
    assert good.status_code == 303  # type: ignore[attr-defined]
    plan = web.api("m1@x.se").get(f"/api/cycles/{cycle}").json()["plan"]
    assert plan[0]["measures"][0]["responsible"] == "enhetschef"


def test_cycle_page_shows_why_sign_off_is_blocked(web: Web) -> None:
    client = web.browser("m1@x.se")
    cycle = web.org.cycle_of("U1")
    page = client.get(f"/cycles/{cycle}")
    assert "0 av 2 obligatoriska steg klara" in page.text
    assert "väntar på Maja Chef" in page.text  # she leads the safety round too (v2)
    blocked = _post(client, f"/cycles/{cycle}/sign-off", {"stage": "survey"})
    assert blocked.status_code == 409  # type: ignore[attr-defined]
    assert "Steget kan inte signeras ännu" in blocked.text  # type: ignore[attr-defined]
    assert "obligatoriskt steg &#39;Skyddsrond&#39; är inte klart" in blocked.text  # type: ignore[attr-defined]


def test_approval_page_shows_the_plan_and_signs(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "cooperation")
    client = web.browser("so1@x.se")
    task = _task_id(web, "so1@x.se", "approve_safety_rep")
    page = client.get(f"/tasks/{task}")
    assert "Handlingsplanen som ska godkännas" in page.text and "Taklyft" in page.text
    reject = _post(client, f"/tasks/{task}", {"decision": "reject", "_action": "complete"})
    assert reject.status_code == 422 and "behöver en kommentar" in reject.text  # type: ignore[attr-defined]
    ok = _post(client, f"/tasks/{task}", {**APPROVE, "_action": "complete"})
    assert ok.status_code == 303  # type: ignore[attr-defined]


def test_bulk_approve_on_the_inbox_page(web: Web) -> None:
    o = web.org
    drive_to(o, o.cycle_of("U1"), "cooperation")
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "approve_manager")
    page = _post(
        client,
        "/inbox/approve",
        [("task_ids", str(task)), ("task_ids", "999999"), ("comment", "OK")],
    )
    html = page.text  # type: ignore[attr-defined]
    assert page.status_code == 200 and "Resultat av godkännandet" in html  # type: ignore[attr-defined]
    # each result names the task as the inbox does (its title and unit), not by its id
    assert 'Enhet 1: <span class="badge ok">godkänd' in html and "Uppgift 999999: " in html
    assert f"#{task}" not in html


def test_return_and_delegate_and_extend_from_the_task_page(web: Web) -> None:
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "employee_survey")
    empty = _post(client, f"/tasks/{task}/return", {"reason": ""})
    assert empty.status_code == 422 and 'id="return-reason-err"' in empty.text  # type: ignore[attr-defined]
    nobody = _post(client, f"/tasks/{task}/delegate", {"to": ""})
    assert nobody.status_code == 422 and 'id="delegate-to-err"' in nobody.text  # type: ignore[attr-defined]
    refused = _post(client, f"/tasks/{task}/extend", {"due": "2027-05-01", "reason": "x"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    above = web.browser("dep@x.se")
    bad_date = _post(above, f"/tasks/{task}/extend", {"due": "första maj", "reason": "x"})
    assert bad_date.status_code == 422 and "ÅÅÅÅ-MM-DD" in bad_date.text  # type: ignore[attr-defined]
    moved = _post(above, f"/tasks/{task}/extend", {"due": "2027-05-01", "reason": "Sen enkät"})
    assert moved.status_code == 303  # type: ignore[attr-defined]
    handed = _post(client, f"/tasks/{task}/delegate", {"to": "so1@x.se", "reason": "semester"})
    assert handed.status_code == 303  # type: ignore[attr-defined]
    returned = _post(web.browser("so1@x.se"), f"/tasks/{task}/return", {"reason": "Saknar kunskap"})
    assert returned.status_code == 303  # type: ignore[attr-defined]


def test_files_are_uploaded_and_downloaded_from_the_page(web: Web) -> None:
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "employee_survey")
    token = csrf_of(client.get(f"/tasks/{task}").text)
    none = client.post(f"/tasks/{task}/files", data={"csrf_token": token})
    assert none.status_code == 422 and "välj en fil" in none.text
    up = client.post(
        f"/tasks/{task}/files",
        data={"csrf_token": token},
        files={"file": ("protokoll.txt", b"skyddsrond", "text/plain")},
        follow_redirects=False,
    )
    assert up.status_code == 303
    page = client.get(f"/tasks/{task}")
    link = re.search(r'href="(/files/\d+)">protokoll.txt', page.text)
    assert link is not None
    assert client.get(link.group(1)).content == b"skyddsrond"
    assert web.browser("m2@x.se").get(link.group(1)).status_code == 404


def test_someone_elses_task_and_cycle_are_not_found(web: Web) -> None:
    client = web.browser("m2@x.se")
    task = _task_id(web, "m1@x.se", "employee_survey")
    page = client.get(f"/tasks/{task}")
    assert page.status_code == 404 and "Hittades inte" in page.text and "Enhet 1" not in page.text
    assert client.get(f"/cycles/{web.org.cycle_of('U1')}").status_code == 404
    posted = _post(client, f"/tasks/{task}", {"_action": "complete"})
    assert posted.status_code == 404  # type: ignore[attr-defined]
    assert client.get("/no/such/page").status_code == 404


def test_risk_assessment_page_shows_the_matrix_of_what_was_typed(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "analysis")
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "risk_assessment")
    fields = [
        ("participants", "Chef och skyddsombud"),
        ("safety_rep_participated", "false"),
        ("safety_rep_participated", "true"),
        ("risks[0].description", "Tunga lyft"),
        ("risks[0].domain", "physical"),
        ("risks[0].probability", "4"),
        ("risks[0].consequence", "3"),
        ("risks[0].serious", ""),
    ]
    page = _post(client, f"/tasks/{task}", [*fields, ("_action", "add:risks")])
    html = page.text  # type: ignore[attr-defined]
    assert 'name="risks[1].description"' in html and "Riskmatris" in html
    assert re.search(
        r'class="lvl-very_high"><span class="visually-hidden">Mycket hög: </span>1<', html
    )
    done = _post(client, f"/tasks/{task}", [*fields, ("_action", "complete")])
    assert done.status_code == 303  # type: ignore[attr-defined]
    risk = web.api("m1@x.se").get(f"/api/cycles/{cycle}").json()["risks"][0]
    assert (risk["probability"], risk["consequence"], risk["serious"]) == (4, 3, None)


def test_follow_up_and_annual_evaluation_forms(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "follow_up")
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "measure_follow_up")
    page = client.get(f"/tasks/{task}")
    assert "Åtgärden som följs upp" in page.text and "Taklyft" in page.text
    missing = _post(client, f"/tasks/{task}", {"status": "done", "_action": "complete"})
    assert missing.status_code == 422 and 'id="f-effect_ok-err"' in missing.text  # type: ignore[attr-defined]
    ok = _post(
        client,
        f"/tasks/{task}",
        {"status": "done", "effect_ok": "true", "effect": "Bra", "_action": "complete"},
    )
    assert ok.status_code == 303  # type: ignore[attr-defined]
    o.sign_off("m1@x.se", cycle, "follow_up")
    task = _task_id(web, "m1@x.se", "annual_evaluation")
    checks = [
        "policy",
        "routines",
        "task_distribution",
        "knowledge",
        "cooperation",
        "risk_assessment",
        "action_plan",
        "incidents",
        "ohs",
    ]
    pairs = [(c, "false") for c in checks] + [
        ("policy", "true"),
        ("findings", "Rutinerna fungerar"),
    ]
    done = _post(client, f"/tasks/{task}", [*pairs, ("_action", "complete")])
    assert done.status_code == 303  # type: ignore[attr-defined]
    data = web.api("m1@x.se").get(f"/api/tasks/{task}").json()["data"]
    assert data["policy"] is True and data["routines"] is False


def test_odd_field_names_and_values_never_make_the_page_fail(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "analysis")
    client = web.browser("m1@x.se")
    task = _task_id(web, "m1@x.se", "risk_assessment")
    odd = [
        [("risks[0]", "x")],
        [("risks", "abc")],
        [("[0]", "z")],
        [("a..b", "1")],
        [("risks[999999].description", "x")],
        [("risks[0].probability", "9")],
        [("risks[0].probability", "2"), ("risks[0].consequence", "33")],
        [("participants[0]", "x")],
        [("safety_rep_participated", "kanske")],
    ]
    for fields in odd:
        for action in ("complete", "add:risks", "remove:risks[0]", "add:nowhere", "save"):
            reply = _post(client, f"/tasks/{task}", [*fields, ("_action", action)])
            assert reply.status_code in (200, 303, 422), (fields, action, reply.status_code)  # type: ignore[attr-defined]
        assert client.get(f"/tasks/{task}").status_code == 200  # the odd draft renders too


def test_a_draft_of_any_shape_from_the_api_still_renders(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "analysis")
    task = _task_id(web, "m1@x.se", "risk_assessment")
    odd = {
        "risks": [1, "x", {"probability": [], "consequence": {"a": 1}}],
        "participants": {"a": 1},
        "note": None,
    }
    assert (
        web.api("m1@x.se").post(f"/api/tasks/{task}/draft", json={"data": odd}).status_code == 200
    )
    page = web.browser("m1@x.se").get(f"/tasks/{task}")
    assert page.status_code == 200 and "Riskbedömning" in page.text
