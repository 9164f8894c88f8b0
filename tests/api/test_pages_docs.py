"""The pages for evidence, inspections, the audit log, reports and plan import: Swedish by
default, English on request, no JavaScript needed, refusals in words (never data)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import text

from engine.context import Actor
from engine.org import admin as org
from engine.views import cycle as cycle_views
from forms.exports import documents
from tests.api.conftest import Web, csrf_of
from tests.api.test_api_inspections import INSPECTION, register, requirement_tasks
from tests.evidence.test_plan_import import PLAN
from tests.factories import drive_to, people_csv, units_csv

NAV = ("/reports", "/evidence", "/inspections", "/audit")


def _nav(html: str) -> set[str]:
    nav = html[html.index("<nav") : html.index("</nav>")]
    return set(re.findall(r'href="(/[a-z/]*)"', nav))


def test_navigation_follows_the_roles(web: Web) -> None:
    for email, expected in (
        ("hr@x.se", set(NAV) | {"/year", "/overview"}),
        ("m1@x.se", set(NAV)),
        ("so1@x.se", set(NAV)),
        ("emp@x.se", set()),
    ):
        if email == "emp@x.se":
            extra = "emp@x.se,Erik Medarbetare,employee,U1,2020-01-01,\n"
            org.import_org(web.engine, Actor.system("t"), units_csv(), people_csv() + extra)
        links = _nav(web.browser(email).get("/inbox").text)
        assert links & (set(NAV) | {"/year", "/overview"}) == expected, email


# --- evidence -------------------------------------------------------------------------------
def test_evidence_page_downloads_and_verifies(hweb: Web) -> None:
    client = hweb.browser("m2@x.se")
    page = client.get("/evidence")
    assert page.status_code == 200 and "Underlag för Arbetsmiljöverket" in page.text
    assert '<option value="U2"' in page.text and '<option value="U1"' not in page.text
    form = {"csrf_token": csrf_of(page.text), "code": "U2", "year": "2027", "scope": "unit"}
    pdf = client.post("/evidence/package", data={**form, "lang": "sv", "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    html = client.post("/evidence/package", data={**form, "lang": "en", "format": "html"})
    assert documents.read_embedded(html.content) is not None
    # the untouched package matches; after a change made outside samflow it does not
    token = csrf_of(page.text)
    files = {"file": ("u2.html", html.content, "text/html")}
    ok = client.post("/evidence/verify", data={"csrf_token": token}, files=files)
    assert "Paketet stämmer med databasen" in ok.text and 'class="flash"' in ok.text
    measure = cycle_views.cycle_view(hweb.engine, hweb.org.cycle_of("U2")).plan[0].measures[1].id
    with hweb.engine.db.engine.begin() as conn:
        conn.execute(text("UPDATE measure SET what = 'Inget' WHERE id = :id"), {"id": measure})
    bad = client.post("/evidence/verify", data={"csrf_token": token}, files=files)
    assert "Paketet stämmer INTE med databasen" in bad.text
    assert f"U2 · measure:{measure} › what" in bad.text
    assert "Ändrad utan händelse i loggen" in bad.text and "Taklyft i två rum" in bad.text


def test_evidence_page_refusals_in_words(hweb: Web) -> None:
    client = hweb.browser("m1@x.se")
    token = csrf_of(client.get("/evidence").text)
    form = {"csrf_token": token, "code": "U1", "other_code": "U2", "year": "2027"}
    got = client.post(
        "/evidence/package", data={**form, "scope": "unit", "format": "pdf", "lang": "sv"}
    )
    assert got.status_code == 403 and "bara enhetens chefer" in got.text
    assert "Taklyft" not in got.text
    got = client.post(
        "/evidence/package",
        data={
            **form,
            "other_code": "",
            "year": "förra året",
            "scope": "unit",
            "format": "pdf",
            "lang": "sv",
        },
    )
    assert (
        got.status_code == 422 and 'aria-invalid="true" aria-describedby="ev-year-err"' in got.text
    )
    junk = client.post(
        "/evidence/verify", data={"csrf_token": token}, files={"file": ("x.pdf", b"%PDF-1.4 x")}
    )
    assert junk.status_code == 422 and "innehåller inga underlagsdata" in junk.text
    none = client.post("/evidence/verify", data={"csrf_token": token})
    assert none.status_code == 422 and "välj en fil" in none.text


def test_large_subtree_pdf_gets_a_progress_page(hweb: Web) -> None:
    hweb.engine.settings = hweb.engine.settings.model_copy(update={"evidence_direct_units": 2})
    client = hweb.browser("dir@x.se")
    token = csrf_of(client.get("/evidence").text)
    form = {"csrf_token": token, "code": "ADM", "year": "2027", "scope": "subtree", "lang": "sv"}
    got = client.post("/evidence/package", data={**form, "format": "pdf"}, follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"].startswith("/evidence/jobs/")
    job_url = got.headers["location"]
    hweb.documents.join(120)
    page = client.get(job_url)
    assert "Klart" in page.text and 'http-equiv="refresh"' not in page.text
    file = client.get(f"{job_url}/file")
    assert file.headers["content-type"] == "application/pdf"
    assert "underlag-ADM-2027-med-underenheter.pdf" in file.headers["content-disposition"]
    assert job_url.rsplit("/", 1)[1] in client.get("/evidence").text  # listed as recent
    other = hweb.browser("m1@x.se").get(job_url)
    assert other.status_code == 404 and "ADM" not in other.text


# --- inspections ----------------------------------------------------------------------------
def test_register_an_inspection_with_the_form(web: Web) -> None:
    client = web.browser("dir@x.se")
    page = client.get("/inspections")
    assert "Registrera en inspektion" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "unit": "DEP",
        "inspected_on": "2027-01-05",
        "reply_by": "2027-01-01",
        "reference": "2027/9",
        "requirements[0].text": "Undersök riskerna för hot och våld",
        "requirements[0].units": "U1, NOPE",
        "requirements[1].text": "",
    }
    more = client.post("/inspections", data={**form, "_action": "add"})
    assert more.status_code == 200 and more.text.count("<legend>Krav ") == 3
    bad = client.post("/inspections", data={**form, "_action": "register"})
    assert bad.status_code == 422
    assert 'id="reply_by-err"' in bad.text and "svarsdatum kan inte ligga före" in bad.text
    assert "Undersök riskerna för hot och våld" in bad.text  # the input is kept
    fixed = {**form, "reply_by": "2027-03-01", "requirements[0].units": "U1 NOPE"}
    bad = client.post("/inspections", data={**fixed, "_action": "register"})
    assert 'id="requirements-0-units-err"' in bad.text and "ingen enhet NOPE" in bad.text
    fixed["requirements[0].units"] = "U1"
    done = client.post(
        "/inspections", data={**fixed, "_action": "register"}, follow_redirects=False
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Inspektionen är registrerad" in page.text and "2027/9" in page.text
    assert "Maja Chef" in page.text  # who holds the requirement


def test_register_from_a_csv_file_names_the_line(web: Web) -> None:
    client = web.browser("hr@x.se")
    token = csrf_of(client.get("/inspections").text)
    csv = "krav,enheter,senast\nSkyddsrond,U1,2027-02-01\nRutin,U2,första mars\n"
    form = {
        "csrf_token": token,
        "unit": "DEP",
        "inspected_on": "2027-01-05",
        "reply_by": "2027-03-01",
    }
    got = client.post("/inspections/file", data=form, files={"file": ("krav.csv", csv.encode())})
    assert got.status_code == 422 and "krav.csv:3: due" in got.text


def test_inspection_page_and_the_reply(web: Web) -> None:
    inspection_id = register(web)
    client = web.browser("hr@x.se")
    page = client.get(f"/inspections/{inspection_id}")
    assert "Kraven och vem som har dem" in page.text and "3 svar saknas" in page.text
    preview = client.get(f"/inspections/{inspection_id}/reply?format=html")
    assert preview.headers["content-disposition"].startswith("attachment;")
    assert "svar-2027_4711-utkast.html" in preview.headers["content-disposition"]
    token = csrf_of(page.text)
    early = client.post(f"/inspections/{inspection_id}/reply", data={"csrf_token": token})
    assert early.status_code == 409 and "krav som ännu inte är besvarade" in early.text
    answer = {"actions": "Rutin framtagen", "done_on": "2027-02-01", "evidence": ["Rutin"]}
    for email in ("m1@x.se", "m2@x.se"):
        for task in requirement_tasks(web, email):
            web.api(email).post(f"/api/tasks/{task['task_id']}/complete", json={"data": answer})
    page = client.get(f"/inspections/{inspection_id}")
    assert "Alla krav är besvarade" in page.text and "Rutin framtagen" in page.text
    pdf = client.post(
        f"/inspections/{inspection_id}/reply", data={"csrf_token": token, "format": "pdf"}
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert "Svaret är upprättat" in client.get("/inspections").text
    denied = web.browser("m2@x.se").get(f"/inspections/{inspection_id}")
    assert denied.status_code == 404 and "2027/4711" not in denied.text


def test_requirement_task_form_names_the_requirement(web: Web) -> None:
    o = web.org
    drive_to(o, o.cycle_of("U1"), "cooperation")  # U1 has a plan with a measure
    measure = cycle_views.cycle_view(web.engine, o.cycle_of("U1")).plan[0].measures[0]
    register(web, {**INSPECTION, "unit": "U1", "requirements": [{"text": "Åtgärda lyften"}]})
    (task,) = requirement_tasks(web, "m1@x.se")
    client = web.browser("m1@x.se")
    page = client.get(f"/tasks/{task['task_id']}")
    assert "Krav 1 från Arbetsmiljöverket" in page.text and "Åtgärda lyften" in page.text
    assert '<textarea id="f-evidence" name="evidence"' in page.text
    assert f'name="measure_ids[0]" value="{measure.id}"' in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "_version": re.search(r'name="_version" value="(\d+)"', page.text).group(1),  # type: ignore[union-attr]
        "_action": "complete",
        "actions": "Taklyft beställd",
        "done_on": "2027-01-09",
        "evidence": "Beställning 2027-01-08\n\nProtokoll APT",
        "measure_ids[0]": str(measure.id),
    }
    done = client.post(f"/tasks/{task['task_id']}", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    detail = web.api("m1@x.se").get(f"/api/tasks/{task['task_id']}").json()
    assert detail["data"]["evidence"] == ["Beställning 2027-01-08", "Protokoll APT"]
    assert detail["data"]["measure_ids"] == [measure.id]
    shown = client.get(f"/tasks/{task['task_id']}").text
    assert "<li>Protokoll APT</li>" in shown and f"{measure.number} {measure.what}" in shown


# --- audit and reports ----------------------------------------------------------------------
def test_audit_page_filters_pages_and_exports(hweb: Web) -> None:
    client = hweb.browser("m2@x.se")
    page = client.get("/audit")  # the person's own units by default
    assert page.status_code == 200 and '<option value="U2" selected' in page.text
    assert "Uppgift returnerades" in page.text and "/audit.csv?unit=U2" in page.text
    returned = client.get("/audit", params={"unit": "U2", "action": "task.returned"})
    assert "<strong>1</strong> händelse ·" in returned.text  # was "1 händelser"
    hr = hweb.browser("hr@x.se")
    first = hr.get("/audit", params={"unit": ""})
    assert "sida 1 /" in first.text and 'rel="next"' in first.text
    second = hr.get("/audit", params={"unit": "", "page": "2"})
    assert 'rel="prev"' in second.text
    csv = client.get("/audit.csv", params={"unit": "U2", "action": "task.*"})
    assert csv.content.startswith("\ufeff".encode())
    assert "Uppgift returnerades" in csv.text and "task.returned" not in csv.text
    denied = client.get("/audit", params={"unit": "U1"})
    assert denied.status_code == 403 and "Enhet 1" not in denied.text.split("</nav>", 1)[1]
    bad = client.get("/audit", params={"unit": "U2", "from": "igår"})
    assert bad.status_code == 422 and "ÅÅÅÅ-MM-DD" in bad.text


def test_reports_pages(hweb: Web) -> None:
    client = hweb.browser("hr@x.se")
    page = client.get("/reports", params={"year": "2027"})
    assert page.status_code == 200 and "Årlig uppföljning av det systematiska" in page.text
    assert "<svg" in page.text and 'class="total"' in page.text and "style=" not in page.text
    board = client.get("/reports", params={"kind": "board", "year": "2027", "lang": "en"})
    assert "status report to the board" in board.text and "Span of control" in board.text
    pdf = client.get("/reports/board.pdf", params={"year": "2027", "root": "DEP"})
    assert pdf.headers["content-type"] == "application/pdf"
    mine = hweb.browser("m1@x.se").get("/reports", params={"year": "2027"})
    assert mine.status_code == 200 and "Enhet 1 (U1)" in mine.text  # their own unit
    other = hweb.browser("m1@x.se").get("/reports", params={"year": "2027", "root": "U2"})
    assert other.status_code == 403 and "Enhet 2" not in other.text.split("</nav>", 1)[1]
    assert client.get("/reports/other.pdf").status_code == 404


# --- plan import on the cycle page ------------------------------------------------------------
def test_plan_import_preview_then_import(web: Web) -> None:
    cycle = web.org.cycle_of("U1")
    client = web.browser("m1@x.se")
    page = client.get(f"/cycles/{cycle}")
    assert "Importera en befintlig handlingsplan" in page.text
    token = csrf_of(page.text)
    bad = PLAN.replace("2027-09-30", "snart")
    got = client.post(
        f"/cycles/{cycle}/plan-import",
        data={"csrf_token": token, "_action": "preview"},
        files={"file": ("plan.csv", bad.encode(), "text/csv")},
    )
    assert got.status_code == 422 and "plan.csv:3: Klart senast" in got.text
    got = client.post(
        f"/cycles/{cycle}/plan-import",
        data={"csrf_token": token, "_action": "preview"},
        files={"file": ("plan.csv", PLAN.encode(), "text/csv")},
    )
    assert got.status_code == 200 and "3 förbättringsområden, 4 åtgärder" in got.text
    assert cycle_views.cycle_view(web.engine, cycle).plan == []
    kept = re.search(r'name="content" value="([^"]+)"', got.text)
    assert kept is not None
    done = client.post(
        f"/cycles/{cycle}/plan-import",
        data={
            "csrf_token": token,
            "_action": "apply",
            "filename": "plan.csv",
            "content": kept.group(1),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Handlingsplanen är importerad" in client.get(done.headers["location"]).text
    assert len(cycle_views.cycle_view(web.engine, cycle).plan) == 3
    web.clock.advance(timedelta(days=1))
    refused = web.browser("so1@x.se").post(
        f"/cycles/{cycle}/plan-import",
        data={"csrf_token": csrf_of(client.get(f"/cycles/{cycle}").text), "_action": "preview"},
        files={"file": ("plan.csv", PLAN.encode())},
    )
    assert refused.status_code == 403


def test_pages_in_english(hweb: Web) -> None:
    client = hweb.browser("dir@x.se")
    for path, heading in (
        ("/evidence", "Evidence for Arbetsmiljöverket"),
        ("/inspections", "Inspections by Arbetsmiljöverket"),
        ("/audit", "The audit log"),
        ("/reports", "Annual follow-up of systematic work environment management"),
    ):
        page = client.get(path, params={"lang": "en"})
        assert page.status_code == 200 and heading in page.text, path
        assert '<html lang="en">' in page.text
    assert "Underlag för Arbetsmiljöverket" in client.get("/evidence", params={"lang": "sv"}).text


def test_someone_without_a_role_gets_words_not_data(web: Web) -> None:
    extra = "emp@x.se,Erik Medarbetare,employee,U1,2020-01-01,\n"
    org.import_org(web.engine, Actor.system("t"), units_csv(), people_csv() + extra)
    client = web.browser("emp@x.se")
    assert "ingen roll som ger tillgång" in client.get("/evidence").text
    reports_page = client.get("/reports")
    assert reports_page.status_code == 403 and "Enhet 1" not in reports_page.text
    audit = client.get("/audit")
    assert audit.status_code == 403 and "<table" not in audit.text
    assert client.get("/inspections").status_code == 200  # an empty list
