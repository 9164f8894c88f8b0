"""A safety round on a phone (390 px wide, headless Chromium): the manager plans it from
the rounds page, records a finding with a photo from the camera input, sees the photo and
the risk level, and puts the finding into the action plan as a risk and a measure; the
safety representative reviews it in the next round. Nothing is wider than the screen.
Screenshots: tests/artifacts/round-finding.png, round-next.png."""

from __future__ import annotations

from typing import Any

import pytest

from engine.accounts import signin as accounts
from engine.context import Actor
from tests.api.conftest import PASSWORD
from tests.browser.conftest import ARTIFACTS, Served
from tests.rounds.scenario import JPEG

pytestmark = pytest.mark.browser
WIDTH = 390


def _wide(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _sign_in(browser: Any, served: Served, email: str) -> Any:
    accounts.set_password(served.web.engine, Actor.system("test"), email, PASSWORD)
    page = browser.new_page(viewport={"width": WIDTH, "height": 800}, locale="sv-SE")
    page.set_default_timeout(20_000)
    page.goto(f"{served.url}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{served.url}/home")
    return page


def test_a_safety_round_with_a_photo_on_a_phone(served: Served, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = _sign_in(browser, served, "m1@x.se")
    page.goto(f"{served.url}/rounds")
    page.get_by_role("link", name="Planera en skyddsrond").click()
    page.get_by_label("Kök", exact=True).check()
    page.get_by_label("Område").fill("Köket")
    page.get_by_role("button", name="Skicka").click()
    page.wait_for_url("**/rounds/*")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Skyddsrond")
    page.get_by_label("Checklistpunkt").select_option("floor")
    page.get_by_label("Plats").fill("Vid diskmaskinen")
    page.get_by_label("Vad såg ni?").fill("Vått och halt golv")
    page.get_by_label("Sannolikhet (1–4)").select_option("3")
    page.get_by_label("Konsekvens (1–4)").select_option("3")
    page.get_by_label("Foton").set_input_files(
        files=[{"name": "golv.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    page.get_by_role("button", name="Spara iakttagelse").click()
    page.wait_for_url("**/rounds/*?done=finding_added")
    assert "Iakttagelsen är sparad." in page.content()
    assert page.get_by_role("img", name="Foto av iakttagelse 1 (1)").count() == 1
    assert "Risknivå: Hög" in page.content()
    assert _wide(page) <= WIDTH
    page.screenshot(path=str(ARTIFACTS / "round-finding.png"), full_page=True)

    page.get_by_text("För in i handlingsplanen").click()
    page.get_by_label("Åtgärd").fill("Halkfri matta vid disken")
    page.get_by_label("Klart senast").fill("2027-03-01")
    page.get_by_role("button", name="Lägg till som risk och åtgärd").click()
    page.wait_for_url("**/rounds/*?done=finding_to_plan")
    assert "I handlingsplanen" in page.content()
    assert _wide(page) <= WIDTH
    round_url = page.url.split("?")[0]

    # the next round: the safety representative reviews the earlier finding on her phone
    web = served.web
    from engine.rounds import rounds

    nxt = rounds.plan(
        web.engine,
        web.org.actor("m1@x.se"),
        {"unit": "U1", "checklist": "general", "planned_on": "2027-01-20"},
    )
    rep = _sign_in(browser, served, "so1@x.se")
    rep.goto(f"{served.url}/rounds/{nxt.case_id}")
    assert "Tidigare iakttagelser att gå igenom" in rep.content()
    rep.get_by_label("Kvarstår").check()
    rep.get_by_label("Kommentar").fill("Mattan är beställd")
    rep.get_by_role("button", name="Spara bedömning").click()
    rep.wait_for_url("**/rounds/*?done=finding_reviewed")
    assert "Genomgången: Kvarstår" in rep.content()
    assert _wide(rep) <= WIDTH
    rep.screenshot(path=str(ARTIFACTS / "round-next.png"), full_page=True)
    assert page.goto(round_url) is not None
