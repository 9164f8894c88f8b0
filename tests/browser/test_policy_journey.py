"""Policy, routines and knowledge through the pages (headless Chromium): HR writes the
work-environment policy on a desktop and is refused a version without text (84 employees:
written form required), a manager reads and acknowledges it on a phone (320 px, nothing
wider than the screen), HR records a manager's training and the knowledge page no longer
lists them. Screenshots: tests/artifacts/policy-*.png."""

from __future__ import annotations

from typing import Any

import pytest

from engine.accounts import signin as accounts
from engine.context import Actor
from tests.api.conftest import PASSWORD
from tests.browser.conftest import ARTIFACTS, Served

pytestmark = pytest.mark.browser


def _sign_in(browser: Any, served: Served, email: str, width: int) -> Any:
    accounts.set_password(served.web.engine, Actor.system("test"), email, PASSWORD)
    page = browser.new_page(viewport={"width": width, "height": 800}, locale="sv-SE")
    page.set_default_timeout(20_000)
    page.goto(f"{served.url}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{served.url}/home")
    return page


def _wide(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_policy_written_acknowledged_and_training_recorded(served: Served, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    hr = _sign_in(browser, served, "hr@x.se", 1280)
    hr.get_by_role("link", name="Policy och rutiner").click()
    assert "84 anställda" in hr.content()
    hr.get_by_label("Kortnamn (unikt)").fill("AMP")
    hr.get_by_label("Arbetsmiljöpolicy", exact=True).check()
    hr.get_by_label("Titel").fill("Arbetsmiljöpolicy")
    hr.get_by_label("HR", exact=True).check()
    hr.get_by_role("button", name="Spara dokumentet").click()
    assert "ska policyn och rutinerna vara skriftliga" in hr.content()  # refused: no text
    hr.screenshot(path=str(ARTIFACTS / "policy-refused.png"), full_page=True)
    hr.get_by_label("Text", exact=True).fill("Vi arbetar förebyggande med arbetsmiljön.")
    hr.get_by_role("button", name="Spara dokumentet").click()
    hr.wait_for_url("**/policy/AMP*")
    assert "Dokumentet är sparat." in hr.content()
    hr.screenshot(path=str(ARTIFACTS / "policy-document.png"), full_page=True)

    m1 = _sign_in(browser, served, "m1@x.se", 320)
    m1.goto(f"{served.url}/policy")
    assert "inte läst av dig" in m1.content()
    m1.get_by_role("link", name="Arbetsmiljöpolicy").click()
    assert _wide(m1) <= 320
    m1.get_by_role("button", name="Jag har läst den här versionen").click()
    assert "Du har kvitterat att du läst den här versionen." in m1.content()
    assert _wide(m1) <= 320
    m1.screenshot(path=str(ARTIFACTS / "policy-acknowledged-phone.png"), full_page=True)

    hr.goto(f"{served.url}/knowledge")
    assert "Maja Chef" in hr.locator(".notice").inner_text()  # lacks the knowledge
    hr.get_by_label("Personens e-post").fill("m1@x.se")
    hr.locator("#f-unit").select_option("U1")
    hr.get_by_label("Chef", exact=True).check()
    hr.get_by_label("Genomförd").fill("2026-09-01")
    hr.get_by_role("button", name="Registrera").click()
    assert "Utbildningen är registrerad." in hr.content()
    notice = hr.locator(".notice")
    assert notice.count() == 0 or "Maja Chef" not in notice.inner_text()
    hr.screenshot(path=str(ARTIFACTS / "policy-knowledge.png"), full_page=True)
