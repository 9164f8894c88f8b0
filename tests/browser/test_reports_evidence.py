"""The report and evidence pages in headless Chromium, over a year with history: the
annual follow-up and the board report as pages (charts, no script, nothing the page's
security policy refuses), an evidence package downloaded and checked back. Screenshots go
to tests/artifacts/ (report-followup.png, report-board.png, evidence.png)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.accounts import signin as accounts
from engine.context import Actor
from tests.api.conftest import PASSWORD
from tests.browser.conftest import ARTIFACTS, Served

pytestmark = pytest.mark.browser


def _page(browser: Any, served: Served, email: str) -> tuple[Any, list[str]]:
    accounts.set_password(served.web.engine, Actor.system("test"), email, PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page.set_default_timeout(20_000)
    refused: list[str] = []  # what the browser refused (the page's policy) or failed to load
    page.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
    page.on(
        "response",
        lambda r: (
            refused.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(f"{served.url}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{served.url}/home")  # the home page answers "what next"
    return page, refused


def test_report_pages(served_history: Served, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, refused = _page(browser, served_history, "hr@x.se")
    page.get_by_role("link", name="Rapporter").click()
    page.get_by_label("År", exact=True).fill("2027")
    page.get_by_role("button", name="Visa").click()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().startswith("Årlig uppföljning av det systematiska")
    assert page.locator("article.report svg").count() == 3
    assert page.locator("tr.total").inner_text().startswith("Totalt")
    page.screenshot(path=str(ARTIFACTS / "report-followup.png"), full_page=True)
    page.get_by_role("link", name="Statusrapport till nämnden").click()
    assert "statusrapport till nämnden" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("heading", name="Kontrollspann").is_visible()
    page.screenshot(path=str(ARTIFACTS / "report-board.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner PDF").click()
    assert download.value.suggested_filename == "statusrapport-ADM-2027.pdf"
    assert refused == []


def test_evidence_page(served_history: Served, browser: Any, tmp_path: Any) -> None:
    page, refused = _page(browser, served_history, "m2@x.se")
    page.get_by_role("link", name="Underlag").click()
    page.get_by_label("År", exact=True).fill("2027")
    with page.expect_download() as download:
        page.get_by_role("button", name="Ladda ner PDF").click()
    assert download.value.suggested_filename == "underlag-U2-2027.pdf"
    saved = tmp_path / "underlag-U2-2027.pdf"
    download.value.save_as(saved)
    page.get_by_label("Underlag (PDF eller HTML)").set_input_files(str(saved))
    page.get_by_role("button", name="Kontrollera").click()
    verdict = page.get_by_role("status")
    assert "Paketet stämmer med databasen" in verdict.inner_text()
    page.screenshot(path=str(ARTIFACTS / "evidence.png"), full_page=True)
    assert refused == []
