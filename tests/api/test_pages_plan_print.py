"""The printed action plan over HTTP: the page, the PDF (landscape A4, page numbers, no
date broken inside itself) and the XLSX export show the same plan; 404 for others."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader

from engine.plans import importer as plan_import
from tests.api.conftest import Web
from tests.evidence.test_plan_document import IMPORT_DAY, PLAN
from tests.factories import drive_to


def test_the_plan_as_html_pdf_and_xlsx(web_any: Web) -> None:
    web, cid = web_any, web_any.org.cycle_of("U1")
    drive_to(web.org, cid, "action_plan")
    web.clock.set(IMPORT_DAY)
    plan_import.import_plan(web.engine, web.org.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    client = web.browser("m1@x.se")
    assert f'href="/cycles/{cid}/plan.pdf"' in client.get(f"/cycles/{cid}").text

    page = client.get(f"/cycles/{cid}/plan.html")
    assert (
        page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
    )
    html = page.text
    shown = ("Handlingsplan arbetsmiljö 2027 – Enhet 1", "Sara Skydd (Kommunal)", "Maja Chef",
             "hösten 2027", "Q4 2027", "kontinuerligt", "intervjuer gjorda",
             "2027-09-02")  # fmt: skip
    for text in shown:
        assert text in html, text
    assert "A4 landscape" in html and "{# the establishment" not in html
    assert html.count("offert begärd") == 1  # a note once, never "text (text)"

    pdf = client.get(f"/cycles/{cid}/plan.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.content))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    text = "\n".join(p.extract_text() for p in reader.pages)
    n = len(reader.pages)
    assert f"1 / {n}" in text  # page numbers
    for token in ("2027-09-02", "2027-10-13", "2027-06-01", "hösten 2027", "Uppföljning"):
        assert token in text, token  # each date and word whole, on one line
    assert not re.search(r"\d{4}-\d\d-\n", text)

    xlsx = client.get(f"/cycles/{cid}/plan.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "Handlingsplan arbetsmiljö 2027 – Enhet 1" in cells and "hösten 2027" in cells
    assert any("Pågår 2027-09-02 intervjuer gjorda" in c for c in cells)

    other = web.browser("m2@x.se")
    assert other.get(f"/cycles/{cid}/plan.pdf").status_code == 404
    assert client.get(f"/cycles/{cid}/plan.docx").status_code in (404, 422)
