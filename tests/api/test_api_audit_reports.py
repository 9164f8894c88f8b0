"""Audit search (filters, paging, CSV) and the reports (follow-up, board) over the API."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pypdf import PdfReader

from tests.api.conftest import Web


def test_audit_search_filters_and_pages(hweb_any: Web) -> None:
    hr = hweb_any.api("hr@x.se")
    everything = hr.get("/api/audit", params={"page_size": 10}).json()
    assert everything["total"] > 40 and len(everything["rows"]) == 10
    assert everything["pages"] == -(-everything["total"] // 10)
    second = hr.get("/api/audit", params={"page_size": 10, "page": 2}).json()
    assert {r["id"] for r in second["rows"]}.isdisjoint(r["id"] for r in everything["rows"])
    returned = hr.get("/api/audit", params={"action": "task.returned"}).json()
    assert returned["total"] == 1
    (row,) = returned["rows"]
    assert row["unit_code"] == "U2" and row["data"]["reason"] == "Saknar kunskap om hot och våld"
    tasks = hr.get("/api/audit", params={"action": "task.*", "unit": "U2"}).json()
    assert tasks["total"] > 5 and all(r["action"].startswith("task.") for r in tasks["rows"])
    assert all(r["unit_code"] == "U2" for r in tasks["rows"])
    subtree = hr.get("/api/audit", params={"unit": "DEP", "subtree": True}).json()
    only = hr.get("/api/audit", params={"unit": "DEP"}).json()
    assert subtree["total"] > only["total"]
    by = hr.get("/api/audit", params={"person": "dep@x.se"}).json()
    assert by["total"] >= 2 and {r["action"] for r in by["rows"]} >= {"task.due_extended"}
    later = hr.get("/api/audit", params={"from": "2027-04-16", "to": "2027-04-30"}).json()
    assert 0 < later["total"] < everything["total"]


def test_audit_cursor_pages_and_capped_total(hweb: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    hr = hweb.api("hr@x.se")
    first = hr.get("/api/audit", params={"page_size": 10}).json()
    assert first["capped"] is False and first["newer"] is None
    assert first["older"] == first["rows"][-1]["id"]
    older = hr.get("/api/audit", params={"page_size": 10, "before": first["older"]}).json()
    assert older["page"] == 2 and older["newer"] == older["rows"][0]["id"]
    by_number = hr.get("/api/audit", params={"page_size": 10, "page": 2}).json()
    assert [r["id"] for r in older["rows"]] == [r["id"] for r in by_number["rows"]]
    back = hr.get("/api/audit", params={"page_size": 10, "after": older["newer"]}).json()
    assert [r["id"] for r in back["rows"]] == [r["id"] for r in first["rows"]]
    monkeypatch.setattr("engine.audit.search.COUNT_CAP", 15)
    capped = hr.get("/api/audit", params={"page_size": 10}).json()
    assert capped["capped"] is True and capped["total"] == 15 and capped["pages"] == 2
    past = hr.get("/api/audit", params={"page_size": 10, "page": 3})
    assert past.status_code == 422 and "before" in past.text
    for bad in ({"before": 0}, {"after": 2**63}, {"before": "x"}, {"before": 10**12}):
        assert hr.get("/api/audit", params=bad).status_code == 422, bad
    page = hweb.browser("hr@x.se").get("/audit", params={"unit": "", "before": first["older"]})
    assert "fler än <strong>15</strong> händelser · sida 1 ·" in page.text  # (50 a page)
    assert f'after={older["newer"]}" rel="prev"' in page.text and 'rel="next"' in page.text
    english = hweb.browser("hr@x.se").get("/audit", params={"unit": "", "lang": "en"})
    assert "more than <strong>15</strong> events" in english.text


def test_audit_refusals(hweb: Web) -> None:
    m1 = hweb.api("m1@x.se")
    assert m1.get("/api/audit", params={"unit": "U1"}).status_code == 200
    denied = m1.get("/api/audit", params={"unit": "U2"})
    assert denied.status_code == 403 and "Enhet 2" not in denied.text
    assert m1.get("/api/audit").status_code == 403  # the whole organisation
    hr = hweb.api("hr@x.se")
    assert hr.get("/api/audit", params={"unit": "NOPE"}).status_code == 404
    assert hr.get("/api/audit", params={"person": "nobody@x.se"}).status_code == 404
    for bad in ({"page": 0}, {"page_size": 501}, {"from": "15/3"}, {"from": "0001-01-01"}):
        assert hr.get("/api/audit", params=bad).status_code == 422, bad


def test_audit_csv(hweb: Web) -> None:
    hr = hweb.api("hr@x.se")
    total = hr.get("/api/audit", params={"unit": "U2"}).json()["total"]
    got = hr.get("/api/audit/csv", params={"unit": "U2", "columns": "log"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "time", "chain"] and len(rows) == total + 1
    assert any("Saknar kunskap om hot och våld" in r[11] for r in rows[1:])
    # the default: for reading (local time, names, the action in words, no identifiers)
    readable = hr.get("/api/audit/csv", params={"unit": "U2", "lang": "sv"})
    rows = list(csv.reader(io.StringIO(readable.content.decode("utf-8-sig"))))
    assert rows[0] == ["Tid", "Vem", "För", "Händelse", "Gäller", "Enhet", "Skäl eller kommentar"]
    assert len(rows) == total + 1
    returned = [r for r in rows[1:] if r[3] == "Uppgift returnerades"]
    assert returned and returned[0][5] == "Enhet 2" and returned[0][1] == "Mats Chef"
    assert returned[0][4].startswith("Uppgift: ") and returned[0][6]  # its title, its reason
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[1][0])
    english = hr.get("/api/audit/csv", params={"unit": "U2", "lang": "en"})
    header = english.content.decode("utf-8-sig").splitlines()[0]
    assert header == "Time,Who,For,Action,Subject,Unit,Reason or comment"
    assert "Task returned" in english.content.decode("utf-8-sig")
    denied = hweb.api("m1@x.se").get("/api/audit/csv", params={"unit": "U2"})
    assert denied.status_code == 403 and denied.headers["content-type"] == "application/json"


def test_followup_report(hweb_any: Web) -> None:
    hr = hweb_any.api("hr@x.se")
    r = hr.get("/api/reports/followup", params={"year": 2027}).json()
    assert r["root_code"] == "ADM" and r["total"]["units"] == 4
    assert r["total"]["risk_signed"] == 2 and r["total"]["risk_share"] == 0.5
    assert r["total"]["returned"] == 1 and r["total"]["escalations"] >= 1
    html = hr.get("/api/reports/followup", params={"year": 2027, "format": "html"})
    assert "<svg" in html.text and "Årlig uppföljning" in html.text
    pdf = hr.get("/api/reports/followup", params={"year": 2027, "format": "pdf", "lang": "en"})
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Annual follow-up" in words


def test_board_report(hweb: Web) -> None:
    d = hweb.api("dir@x.se")
    r = d.get("/api/reports/board", params={"year": 2027, "root": "DEP"}).json()
    assert r["root_code"] == "DEP" and r["units"] == 3
    assert {a["key"] for a in r["activities"]} >= {"survey", "analysis"}
    assert r["span"]["buckets"][0][0] == "0–20"
    pdf = d.get("/api/reports/board", params={"year": 2027, "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"


def test_report_refusals(hweb: Web) -> None:
    m1 = hweb.api("m1@x.se")
    mine = m1.get("/api/reports/followup", params={"year": 2027, "root": "U1"})
    assert mine.status_code == 200 and mine.json()["total"]["units"] == 1
    assert m1.get("/api/reports/followup", params={"year": 2027}).status_code == 403
    assert m1.get("/api/reports/board", params={"year": 2027, "root": "U2"}).status_code == 403
    hr = hweb.api("hr@x.se")
    assert hr.get("/api/reports/board", params={"year": 2027, "root": "X"}).status_code == 404
    assert hr.get("/api/reports/board", params={"year": 1900}).status_code == 422
    assert hr.get("/api/reports/board", params={"year": 2027, "format": "xls"}).status_code == 422
