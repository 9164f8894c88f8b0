"""A day of three roles in headless Chromium, each on a phone (390 px) and a desktop
(1,280 px), nothing wider than the window; screenshots of each step at both widths go to
tests/artifacts/journeys/ (kept as CI artifacts).

* HR starts the year: the preview (how many units start, which are held back for a missing
  manager, with the link that fixes it), then the confirmation and the job's result;
* the safety representative approves the plan: she sees what is approved and what the
  manager gave, and gives only her own decision and comment;
* the director's escalations on the home page: unit, holder, days overdue, a reminder
  sent with one click (once a day)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.accounts import signin as accounts
from engine.context import Actor
from engine.org import admin as org
from tests.api.conftest import PASSWORD
from tests.browser.conftest import ARTIFACTS, Served
from tests.factories import APPROVE, drive_to, people_csv, units_csv

pytestmark = pytest.mark.browser

WIDTHS = (390, 1280)
SHOTS = ARTIFACTS / "journeys"


def _signed_in(browser: Any, served: Served, email: str) -> Any:
    accounts.set_password(served.web.engine, Actor.system("test"), email, PASSWORD)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="sv-SE")
    page.set_default_timeout(15_000)
    page.goto(f"{served.url}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{served.url}/home")
    return page


def _shoot(page: Any, name: str) -> None:
    """The page at both widths (the phone last: the journey goes on there), each no wider
    than its window."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (*WIDTHS[1:], WIDTHS[0]):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name}: {wide} px wide at {width} px"
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_hr_previews_and_starts_the_year(served: Served, browser: Any) -> None:
    units = units_csv() + "U3,Enhet 3,DEP,unit,12\n"
    org.import_org(served.web.engine, Actor.system("test"), units, people_csv())
    page = _signed_in(browser, served, "hr@x.se")
    page.goto(f"{served.url}/year")
    page.get_by_label("År").fill("2028")
    page.get_by_role("button", name="Förhandsgranska").click()
    page.wait_for_url("**/year/preview?*")
    preview = page.locator("section.preview")
    assert "4 enheter startar" in preview.inner_text()
    assert "1 enhet hålls tillbaka" in preview.inner_text()
    fix = preview.get_by_role("link", name="Enhet 3")
    assert fix.get_attribute("href", timeout=1000).startswith("/org/units/")
    _shoot(page, "hr-year-preview")
    page.get_by_role("button", name="Starta för 4 enheter").click()
    page.wait_for_url("**/jobs/*")
    page.get_by_text("Startade cykler").wait_for()  # the page refreshes itself until done
    assert "Startade cykler: 4" in page.locator("main").inner_text()
    _shoot(page, "hr-year-started")
    page.close()


def test_safety_rep_gives_only_her_own_decision(served: Served, browser: Any) -> None:
    o, cycle = served.web.org, served.web.org.cycle_of("U1")
    drive_to(o, cycle, "cooperation")
    o.complete("m1@x.se", "approve_manager", {**APPROVE, "protocol_ref": "P-7"}, cycle)
    page = _signed_in(browser, served, "so1@x.se")
    page.goto(f"{served.url}/inbox")
    page.get_by_role("link", name="Godkännande – skyddsombud").first.click()
    main = page.locator("main")
    assert "Handlingsplanen som ska godkännas" in main.inner_text()
    assert "Beslut av Maja Chef" in main.inner_text() and "P-7" in main.inner_text()
    assert page.locator("[name=body], [name=protocol_ref], [name=established_on]").count() == 0
    assert page.get_by_role("button", name="Returnera uppgiften").count() == 0
    _shoot(page, "safety-rep-approval")
    page.get_by_label("Godkänn").check()
    page.get_by_label("Kommentar", exact=True).fill("Bra plan")
    page.get_by_role("button", name="Skicka in").click()
    page.wait_for_url("**/cycles/**")
    _shoot(page, "safety-rep-approved")
    page.close()


def test_director_reminds_from_the_escalations(served: Served, browser: Any) -> None:
    from datetime import timedelta

    from engine.workflow import sweeps

    o = served.web.org
    late = o.task("dep@x.se", "employee_survey", o.cycle_of("DEP"))
    served.web.clock.set(late.due_at + timedelta(days=3))
    sweeps.sweep(served.web.engine)  # the department's task goes straight to the director
    page = _signed_in(browser, served, "dir@x.se")
    section = page.locator("section[aria-labelledby=esc-title]")
    rows = section.locator("tbody tr")
    assert rows.count() >= 1
    first = rows.first
    assert first.locator("td.unit").inner_text().strip()
    assert "dag" in first.locator("td.due").inner_text()
    _shoot(page, "director-home")
    remind = section.get_by_role("button", name="Påminn")
    if remind.count() == 0:
        pytest.fail("no escalation the director may remind about")
    before = remind.count()
    remind.first.click()
    page.wait_for_url("**/home*")
    assert section.get_by_role("button", name="Påminn").count() == before - 1  # once a day
    _shoot(page, "director-reminded")
    page.close()
