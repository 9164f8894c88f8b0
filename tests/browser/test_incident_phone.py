"""An employee reports an incident from a phone (320 px wide, headless Chromium): the
short form from the navigation, a refusal naming the missing field, then the case page;
nothing wider than the screen. Screenshots: tests/artifacts/incident-form.png,
incident-case.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.accounts import signin as accounts
from engine.context import Actor
from engine.domain.clock import FrozenClock
from engine.org import admin as org
from tests.api.conftest import PASSWORD, make_web
from tests.browser.conftest import ARTIFACTS, Served, serve
from tests.factories import people_csv, units_csv

pytestmark = pytest.mark.browser


@pytest.fixture
def served_employee(sqlite_url: str, clock: FrozenClock) -> Iterator[Served]:
    web = make_web(sqlite_url, clock)
    extra = ("emp@x.se,Erik Medarbetare,employee,U1,2020-01-01,",)
    org.import_org(web.engine, Actor.system("test"), units_csv(), people_csv(extra=extra))
    with serve(web) as s:
        yield s


def _wide(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_employee_reports_an_incident_on_a_phone(served_employee: Served, browser: Any) -> None:
    served = served_employee
    ARTIFACTS.mkdir(exist_ok=True)
    accounts.set_password(served.web.engine, Actor.system("test"), "emp@x.se", PASSWORD)
    page = browser.new_page(viewport={"width": 320, "height": 640}, locale="sv-SE")
    page.set_default_timeout(20_000)
    page.goto(f"{served.url}/login")
    page.get_by_label("E-postadress").fill("emp@x.se")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{served.url}/home")
    page.get_by_role("link", name="Händelser").click()
    page.get_by_role("link", name="Rapportera en händelse").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Rapportera tillbud")
    page.get_by_label("Olycksfall").check()
    page.get_by_label("Klockslag").fill("07:15")
    page.get_by_label("Plats").fill("Lagret")
    page.get_by_role("button", name="Skicka").click()
    assert page.locator(".field-error").count() >= 1  # "what happened" is missing
    assert _wide(page) <= 320
    page.screenshot(path=str(ARTIFACTS / "incident-form.png"), full_page=True)
    page.get_by_label("Vad hände?").fill("Pall föll från hyllan")
    page.get_by_role("button", name="Skicka").click()
    page.wait_for_url("**/cases/incident/*")
    assert "Pall föll från hyllan" in page.content()
    assert "Utred orsaker och åtgärder" in page.content()
    assert _wide(page) <= 320
    page.screenshot(path=str(ARTIFACTS / "incident-case.png"), full_page=True)
