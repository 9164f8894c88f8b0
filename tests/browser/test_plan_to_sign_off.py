"""A unit manager's year in the browser, from signing in to a signed-off cooperation stage:
inbox → action plan with one wrong field, corrected → sign-off blocked and why → both
approvals (the manager and the safety representative) → signed off. Screenshots of the
inbox and the cycle page go to tests/artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from engine.accounts import signin as accounts
from engine.context import Actor
from tests.api.conftest import PASSWORD
from tests.browser.conftest import ARTIFACTS, Served
from tests.factories import drive_to

pytestmark = pytest.mark.browser


def _sign_in(page: Any, served: Served, email: str) -> None:
    page.goto(f"{served.url}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{served.url}/home")  # the home page answers "what next"


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login")


def test_action_plan_to_signed_off_cooperation(served: Served, browser: Any) -> None:
    o, cycle = served.web.org, served.web.org.cycle_of("U1")
    drive_to(o, cycle, "action_plan")
    for email in ("m1@x.se", "so1@x.se"):
        accounts.set_password(served.web.engine, Actor.system("test"), email, PASSWORD)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page.set_default_timeout(10_000)

    _sign_in(page, served, "m1@x.se")
    page.get_by_role("navigation").get_by_role("link", name="Inkorg").click()
    assert page.get_by_role("heading", name="Inkorg").is_visible()
    page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)
    page.get_by_role("link", name="Upprätta handlingsplan").click()

    # the plan: the high risk is offered as the first area; the responsible (a picker:
    # role, position, group or person) is left unchosen
    page.get_by_label("Deltagare i framtagandet").fill("Chef och skyddsombud, APT")
    what = page.locator("#f-items-0-measures-0-what")
    responsible = page.locator("#f-items-0-measures-0-responsible")
    assert responsible.evaluate("e => e.tagName") == "SELECT"
    what.fill("Installera taklyft i två rum")
    page.locator("#f-items-0-measures-0-due_date").fill("2027-09-30")
    page.get_by_role("button", name="Skicka in").click()
    error = page.locator("#f-items-0-measures-0-responsible-err")
    assert error.is_visible()
    assert what.input_value() == "Installera taklyft i två rum"  # the input is kept
    assert responsible.get_attribute("aria-invalid") == "true"
    responsible.select_option(label="Chef")
    page.get_by_role("button", name="Skicka in").click()
    page.wait_for_url(f"**/cycles/{cycle}?done=completed")

    # sign off the plan; the cooperation stage, before anyone has approved, offers no
    # sign-off but one list of what is missing, each a link to where it is done
    page.get_by_role("button", name="Signera steget: Handlingsplan").click()
    page.wait_for_url(f"**/cycles/{cycle}?done=signed_off")
    assert page.get_by_role("button", name="Signera steget: Samverkan och godkännande").count() == 0
    missing = page.locator("ul.missing li")
    assert missing.count() == 2, missing.all_inner_texts()
    text = " ".join(missing.all_inner_texts())
    assert "Godkännande – skyddsombud" in text and "väntar på Sven Skyddsombud" in text
    assert missing.locator("a[href^='/tasks/']").count() == 2

    # the manager's approval
    page.goto(f"{served.url}/inbox")
    page.get_by_role("link", name="Godkännande – chef").click()
    page.get_by_label("Godkänn").check()
    page.get_by_label("Kommentar", exact=True).fill("Genomgången på APT")
    page.get_by_role("button", name="Skicka in").click()
    page.wait_for_url("**/cycles/**")
    _sign_out(page)

    # the safety representative's approval
    _sign_in(page, served, "so1@x.se")
    page.get_by_role("link", name="Godkännande – skyddsombud").click()
    assert page.get_by_text("Installera taklyft i två rum").is_visible()
    page.get_by_label("Godkänn").check()
    page.get_by_role("button", name="Skicka in").click()
    page.wait_for_url("**/cycles/**")
    _sign_out(page)

    # now the manager can sign the stage off
    _sign_in(page, served, "m1@x.se")
    page.goto(f"{served.url}/cycles/{cycle}")
    assert page.get_by_text("2 av 2 obligatoriska steg klara").is_visible()
    page.get_by_role("button", name="Signera steget: Samverkan och godkännande").click()
    page.wait_for_url(f"**/cycles/{cycle}?done=signed_off")
    assert page.get_by_role("status").inner_text() == "Steget är signerat."
    assert page.locator("li[aria-current=step]").inner_text().startswith("Uppföljning av åtgärder")
    page.screenshot(path=str(ARTIFACTS / "cycle.png"), full_page=True)
