"""The issue 8 reproducers over HTTP (API and pages), on SQLite and PostgreSQL: an import
outside one's rights is refused row by row, a held import is confirmed on the page by a
second HR person, jobs and their files answer 404 to strangers, people search is scoped."""

from __future__ import annotations

import re

from engine.context import Actor
from engine.evidence import jobs as evidence_jobs
from engine.evidence import package as evidence
from engine.org import admin as org
from engine.views import job_files
from tests.api.conftest import Web, csrf_of
from tests.rights_org import PEOPLE, UNITS, renamed, without

SYSTEM = Actor.system("test")


def _org(web: Web) -> None:
    org.import_org(web.engine, SYSTEM, UNITS, PEOPLE)


def test_api_import_outside_ones_rights_names_each_row(web_any: Web) -> None:
    _org(web_any)
    body = {
        "units_csv": renamed(UNITS, "U3", "Kapad"),
        "people_csv": PEOPLE + "dir1@x.se,Dina Avdelningsdirektör,director,ADM,,\n",
        "dry_run": False,
    }
    reply = web_any.api("dir1@x.se").post("/api/org/import", json=body)
    assert reply.status_code == 403, reply.text
    problem = reply.json()
    assert problem["code"] == "import_not_permitted"
    assert [(e["file"], e["line"], e["column"]) for e in problem["errors"]] == [
        ("units.csv", 7, "name"),
        ("people.csv", 16, "unit_code"),
    ]
    units = web_any.api("hr@x.se").get("/api/org/units").json()
    assert "Kapad" not in str(units)


def test_api_mass_ending_is_held_then_confirmed(web_any: Web) -> None:
    _org(web_any)
    fewer = without(PEOPLE, "m1@x.se", "so1@x.se", "emp@x.se")
    hr, hr2 = web_any.api("hr@x.se"), web_any.api("hr2@x.se")
    held = hr.post(
        "/api/org/import", json={"units_csv": UNITS, "people_csv": fewer, "dry_run": False}
    )
    assert held.status_code == 202 and held.json()["applied"] is False
    [pending] = hr2.get("/api/org/import/pending").json()
    assert pending["id"] == held.json()["held"] and pending["may_confirm"]
    url = f"/api/org/import/pending/{pending['id']}/confirm"
    mine = hr.post(url, json={"content_hash": pending["content_hash"]})
    assert mine.status_code == 403
    done = hr2.post(url, json={"content_hash": pending["content_hash"]})
    assert done.status_code == 200 and len(done.json()["roles_ended"]) == 3
    assert hr2.get("/api/org/import/pending").json() == []


def test_page_holds_an_import_and_a_second_hr_confirms_it(web: Web) -> None:
    _org(web)
    fewer = without(PEOPLE, "m1@x.se", "so1@x.se", "emp@x.se")
    first = web.browser("hr@x.se")
    token = csrf_of(first.get("/org/import").text)
    reply = first.post(
        "/org/import",
        data={"csrf_token": token, "_action": "apply", "units_csv": UNITS, "people_csv": fewer},
    )
    assert reply.status_code == 202 and "väntar på att en annan HR-person" in reply.text
    assert "Bekräfta och genomför" not in reply.text  # not for the one who asked
    second = web.browser("hr2@x.se")
    page = second.get("/org/import").text
    action = re.search(r'action="(/org/import/pending/\d+/confirm)"', page)
    digest = re.search(r'name="content_hash" value="([0-9a-f]{64})"', page)
    assert action and digest and "Avslutar 3 av 11 roller" in page
    confirmed = second.post(
        action.group(1),
        data={"csrf_token": csrf_of(page), "content_hash": digest.group(1)},
        follow_redirects=True,
    )
    assert "Importen är bekräftad och genomförd." in confirmed.text
    assert "Bekräfta och genomför" not in confirmed.text


def test_evidence_job_and_its_file_are_not_found_for_another_department(web_any: Web) -> None:
    """The probe: ``GET /api/evidence/jobs/2/file`` by another department's director."""
    _org(web_any)
    hr = web_any.org.actor("hr@x.se")
    job = evidence_jobs.request(
        web_any.engine, hr, evidence.Scope("subtree", "DEP2", 2027), "sv", "thread"
    )
    job_files.store(web_any.engine, job, "underlag.pdf", "application/pdf", b"%PDF-1 dep2")
    stranger = web_any.api("dir1@x.se")
    assert stranger.get(f"/api/evidence/jobs/{job}/file").status_code == 404
    assert stranger.get(f"/api/jobs/{job}").status_code == 404
    assert web_any.api("dep2@x.se").get(f"/api/evidence/jobs/{job}/file").content == (
        b"%PDF-1 dep2"
    )
    page = web_any.browser("dir1@x.se")
    assert page.get(f"/jobs/{job}").status_code == 404
    assert page.get(f"/evidence/jobs/{job}/file").status_code == 404


def test_an_employee_finds_only_their_own_units_people(web_any: Web) -> None:
    """The probe: an employee listed every person through ``/api/org/people?q=``."""
    _org(web_any)
    found = web_any.api("emp@x.se").get("/api/org/people", params={"q": "@x.se"}).json()
    assert {p["email"] for p in found} == {"m1@x.se", "so1@x.se", "emp@x.se"}
    page = web_any.browser("emp@x.se").get("/org/substitutes", params={"q": "@x.se"}).text
    assert "m1@x.se" in page and "m3@x.se" not in page and "dir@x.se" not in page
