"""Starting the year shows first what will happen (issue 13): how many units start, which
are held back for a missing manager or safety representative (with where to fix it), which
already have a cycle; only then HR confirms. The same dry run over the JSON API."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.context import Actor
from engine.db.models import Cycle
from engine.org import admin as org
from tests.api.conftest import Web, csrf_of
from tests.factories import people_csv, units_csv


def _add_unit_without_people(web: Web) -> int:
    units = units_csv() + "U3,Enhet 3,DEP,unit,12\n"
    org.import_org(web.engine, Actor.system("test"), units, people_csv())
    with web.engine.read() as s:
        from engine.db import queries

        return queries.unit_by_code(s, "U3").id


def _cycles(web: Web, year: int) -> int:
    with web.engine.read() as s:
        return int(s.scalar(select(func.count()).where(Cycle.year == year)) or 0)


def test_hr_previews_then_confirms_the_start(web: Web) -> None:
    u3 = _add_unit_without_people(web)
    client = web.browser("hr@x.se")
    form = client.get("/year").text
    assert 'action="/year/preview"' in form and 'action="/year/start"' not in form
    page = client.get("/year/preview", params={"year": "2028", "root": ""})
    assert page.status_code == 200
    text = page.text
    assert "<strong>4</strong> enheter startar" in text
    assert "<strong>1</strong> enhet hålls tillbaka" in text
    assert "<strong>0</strong> enheter har redan en cykel" in text
    held = text.split("Hålls tillbaka", 1)[1].split("</table>", 1)[0]
    assert f'<a href="/org/units/{u3}">Enhet 3</a>' in held and "Chef" in held
    assert "<td>Chef</td>" in held  # the role in words, not "manager"
    assert 'href="/org/import"' in text
    assert "Starta för 4 enheter" in text and 'name="confirm" value="4"' in text
    assert _cycles(web, 2028) == 0  # a preview starts nothing
    token = csrf_of(text)
    data = {"csrf_token": token, "year": "2028", "template": "", "root": ""}
    unconfirmed = client.post("/year/start", data=data, follow_redirects=False)
    assert unconfirmed.status_code == 200 and "Starta för 4 enheter" in unconfirmed.text
    stale = client.post("/year/start", data={**data, "confirm": "3"}, follow_redirects=False)
    assert stale.status_code == 409 and "Läget har ändrats" in stale.text
    assert _cycles(web, 2028) == 0
    started = client.post("/year/start", data={**data, "confirm": "4"}, follow_redirects=False)
    assert started.status_code == 303
    web.launcher.join(30)
    job = client.get(started.headers["location"]).text
    assert "Startade cykler: <strong>4</strong>" in job
    assert f'<a href="/org/units/{u3}">Enhet 3</a>' in job  # the result links the fix too
    assert _cycles(web, 2028) == 4
    runs = client.get("/year").text.split("Senaste körningar", 1)[1]
    assert "Start av året 2028, hela organisationen</a>: Klart" in runs  # not "#1 …: done"
    again = client.get("/year/preview", params={"year": "2028"})
    assert "<strong>4</strong> enheter har redan en cykel" in again.text
    assert len(re.findall(r'<li><a href="/cycles/\d+">', again.text)) == 4
    assert "Starta för" not in again.text and "Ingen enhet att starta" in again.text
    english = client.get("/year/preview", params={"year": "2028", "lang": "en"}).text
    assert "<strong>1</strong> unit is held back" in english, english[:300]


def test_preview_refuses_like_the_start(web: Web) -> None:
    rep = web.browser("so1@x.se")
    refused = rep.get("/year/preview", params={"year": "2028"})
    assert refused.status_code == 403 and "enheter startar" not in refused.text
    hr = web.browser("hr@x.se")
    bad = hr.get("/year/preview", params={"year": "tjugo"})
    assert bad.status_code == 422 and 'id="year-err"' in bad.text
    unknown = hr.get("/year/preview", params={"year": "2028", "root": "NOPE"})
    assert unknown.status_code == 422 and "ingen enhet har koden" in unknown.text


def test_dry_run_over_the_api(web_any: Web) -> None:
    u3 = _add_unit_without_people(web_any)
    hr = web_any.api("hr@x.se")
    got = hr.post("/api/jobs/start-year/dry-run", json={"year": 2027})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["year"] == 2027 and body["template"] == "sam-annual" and body["to_start"] == []
    assert {u["code"] for u in body["already"]} >= {"U1", "U2"}
    assert all(u["cycle_id"] for u in body["already"])
    assert body["held_back"] == [
        {
            "unit_id": u3,
            "code": "U3",
            "name": "Enhet 3",
            "missing": body["held_back"][0]["missing"],
            "cycle_id": None,
        }
    ]
    assert "manager" in body["held_back"][0]["missing"]
    assert _cycles(web_any, 2027) == len(body["already"])  # nothing written
    one = hr.post("/api/jobs/start-year/dry-run", json={"year": 2028, "root": "U1"}).json()
    assert [u["code"] for u in one["to_start"]] == ["U1"] and one["root"] == "U1"
    assert (
        web_any.api("so1@x.se")
        .post("/api/jobs/start-year/dry-run", json={"year": 2028})
        .status_code
        == 403
    )
    bad = hr.post("/api/jobs/start-year/dry-run", json={"year": 1999})
    assert bad.status_code == 422 and "2000" in bad.text


def test_the_year_starts_a_year_template_only(web: Web) -> None:
    """The template menu offered the case processes too, the first of them (a change's
    risk assessment) chosen: "Starta" would have opened one for every unit."""
    page = web.browser("hr@x.se").get("/year").text
    menu = page.split('id="template"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]+)"', menu) == ["sam-annual"]
    assert 'value="sam-annual" selected' in menu
    hr = web.api("hr@x.se")
    for path in ("/api/jobs/start-year", "/api/jobs/start-year/dry-run"):
        refused = hr.post(path, json={"year": 2028, "template": "change-assessment"})
        assert refused.status_code == 422 and "ärendeprocess" in refused.text, path
    assert _cycles(web, 2028) == 0
