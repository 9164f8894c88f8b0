"""The survey, absence and ROA doors: the JSON API and the pages (HR's import with a dry run
and the file kept between, the mapping form, results per unit with the chart's text
alternative), refusals with reasons in Swedish and English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.domain.clock import FrozenClock
from tests.api.conftest import Web, _close, csrf_of, make_web
from tests.surveys.scenario import MAPPING, answers, respondent_csv
from tests.surveys.test_absence_roa import ABSENCE

U1 = answers("U1", 6, [5, 5, 5, 4, 4, 4, 3, 3, 3])
U2 = answers("U2", 7, [4] * 9)
BODY = {k: v for k, v in MAPPING.items() if k != "key"}


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(sqlite_url, clock, start=False)
    yield w
    _close(w)


def test_api_mapping_import_and_results(web: Web) -> None:
    hr = web.api("hr@x.se")
    saved = hr.put("/api/surveys/mappings/enkatfabriken", json=BODY)
    assert saved.status_code == 200 and saved.json() == {"key": "enkatfabriken", "new": True}
    assert [m["key"] for m in hr.get("/api/surveys/mappings").json()] == ["enkatfabriken"]
    csv = respondent_csv(U1 + U2)
    dry = hr.post(
        "/api/surveys/import",
        data={"year": "2027", "dry_run": "true"},
        files={"file": ("svar.csv", csv)},
    )
    assert dry.status_code == 200 and dry.json()["applied"] is False, dry.text
    done = hr.post("/api/surveys/import", data={"year": "2027"}, files={"file": ("svar.csv", csv)})
    assert done.json()["applied"] and done.json()["shown"] == 4
    got = web.api("m1@x.se").get("/api/surveys/2027").json()
    assert [u["code"] for u in got["units"]] == ["U1"]
    assert got["units"][0]["now"]["hme"] == 75 and got["units"][0]["low"] == ["governance"]
    # refusals: a manager may not import; bad cells named; a bad year
    refused = web.api("m1@x.se").post(
        "/api/surveys/import", data={"year": "2027"}, files={"file": ("svar.csv", csv)}
    )
    assert refused.status_code == 403
    bad = hr.post(
        "/api/surveys/import",
        data={"year": "2027"},
        files={"file": ("svar.csv", respondent_csv([("U1", [9] * 9)]))},
        headers={"Accept-Language": "en"},
    )
    assert bad.status_code == 422
    paths = [e["path"] for e in bad.json()["errors"]]
    assert paths[0] == "svar.csv:2: B (Fråga 1)" and len(paths) == 9
    assert "not a whole number from 1 to 5" in bad.json()["errors"][0]["message"]
    assert hr.get("/api/surveys/1999").status_code == 422
    assert web.api("m1@x.se").get("/api/surveys/2027", params={"root": "U2"}).status_code == 404


def test_api_absence_and_roa(web: Web) -> None:
    hr = web.api("hr@x.se")
    got = hr.post("/api/absence/import", files={"file": ("f.csv", ABSENCE.encode())})
    assert got.status_code == 200 and got.json()["new"] == 8, got.text
    rows = {r["code"]: r for r in hr.get("/api/absence/2027").json()}
    assert rows["U1"]["short_term"] == 4.5 and rows["DEP"]["hidden"] is True
    proposed = hr.get("/api/roa/2027/proposals").json()
    assert [p["code"] for p in proposed] == ["U1"]
    made = hr.post("/api/roa/2027/selection", json={"units": ["U1"]})
    assert made.status_code == 201 and set(made.json()["cases"]) == {"U1"}
    assert hr.get("/api/roa/2027/selection").json()[0]["code"] == "U1"
    assert web.api("m1@x.se").get("/api/roa/2027/proposals").status_code == 403
    assert (
        web.api("m1@x.se").post("/api/roa/2027/selection", json={"units": ["U1"]}).status_code
        == 403
    )


def test_pages_import_with_a_dry_run_then_results(web: Web) -> None:
    hr = web.browser("hr@x.se")
    page = hr.get("/surveys/import")
    assert page.status_code == 200 and "Ingen mappning är sparad ännu." in page.text
    fields = {f"col_{q}": h for q, h in MAPPING["columns"].items()}  # type: ignore[union-attr]
    saved = hr.post(
        "/surveys/mappings",
        data={"csrf_token": csrf_of(page.text), "key": "enkatfabriken", "name": "Enkätfabriken",
              "layout": "respondent", "unit_column": "Enhet", "scale_low": "1",
              "scale_high": "5", **fields},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    page = hr.get("/surveys/import")
    checked = hr.post(
        "/surveys/import",
        data={"csrf_token": csrf_of(page.text), "year": "2027", "_action": "preview"},
        files={"file": ("svar.csv", respondent_csv(U1 + answers("U2", 3, [2] * 9)))},
    )
    assert checked.status_code == 200, checked.text[checked.text.find('class="problem"') :][:600]
    assert "Kontrollerat, inget sparat ännu" in checked.text
    assert "Genomför importen" in checked.text and 'name="kept"' in checked.text
    kept = checked.text.split('name="kept" value="')[1].split('"')[0]
    applied = hr.post(
        "/surveys/import",
        data={"csrf_token": csrf_of(checked.text), "year": "2027", "_action": "apply",
              "kept": kept, "filename": "svar.csv"},
        follow_redirects=False,
    )  # fmt: skip
    assert applied.status_code == 303 and "survey_imported" in applied.headers["location"]
    results = hr.get("/surveys?year=2027&root=DEP")
    assert results.status_code == 200
    assert (
        "Färre än 5 svar" in results.text and "Dold: skulle avslöja en mindre grupp" in results.text
    )
    assert 'role="img"' in results.text and '<title id="hme-chart-title">' in results.text
    manager = web.browser("m1@x.se")
    own = manager.get("/surveys?year=2027")
    assert own.status_code == 200 and "Enhet 1" in own.text and "Enhet 2" not in own.text
    assert manager.get("/surveys?year=2027&root=U2").status_code == 404
    assert manager.get("/surveys/import").status_code == 403
    en = hr.get("/surveys?year=2027&root=DEP&lang=en")
    assert "Fewer than 5 answers" in en.text


def test_pages_absence_and_roa(web: Web) -> None:
    hr = web.browser("hr@x.se")
    page = hr.get("/absence?year=2027")
    checked = hr.post(
        "/absence/import",
        data={"csrf_token": csrf_of(page.text), "_action": "preview"},
        files={"file": ("f.csv", ABSENCE.encode())},
    )
    assert checked.status_code == 200 and "Kontrollerat, inget sparat ännu" in checked.text
    kept = checked.text.split('name="kept" value="')[1].split('"')[0]
    done = hr.post(
        "/absence/import",
        data={"csrf_token": csrf_of(checked.text), "_action": "apply", "kept": kept,
              "filename": "f.csv"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    assert "För få anställda för att visas" in hr.get("/absence?year=2027").text
    page = hr.get("/roa?year=2027")
    assert page.status_code == 200 and 'value="U1"' in page.text
    confirmed = hr.post(
        "/roa?year=2027",
        data={"csrf_token": csrf_of(page.text), "unit": "U1", "note": "LSG"},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    listed = hr.get("/roa?year=2027").text
    case = "/cases/roa_review/" + listed.split('href="/cases/roa_review/')[1].split('"')[0]
    shown = hr.get(case)
    assert shown.status_code == 200 and "Chefen utbildad i riskorienterat arbetssätt" in shown.text
    assert hr.get("/cases/roa_review").status_code == 200
    assert hr.get("/cases/roa_review/new").status_code == 404
    assert web.browser("m1@x.se").get("/roa?year=2027").status_code == 403


def test_health_api_and_pages(web: Web) -> None:
    hr = web.api("hr@x.se")
    goal = {"title": "Minska korttidsfrånvaron", "measure": "korttid %", "target": 3,
            "direction": "at_most"}  # fmt: skip
    assert hr.put("/api/health/2027/goals/G1", json=goal).status_code == 200
    local = {"goal": "G1", "text": "Hälsosamtal", "status": "ongoing", "value": 2}
    plan = {"factors": ["leadership", "sam"], "challenges": "Vinter", "goals": [local]}
    manager = web.api("m1@x.se")
    assert manager.put("/api/health/2027/plans/U1", json=plan).status_code == 200
    assert manager.put("/api/health/2027/plans/U2", json=plan).status_code == 404
    assert web.api("so1@x.se").put("/api/health/2027/plans/U1", json=plan).status_code == 403
    bad = manager.put("/api/health/2027/plans/U1", json={**plan, "factors": ["sam"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "factors"
    dep = web.api("dep@x.se")
    made = dep.post("/api/health/2027/plans/U1/follow-ups", json={"comment": "Bra"})
    assert made.status_code == 201
    got = dep.get("/api/health/2027").json()
    assert got["progress"]["DEP"]["G1"] == {"planned": 0, "ongoing": 1, "done": 0, "reached": 1}
    assert got["units_without_plan"] == ["U2"]
    # pages: U2's manager draws up its plan through the form
    m2 = web.browser("m2@x.se")
    page = m2.get("/health?year=2027")
    assert page.status_code == 200 and "/health/plan?unit=U2" in page.text
    form = m2.get("/health/plan?unit=U2&year=2027")
    assert form.status_code == 200
    saved = m2.post(
        "/health/plan?unit=U2&year=2027",
        data={"csrf_token": csrf_of(form.text), "factor": ["fairness", "competence"],
              "challenges": "Schema", "goal_0": "G1", "text_0": "Nytt schema",
              "status_0": "done", "value_0": "2,5", "goal_1": "", "text_1": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    refused = m2.post(
        "/health/plan?unit=U2&year=2027",
        data={"csrf_token": csrf_of(form.text), "factor": ["fairness"], "challenges": "",
              "goal_0": "G1", "text_0": "x"},
    )  # fmt: skip
    assert refused.status_code == 422 and "välj två olika friskfaktorer" in refused.text
    assert m2.get("/health/plan?unit=U1&year=2027").status_code == 404  # not theirs to see
    assert web.browser("so2@x.se").get("/health/plan?unit=U2&year=2027").status_code == 403
    head = web.browser("dep@x.se")
    page = head.get("/health?year=2027")
    assert "Registrera uppföljningen" in page.text and "Nytt schema" in page.text
