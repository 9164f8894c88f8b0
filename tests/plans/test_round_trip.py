"""The printed plan (HTML) and the exported workbook (XLSX) hold the same content, and the
workbook reads back (through the import's own parser) as the plan it came from: every
area, measure, desired result, responsible, due period, follow-up point, evaluation and
dated status, each once."""

from __future__ import annotations

import html as html_lib
import io
import re

from openpyxl import load_workbook

from engine.context import App
from engine.domain.clock import FrozenClock
from engine.domain.imports.plan import parse_plan
from engine.plans import document, sheets
from engine.plans import importer as plan_import
from engine.plans.sheets import SheetLimits
from forms.exports import plan_docs
from tests.evidence.test_plan_document import PLAN, at_plan, doc_of


def _text(page: str) -> str:
    """The page's text as a reader sees it: tags gone, entities read, spaces collapsed."""
    body = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_html_and_xlsx_hold_the_same_plan_and_the_xlsx_reads_back_as_it(
    app: App, clock: FrozenClock
) -> None:
    o, cid = at_plan(app, clock)
    plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    doc = doc_of(app, cid)
    page = _text(plan_docs.plan_html(doc, "sv"))
    content = document.export_xlsx(doc)
    # the workbook, read by the import's parser, is the document's plan
    rows = sheets.read_rows("export.xlsx", content, SheetLimits.of(app.settings))
    parsed = parse_plan(rows, "export.xlsx", default_year=2027)
    assert [i.area for i in parsed.items] == [i["area"] for i in doc["items"]]
    assert parsed.header.title == doc["title"] and parsed.header.plan_date is not None
    for item, read in zip(doc["items"], parsed.items, strict=True):
        assert item["area"] in page
        assert len(read.measures) == len(item["measures"])
        for m, r in zip(item["measures"], read.measures, strict=True):
            assert (r.what, r.desired_result, r.responsible) == (
                m["what"], m["desired_result"], m["responsible"]
            )  # fmt: skip
            assert r.due.shown == m["due"]
            assert [f.period.shown for f in r.follow_ups if f.kind == "follow_up"] == m[
                "follow_ups"
            ]
            assert [f.period.shown for f in r.follow_ups if f.kind == "evaluation"] == m[
                "evaluations"
            ]
            # the same dated entries (the "Genomförd" column repeats the day it was done)
            history = {(h.about.isoformat() if h.about else None, h.note)
                       for h in r.ordered_statuses()}  # fmt: skip
            want = [(h["about"], h["note"] or h["reason"]) for h in m["history"]]
            assert history == set(want) | ({(m["done_on"], "")} if m["done_on"] else set())
            # and the printed plan shows the same: what, result, due, points, each status
            for text in (m["what"], m["desired_result"] or "–", m["due"], *m["follow_ups"]):
                assert re.sub(r"\s+", " ", text) in page, text
            for about, note in want:
                assert about in page and (not note or re.sub(r"\s+", " ", note) in page)
                assert page.count(re.sub(r"\s+", " ", note)) == 1 if note else True
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None and sheet["A1"].value == doc["title"]
