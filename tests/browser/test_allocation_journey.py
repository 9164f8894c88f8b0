"""A task allocation in the browser: the department's manager writes and signs the unit
manager's allocation; the unit manager, on a 320 px phone, accepts and signs it, then
returns one case of it (the survey) from the task's page, naming what is lacking; the
manager above sees the reason on the task and decides on the allocation's page; the chain
shows the unit accepted. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from engine.accounts import signin as accounts
from engine.context import Actor
from tests.api.conftest import PASSWORD
from tests.browser.conftest import ARTIFACTS, Served
from tests.browser.test_plan_to_sign_off import _sign_in, _sign_out

pytestmark = pytest.mark.browser


def _narrow(page: Any, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 330, f"{name} scrolls sideways at 320 px ({width})"
    page.screenshot(path=str(ARTIFACTS / f"allocation-{name}-320.png"), full_page=True)


def test_allocate_accept_return_and_decide(served: Served, browser: Any) -> None:
    for email in ("dep@x.se", "m1@x.se"):
        accounts.set_password(served.web.engine, Actor.system("test"), email, PASSWORD)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page.set_default_timeout(10_000)
    _sign_in(page, served, "dep@x.se")
    page.get_by_role("link", name="Uppgiftsfördelning").click()
    page.get_by_role("link", name="Enhet 1").click()
    box = page.get_by_role("group", name="Undersöka arbetsförhållandena och bedöma riskerna")
    box.get_by_label("Fördelas").check()
    box.get_by_label("Befogenheter").fill("Beslutar om undersökningar och skyddsronder")
    box.get_by_label("Resurser (pengar, personal, tid, utrustning)").fill("Fyra timmar i veckan")
    page.get_by_role("button", name="Skriv under och skicka").click()
    assert page.get_by_text("Fördelningen är erbjuden och underskriven av dig.").is_visible()
    allocation_url = page.url.split("?")[0]
    page.screenshot(path=str(ARTIFACTS / "allocation-offered.png"), full_page=True)
    _sign_out(page)

    phone = browser.new_page(viewport={"width": 320, "height": 700}, locale="sv-SE")
    phone.set_default_timeout(10_000)
    _sign_in(phone, served, "m1@x.se")
    phone.goto(allocation_url)
    assert phone.get_by_text("Beslutar om undersökningar och skyddsronder").is_visible()
    _narrow(phone, "offer")
    phone.get_by_role("button", name="Acceptera och skriv under").click()
    assert phone.get_by_text("Fördelningen är accepterad och underskriven.").is_visible()
    _narrow(phone, "accepted")
    phone.get_by_role("link", name="Inkorg").click()
    phone.get_by_role("link", name="Medarbetarenkät").first.click()
    task_url = phone.url
    phone.get_by_label("Skäl").fill("Ingen tid för enkäten i december")
    phone.get_by_label("Resurser").check()
    phone.get_by_role("button", name="Returnera uppgiften").click()
    assert phone.get_by_text("Uppgiften är returnerad uppåt i linjen.").is_visible()
    _sign_out(phone)

    _sign_in(page, served, "dep@x.se")
    new_task = next(
        i.task_id
        for i in served.web.org.inbox("dep@x.se")
        if i.key == "employee_survey" and f"/tasks/{i.task_id}" != task_url
        and i.unit_name == "Enhet 1"
    )  # fmt: skip
    page.goto(f"{served.url}/tasks/{new_task}")
    assert page.get_by_text("Ingen tid för enkäten i december").is_visible()
    assert page.get_by_text("Det här saknas: Resurser").is_visible()
    page.screenshot(path=str(ARTIFACTS / "allocation-returned-task.png"), full_page=True)
    page.get_by_role("link", name="Besluta om returneringen i uppgiftsfördelningen").click()
    page.get_by_label("Resurser ges – uppgiften går tillbaka").check()
    page.get_by_label("Vad som ges (vid resurser)").fill("Två timmar extra i veckan")
    page.get_by_role("button", name="Spara beslutet").click()
    assert page.get_by_text("Beslutet om returneringen är sparat.").is_visible()
    assert page.get_by_text("Två timmar extra i veckan").is_visible()
    page.screenshot(path=str(ARTIFACTS / "allocation-decided.png"), full_page=True)
    page.goto(f"{served.url}/allocations/chain")
    row = page.get_by_role("row", name="Enhet 1")
    assert row.get_by_text("Accepterad och underskriven").is_visible()
    page.screenshot(path=str(ARTIFACTS / "allocation-chain.png"), full_page=True)
