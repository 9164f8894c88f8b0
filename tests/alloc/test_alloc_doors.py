"""Task allocation through its doors: the JSON API (in OpenAPI), the pages signed in
through the login form (offer, accept, return a task, decide, the chain and its exports,
the task page showing what was lacking), the CLI; refusals as 4xx with a reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.domain.clock import FrozenClock
from tests.api.conftest import Web, _close, csrf_of, make_web
from tests.cli.test_cli import run
from tests.factories import people_csv, units_csv


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(sqlite_url, clock)
    yield w
    _close(w)


ITEM = {"key": "investigation", "authority": "Beslutar om skyddsronder", "resources": "4 h/v"}


def test_api_offer_accept_return_decide_and_the_chain(web: Web) -> None:
    dep, m1, hr = web.api("dep@x.se"), web.api("m1@x.se"), web.api("hr@x.se")
    paths = web.api("hr@x.se").get("/api/openapi.json").json()["paths"]
    assert {"/api/allocations", "/api/allocations/chain", "/api/allocations/{allocation_id}",
            "/api/allocations/returns/{return_id}/decide"} <= set(paths)  # fmt: skip
    bad = dep.post("/api/allocations", json={"unit": "U1", "items": []})
    assert bad.status_code == 422
    refused = m1.post("/api/allocations", json={"unit": "U2", "items": [ITEM]})
    assert refused.status_code == 403, refused.text
    made = dep.post("/api/allocations", json={"unit": "U1", "items": [ITEM]})
    assert made.status_code == 201, made.text
    aid = made.json()["id"]
    assert web.api("m2@x.se").get(f"/api/allocations/{aid}").status_code == 404
    assert web.api("so2@x.se").post(f"/api/allocations/{aid}/accept").status_code == 404
    got = m1.get(f"/api/allocations/{aid}").json()
    assert got["state"] == "offered" and got["may_answer"] is True
    assert m1.post(f"/api/allocations/{aid}/accept").json()["state"] == "accepted"
    assert m1.post(f"/api/allocations/{aid}/accept").status_code == 409
    # one case returned through the task's own return, naming what is lacking
    survey = next(i for i in m1.get("/api/inbox").json()["items"] if i["key"] == "employee_survey")
    r = m1.post(f"/api/tasks/{survey['task_id']}/return",
                json={"reason": "Ingen tid", "lacking": ["resources"]})  # fmt: skip
    assert r.status_code == 200, r.text
    ret = dep.get(f"/api/allocations/{aid}").json()["returns"][0]
    assert ret["lacking"] == ["resources"] and ret["may_decide"] is True
    assert m1.post(f"/api/allocations/returns/{ret['id']}/decide",
                   json={"outcome": "taken_back"}).status_code == 403  # fmt: skip
    d = dep.post(f"/api/allocations/returns/{ret['id']}/decide", json={"outcome": "taken_back"})
    assert d.status_code == 200 and d.json()["outcome"] == "taken_back"
    chain = hr.get("/api/allocations/chain").json()
    assert [(r["code"], r["state"]) for r in chain["rows"]] == [
        ("ADM", None), ("DEP", None), ("U1", "accepted"), ("U2", None)
    ]  # fmt: skip
    csv = hr.get("/api/allocations/chain", params={"format": "csv"})
    assert csv.status_code == 200 and "U1;Enhet 1" in csv.text
    xlsx = hr.get("/api/allocations/chain", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content), read_only=True).active
    assert sheet is not None
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[1][:3] == ["nivå", "enhet", "namn"]
    assert [r[1] for r in cells[2:]] == ["ADM", "DEP", "U1", "U2"]
    assert "fordelning.xlsx" in xlsx.headers["content-disposition"]
    pdf = hr.get("/api/allocations/chain", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    mine = web.api("m2@x.se").get("/api/allocations/chain").json()["rows"]
    assert [r["code"] for r in mine] == ["U2"]  # only what they oversee


def test_pages_offer_accept_return_and_decide(web: Web) -> None:
    dep, m1 = web.browser("dep@x.se"), web.browser("m1@x.se")
    page = dep.get("/allocations")
    assert page.status_code == 200 and "Enhet 1" in page.text
    form = dep.get("/allocations/new", params={"unit": "U1"})
    assert form.status_code == 200
    data = {"csrf_token": csrf_of(form.text), "unit": "U1", "manager": "m1@x.se",
            "measures.on": "1", "measures.authority": "Beslutar om åtgärder",
            "investigation.on": "1", "investigation.authority": ""}  # fmt: skip
    again = dep.post("/allocations", data=data)
    assert again.status_code == 422 and "befogenheter" in again.text  # named, kept
    data["investigation.authority"] = "Beslutar om skyddsronder"
    made = dep.post("/allocations", data=data, follow_redirects=False)
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    assert "uppgiftsfördelning väntar på ditt svar" in m1.get("/home").text
    page = m1.get(url)
    assert "Acceptera och skriv under" in page.text
    assert m1.post(f"{url}/accept", data={"csrf_token": csrf_of(page.text)}).status_code == 200
    page = m1.get(url)
    assert "Accepterad och underskriven" in page.text and "Returnera en uppgift" in page.text
    back = m1.post(f"{url}/items/return", data={"csrf_token": csrf_of(page.text),
                   "item": "measures", "reason": ""})  # fmt: skip
    assert back.status_code == 422 and "Rätta följande" in back.text
    back = m1.post(
        f"{url}/items/return",
        data={
            "csrf_token": csrf_of(page.text),
            "item": "measures",
            "lacking.authority": "1",
            "reason": "Får inte besluta",
        },
    )
    assert back.status_code == 200
    assert "returnering väntar på ditt beslut" in dep.get("/home").text
    page = dep.get(url)
    assert "Får inte besluta" in page.text and "Besluta om returneringen" in page.text
    rid = page.text.split("/returns/")[1].split("/")[0]
    done = dep.post(
        f"{url}/returns/{rid}/decide",
        data={
            "csrf_token": csrf_of(page.text),
            "outcome": "resources",
            "note": "Beslutsrätt upp till 50 000 kr",
        },
    )
    assert done.status_code == 200 and "Resurser ges" in done.text
    chain = dep.get("/allocations/chain")
    assert chain.status_code == 200 and "Maja Chef" in chain.text
    assert dep.get("/allocations/chain.csv").status_code == 200
    assert dep.get("/allocations/chain.xlsx").content.startswith(b"PK")
    assert "/allocations/chain.xlsx" in chain.text
    assert web.browser("m2@x.se").get(url).status_code == 404
    en = m1.get(url, params={"lang": "en"})
    assert "Accepted and signed" in en.text


def test_a_returned_case_shows_what_is_lacking_on_the_task_page(web: Web) -> None:
    m1 = web.browser("m1@x.se")
    before = {i.task_id for i in web.org.inbox("dep@x.se")}
    survey = next(i for i in web.org.inbox("m1@x.se") if i.key == "employee_survey")
    page = m1.get(f"/tasks/{survey.task_id}")
    assert "Det här saknas" in page.text
    m1.post(
        f"/tasks/{survey.task_id}/return",
        data={
            "csrf_token": csrf_of(page.text),
            "reason": "Ingen tid",
            "lacking.resources": "1",
            "lacking.knowledge": "1",
        },
    )
    came = [i for i in web.org.inbox("dep@x.se") if i.task_id not in before]
    (new,) = [i for i in came if i.key != "decide_return"]
    assert [i.key for i in came if i.key == "decide_return"] == ["decide_return"]
    text = web.browser("dep@x.se").get(f"/tasks/{new.task_id}").text
    assert "Ingen tid" in text and "Resurser" in text and "Kunskaper" in text


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", url)
    monkeypatch.delenv("SAMFLOW_CLI_LANG", raising=False)
    return url


def test_cli(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    units, people, offer = tmp_path / "u.csv", tmp_path / "p.csv", tmp_path / "offer.json"
    units.write_text(units_csv())
    people.write_text(people_csv())
    offer.write_text(json.dumps({"unit": "U1", "items": [ITEM]}))
    assert run(capsys, "db", "upgrade")[0] == 0
    assert run(capsys, "org", "import", str(units), str(people))[0] == 0
    code, _, err = run(capsys, "allocation", "offer", str(offer), "--as", "m2@x.se")
    assert code == 4 and "manager above" in err
    code, out, _ = run(capsys, "allocation", "offer", str(offer), "--as", "dep@x.se")
    assert code == 0 and out.startswith("allocation ")
    aid = out.split()[1]
    code, _, err = run(capsys, "allocation", "return", aid, "--lacking", "money",
                       "--reason", "x", "--as", "m1@x.se")  # fmt: skip
    assert code == 2 and "lacking" in err
    assert run(capsys, "allocation", "accept", aid, "--as", "m1@x.se")[0] == 0
    code, out, _ = run(capsys, "allocation", "show", aid, "--as", "m1@x.se")
    assert code == 0 and "accepted" in out and "investigation" in out
    code, out, _ = run(capsys, "allocation", "chain", "--as", "hr@x.se")
    assert code == 0 and "U1" in out and "3 units lack an accepted allocation" in out
    target = tmp_path / "kedja.csv"
    assert run(capsys, "allocation", "chain", "--out", str(target), "--as", "hr@x.se")[0] == 0
    assert "U1;Enhet 1" in target.read_text("utf-8")
    code, _, err = run(capsys, "allocation", "show", aid, "--as", "m2@x.se")
    assert code == 3
