"""The roll-up's doors (issue 12 §5): the JSON API, the pages and the CLI; 404 for a
level one may not see, 403 for a waiver by anyone but HR, the close refused naming the
missing sub-unit."""

from __future__ import annotations

from engine.workflow.process import cases as processes
from tests.api.conftest import Web, csrf_of


def _level(web: Web, code: str) -> processes.CaseSummary:
    rows = processes.list_cases(web.engine, web.org.actor("hr@x.se"), "followup_level")
    return next(r for r in rows if r.unit_code == code)


def test_api_and_pages(web: Web) -> None:
    hr, dep, m2 = web.api("hr@x.se"), web.api("dep@x.se"), web.api("m2@x.se")
    assert dep.post("/api/rollup/start", json={"year": 2027}).status_code == 403
    assert hr.post("/api/rollup/start", json={"year": 1999}).status_code == 422
    made = hr.post("/api/rollup/start", json={"year": 2027, "root": "ADM"})
    assert made.status_code == 201 and made.json()["opened"] == 2
    levels = hr.get("/api/rollup", params={"year": 2027}).json()
    assert [lv["code"] for lv in levels] == ["ADM", "DEP"]
    d = _level(web, "DEP")
    body = dep.get(f"/api/rollup/{d.id}").json()
    assert [(c["code"], c["state"]) for c in body["children"]] == [
        ("U1", "missing"),
        ("U2", "missing"),
    ]
    assert m2.get(f"/api/rollup/{d.id}").status_code == 404
    web.org.complete("dep@x.se", "level_summary", {"assessment": "Bra"}, d.cycle_id)
    blocked = dep.post(f"/api/cycles/{d.cycle_id}/stages/follow_up/sign-off")
    assert blocked.status_code == 409 and "Enhet 1" in blocked.text and "Enhet 2" in blocked.text
    waiver = {"unit": "U1", "reason": "Ny chef tillträdde i januari"}
    assert dep.post(f"/api/rollup/{d.id}/waivers", json=waiver).status_code == 403
    assert hr.post(f"/api/rollup/{d.id}/waivers", json={"unit": "U1"}).status_code == 422
    assert hr.post(f"/api/rollup/{d.id}/waivers", json=waiver).status_code == 204
    assert hr.get(f"/api/rollup/{d.id}/report", params={"format": "pdf"}).status_code == 200
    assert hr.post(f"/api/rollup/{d.id}/report").status_code == 409  # not closed yet

    browser = web.browser("hr@x.se")
    listing = browser.get("/rollup", params={"year": 2027})
    assert listing.status_code == 200 and f"/rollup/{d.id}" in listing.text
    page = browser.get(f"/rollup/{d.id}").text
    assert "Ny chef tillträdde i januari" in page and "Undantag för en underenhet" in page
    sent = browser.post(
        f"/rollup/{d.id}/waivers",
        data={"csrf_token": csrf_of(page), "unit": "U2", "reason": "Enheten lades ned"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert dep.post(f"/api/cycles/{d.cycle_id}/stages/follow_up/sign-off").status_code == 200
    assert web.browser("m2@x.se").get(f"/rollup/{d.id}").status_code == 404


def test_cli_rollup(web: Web) -> None:
    from cli.main import main

    base = ["--db", str(web.engine.settings.database_url)]
    assert main([*base, "rollup", "start", "--year", "2027", "--as", "hr@x.se"]) == 0
    assert main([*base, "rollup", "levels", "--year", "2027", "--as", "hr@x.se"]) == 0
    d = _level(web, "DEP")
    assert main([*base, "rollup", "waive", str(d.id), "U1", "   ", "--as", "hr@x.se"]) == 2
    assert main([*base, "rollup", "waive", str(d.id), "U1", "Skäl", "--as", "dep@x.se"]) == 4
    assert main([*base, "rollup", "waive", str(d.id), "U1", "Skäl", "--as", "hr@x.se"]) == 0
