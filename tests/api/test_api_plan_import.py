"""Importing an action plan from a spreadsheet into a cycle over the API: a dry run shows
what the file holds; bad cells answer 422 with file, line and column; nothing half-done."""

from __future__ import annotations

import io

import httpx
from openpyxl import Workbook

from engine.views import cycle as cycle_views
from tests.api.conftest import Web
from tests.evidence.test_plan_import import PLAN
from tests.factories import drive_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _post(
    web: Web, email: str, cycle: int, name: str, content: bytes, **form: str
) -> httpx.Response:
    return web.api(email).post(
        f"/api/cycles/{cycle}/plan-import", data=form, files={"file": (name, content)}
    )


def test_dry_run_then_import(web_any: Web) -> None:
    web, cycle = web_any, web_any.org.cycle_of("U1")
    dry = _post(web, "m1@x.se", cycle, "plan.csv", PLAN.encode(), dry_run="true")
    out = dry.json()
    assert dry.status_code == 200 and not out["applied"]
    assert (out["items"], out["measures"], out["status_changes"]) == (3, 4, 3)
    assert out["rows"][0]["area"] == "Tunga lyft" and out["rows"][0]["measures"][1]["line"] == 4
    assert cycle_views.cycle_view(web.engine, cycle).plan == []  # nothing written
    done = _post(web, "m1@x.se", cycle, "plan.csv", PLAN.encode()).json()
    assert done["applied"] and done["measures"] == 4
    assert len(cycle_views.cycle_view(web.engine, cycle).plan) == 3


def test_xlsx(web: Web) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Område", "Åtgärd", "Ansvarig", "Klart senast"])
    sheet.append(["Buller", "Ljudabsorbenter", "enhetschef", "2027-10-01"])
    buf = io.BytesIO()
    book.save(buf)
    cycle = web.org.cycle_of("U1")
    got = _post(web, "m1@x.se", cycle, "plan.xlsx", buf.getvalue(), dry_run="true")
    assert got.status_code == 200, got.text
    assert got.json()["rows"][0]["measures"][0]["what"] == "Ljudabsorbenter"


def test_bad_cells_are_named_by_line_and_column(web: Web) -> None:
    bad = PLAN.replace("2027-09-30", "snart").replace("m1@x.se", "okand@x.se")
    got = _post(web, "m1@x.se", web.org.cycle_of("U1"), "plan.csv", bad.encode())
    assert got.status_code == 422
    errors = got.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(3, "Klart senast")]
    assert errors[0]["path"] == "plan.csv:3: Klart senast"
    assert cycle_views.cycle_view(web.engine, web.org.cycle_of("U1")).plan == []
    unknown = PLAN.replace("m1@x.se", "okand@x.se")
    got = _post(web, "m1@x.se", web.org.cycle_of("U1"), "plan.csv", unknown.encode())
    assert [(e["line"], e["column"]) for e in got.json()["errors"]] == [(4, "Ansvarig")]
    garbage = _post(web, "m1@x.se", web.org.cycle_of("U1"), "plan.xlsx", b"not a workbook")
    assert garbage.status_code == 422
    empty = _post(web, "m1@x.se", web.org.cycle_of("U1"), "plan.csv", b"")
    assert empty.status_code == 422


def test_who_and_when(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    assert _post(web, "so1@x.se", cycle, "p.csv", PLAN.encode()).status_code == 403
    assert _post(web, "m2@x.se", cycle, "p.csv", PLAN.encode()).status_code == 404
    assert _post(web, "dep@x.se", cycle, "p.csv", PLAN.encode(), dry_run="1").status_code == 200
    drive_to(o, cycle, "cooperation")
    late = _post(web, "m1@x.se", cycle, "p.csv", PLAN.encode())
    assert late.status_code == 409
