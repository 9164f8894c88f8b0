"""The unit manager's inbox on a phone (390 px): signed in she lands on her home page with
the year's wheel, opens the inbox, groups it by deadline, and every task is a card whose
title names the measure; nothing makes the page wider than the screen. Screenshots go to
tests/artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from engine.accounts import signin as accounts
from engine.context import Actor
from tests.api.conftest import PASSWORD
from tests.browser.conftest import ARTIFACTS, Served
from tests.factories import drive_to

pytestmark = pytest.mark.browser

WIDTH = 390


def _page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_manager_phone_inbox(served: Served, browser: Any) -> None:
    o = served.web.org
    drive_to(o, o.cycle_of("U1"), "follow_up")
    accounts.set_password(served.web.engine, Actor.system("test"), "m1@x.se", PASSWORD)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": WIDTH, "height": 844}, locale="sv-SE")
    page.set_default_timeout(10_000)
    page.goto(f"{served.url}/login")
    page.get_by_label("E-postadress").fill("m1@x.se")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{served.url}/home")
    assert page.get_by_role("heading", name="Årshjulet för Enhet 1 2027").is_visible()
    assert page.locator("ol.wheel li[aria-current='step']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "phone-home-390.png"), full_page=True)

    page.get_by_role("navigation").get_by_role("link", name="Inkorg").click()
    page.wait_for_url(f"{served.url}/inbox")
    page.get_by_label("Gruppera efter").select_option("deadline")
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url("**/inbox?*group=deadline*")
    cards = page.locator("table.tasks tbody tr")
    assert cards.count() >= 1
    first = cards.first.bounding_box()
    assert first is not None and first["width"] <= WIDTH  # a card, not a wide row
    titles = page.locator("table.tasks td.what a").all_inner_texts()
    follow = [t for t in titles if t.startswith("Följ upp åtgärd")]
    assert follow and all(t.startswith("Följ upp åtgärd: 1.") for t in follow)
    assert len(set(titles)) == len(titles)
    assert page.get_by_role("button", name="Ta uppgiften").count() == 0
    assert _page_width(page) <= WIDTH, "the inbox is wider than the phone"
    page.screenshot(path=str(ARTIFACTS / "phone-inbox-390.png"), full_page=True)

    # a follow-up task opens and reads well on the phone too
    page.locator("table.tasks td.what a").filter(has_text="Följ upp åtgärd").first.click()
    page.wait_for_url("**/tasks/*")
    assert page.get_by_role("heading", name="Åtgärden som följs upp").is_visible()
    page.close()
