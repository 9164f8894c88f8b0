"""Signing a cooperation protocol in the browser: the chair calls an LSG meeting, puts the
unit's action plan on the agenda and records the decision; the union representative opens
the protocol (on a 320 px phone) and signs it; the plan's page then shows it fastställd.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher

from api.app import create_app
from engine.accounts import signin as accounts
from engine.context import Actor, App
from engine.domain.clock import FrozenClock
from engine.settings import Settings
from tests.api.conftest import PASSWORD, Web
from tests.browser.conftest import ARTIFACTS, Served, serve
from tests.browser.test_plan_to_sign_off import _sign_in, _sign_out
from tests.coop.scenario import build
from tests.factories import drive_to

pytestmark = pytest.mark.browser


@pytest.fixture
def served_coop(sqlite_url: str, clock: FrozenClock) -> Iterator[Served]:
    app = create_app(Settings(database_url=sqlite_url), clock)
    engine: App = app.state.engine
    engine.cache["password_hasher"] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    c = build(engine)
    with serve(Web(app, engine, c.o, clock)) as s:
        yield s


def test_union_representative_signs_the_protocol(served_coop: Served, browser: Any) -> None:
    o = served_coop.web.org
    o.start()
    cycle = o.cycle_of("U1")
    drive_to(o, cycle, "cooperation")
    o.complete("m1@x.se", "approve_manager", {"decision": "approve", "comment": "OK"}, cycle)
    for email in ("m1@x.se", "fack2@x.se"):
        accounts.set_password(served_coop.web.engine, Actor.system("test"), email, PASSWORD)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page.set_default_timeout(10_000)

    _sign_in(page, served_coop, "m1@x.se")
    page.get_by_role("link", name="Samverkan").click()
    page.get_by_label("Datum").fill("2027-04-02")
    page.get_by_label("Rubrik").fill("LSG april")
    page.get_by_role("button", name="Skapa mötet").click()
    assert page.get_by_text("Mötet är skapat.").is_visible()
    page.get_by_label("Rubrik").fill("Handlingsplan 2027")
    # the plan chosen by what it is (its year and unit), not by a number
    page.get_by_label("Gäller").select_option(label="Handlingsplan 2027 – Enhet 1 – 2027-01-10")
    page.get_by_role("button", name="Lägg till", exact=True).click()
    page.get_by_label("Beslut", exact=True).fill("Handlingsplanen godkänns.")
    page.get_by_role("button", name="Protokollför").click()
    assert page.get_by_text("Beslutet är protokollfört.").is_visible()
    assert page.get_by_role("button", name="Justera protokollet").count() == 0
    meeting_url = page.url.split("?")[0]
    _sign_out(page)

    phone = browser.new_page(viewport={"width": 320, "height": 700}, locale="sv-SE")
    phone.set_default_timeout(10_000)
    _sign_in(phone, served_coop, "fack2@x.se")
    phone.goto(meeting_url)
    assert phone.get_by_text("Handlingsplanen godkänns.").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 330, f"the protocol page scrolls sideways at 320 px ({width})"
    phone.screenshot(path=str(ARTIFACTS / "coop-protocol-320.png"), full_page=True)
    phone.get_by_role("button", name="Justera protokollet").click()
    assert phone.get_by_text("Protokollet är justerat.").is_visible()
    assert phone.get_by_role("button", name="Justera protokollet").count() == 0
    phone.screenshot(path=str(ARTIFACTS / "coop-protocol-signed.png"), full_page=True)

    page.goto(f"{served_coop.url}/login")
    _sign_in(page, served_coop, "m1@x.se")
    page.goto(f"{served_coop.url}/cycles/{cycle}")
    assert page.get_by_text("Fastställd vid LSG").is_visible()
