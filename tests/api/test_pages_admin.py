"""Pages for HR and the director, and the organisation pages: units, substitutes, CSV
import with a preview, starting the year with a progress page, the overview chart."""

from __future__ import annotations

import re

from tests.api.conftest import Web, csrf_of
from tests.factories import people_csv, units_csv


def test_navigation_shows_admin_pages_to_hr_only(web: Web) -> None:
    assert 'href="/year"' in web.browser("hr@x.se").get("/inbox").text
    assert 'href="/year"' not in web.browser("m1@x.se").get("/inbox").text


def test_org_pages_walk_the_tree_in_scope(web: Web) -> None:
    client = web.browser("dep@x.se")
    top = client.get("/org")
    assert "Avdelningen" in top.text and "Förvaltningen" not in top.text
    unit = client.get(f"/org/units/{web.org.units['U1']}")
    assert "Maja Chef" in unit.text and "Sven Skyddsombud" in unit.text and "2027" in unit.text
    assert client.get(f"/org/units/{web.org.units['ADM']}").status_code == 404


def test_substitutes_page(web: Web) -> None:
    client = web.browser("m1@x.se")
    token = csrf_of(client.get("/org/substitutes").text)
    bad = client.post(
        "/org/substitutes",
        data={
            "csrf_token": token,
            "person_email": "so1@x.se",
            "for_email": "m1@x.se",
            "valid_from": "2027-02-01",
            "valid_to": "igår",
        },
    )
    assert (
        bad.status_code == 422
        and 'id="s-valid_to-err"' in bad.text
        and 'value="so1@x.se"' in bad.text
    )
    ok = client.post(
        "/org/substitutes",
        data={
            "csrf_token": token,
            "person_email": "so1@x.se",
            "for_email": "m1@x.se",
            "valid_from": "2027-02-01",
            "valid_to": "2027-02-20",
            "reason": "Semester",
        },
    )
    assert ok.status_code == 200 and "Ersättaren är angiven." in ok.text and "Semester" in ok.text
    sub_id = re.search(r'action="/org/substitutes/(\d+)/end"', ok.text)
    assert sub_id is not None
    ended = client.post(f"/org/substitutes/{sub_id.group(1)}/end", data={"csrf_token": token})
    assert "Ersättningen är avslutad." in ended.text
    again = client.post(f"/org/substitutes/{sub_id.group(1)}/end", data={"csrf_token": token})
    assert again.status_code == 404


def test_import_preview_then_apply(web: Web) -> None:
    client = web.browser("hr@x.se")
    token = csrf_of(client.get("/org/import").text)
    units = units_csv() + "U3,Enhet 3,DEP,unit,12\n"
    people = people_csv(extra=("m3@x.se,Mia Chef,manager,U3,2020-01-01,",))
    preview = client.post(
        "/org/import",
        data={"csrf_token": token, "_action": "preview", "units_csv": units},
        files={"people_file": ("people.csv", ("\ufeff" + people).encode(), "text/csv")},
    )
    assert preview.status_code == 200 and "Det här ändras" in preview.text
    assert "Nya enheter: 1 (U3)" in preview.text and 'value="apply"' in preview.text
    assert "Enhet 3" not in client.get(f"/org/units/{web.org.units['DEP']}").text
    applied = client.post(
        "/org/import",
        data={"csrf_token": token, "_action": "apply", "units_csv": units, "people_csv": people},
    )
    assert "Importen är genomförd." in applied.text
    assert "Enhet 3" in client.get(f"/org/units/{web.org.units['DEP']}").text
    broken = client.post(
        "/org/import",
        data={"csrf_token": token, "units_csv": "code,name\nX,\n", "people_csv": people},
    )
    assert broken.status_code == 422 and "units.csv:1: parent_code" in broken.text
    ansi = client.post(  # Excel's "CSV" on Swedish Windows: Windows-1252
        "/org/import",
        data={"csrf_token": token, "_action": "preview", "units_csv": units},
        files={"people_file": ("people.csv", people.replace("Mia", "Åsa").encode("cp1252"))},
    )
    assert ansi.status_code == 200 and "Det här ändras" in ansi.text
    neither = client.post(
        "/org/import",
        data={"csrf_token": token, "_action": "preview", "units_csv": units},
        files={"people_file": ("people.csv", b"email,name\n\x81\n")},
    )
    assert neither.status_code == 422 and "people.csv:2" in neither.text
    assert "varken UTF-8-text" in neither.text


def test_import_by_a_manager_is_refused(web: Web) -> None:
    client = web.browser("m1@x.se")
    token = csrf_of(client.get("/org/import").text)
    reply = client.post(
        "/org/import",
        data={"csrf_token": token, "units_csv": units_csv(), "people_csv": people_csv()},
    )
    assert reply.status_code == 403 and "bara HR eller en direktör" in reply.text


def test_start_the_year_with_a_progress_page(web: Web) -> None:
    client = web.browser("hr@x.se")
    page = client.get("/year")
    assert "Hela organisationen" in page.text and 'value="2027"' in page.text
    token = csrf_of(page.text)
    bad = client.post("/year/start", data={"csrf_token": token, "year": "tjugotjugoåtta"})
    assert bad.status_code == 422 and 'id="year-err"' in bad.text
    started = client.post(
        "/year/start",
        data={"csrf_token": token, "year": "2028", "root": "", "confirm": "4"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    job_url = started.headers["location"]
    web.launcher.join(30)
    job = client.get(job_url)
    assert "Startade cykler: <strong>4</strong>" in job.text
    assert 'http-equiv="refresh"' not in job.text and 'value="100"' in job.text
    refused = web.browser("m1@x.se")
    token = csrf_of(refused.get("/year").text)
    assert (
        refused.post("/year/start", data={"csrf_token": token, "year": "2028"}).status_code == 403
    )


def test_job_page_refreshes_itself_while_running(web: Web) -> None:
    from engine.workflow.batch import jobs

    # a job another runner will take (the web app's own launcher would start a thread one)
    job_id = jobs.create(
        web.engine, web.org.actor("hr@x.se"), "start_year", {"year": 2029}, "prefect"
    )
    page = web.browser("hr@x.se").get(f"/jobs/{job_id}")
    assert '<meta http-equiv="refresh" content="1">' in page.text and "<progress" in page.text
    assert web.browser("m1@x.se").get(f"/jobs/{job_id}").status_code == 404


def test_overview_page_has_an_svg_chart_and_the_table(web: Web) -> None:
    client = web.browser("dir@x.se")
    page = client.get("/overview", params={"year": "2027"})
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text and 'role="img"' in page.text
    assert "<title>Kartläggning: 3</title>" in page.text
    assert "Avdelningen" in page.text and "Medarbetare per chef, median" in page.text
    assert "30" in page.text
    assert client.get("/overview", params={"year": "nonsense"}).status_code == 200


def test_substitutes_page_finds_people(web: Web) -> None:
    page = web.browser("m1@x.se").get("/org/substitutes", params={"q": "Sven"})
    assert "Sven Skyddsombud – so1@x.se" in page.text
    assert "Ingen träff." in web.browser("m2@x.se").get("/org/substitutes", params={"q": "zz"}).text
