"""The evidence package: its content, its digest, and verification against the database."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from engine.audit import log as audit
from engine.context import Actor, App
from engine.domain.clock import FrozenClock
from engine.domain.errors import NotPermitted
from engine.domain.evidence import normalised
from engine.evidence import package as evidence
from engine.evidence import verify as evidence_verify
from engine.plans import plan as plans
from engine.views import cycle as cycle_views
from forms.exports import documents
from forms.exports.evidence_docs import evidence_html, evidence_pdf
from tests.evidence.scenario import year_with_history
from tests.tampering import unprotected_audit

SYSTEM = Actor.system("test")


def unit_package(app: App, code: str = "U2") -> evidence.Built:
    return evidence.build(app, SYSTEM, evidence.Scope("unit", code, 2027))


def test_unit_package_holds_the_year(app: App, clock: FrozenClock) -> None:
    year_with_history(app, clock)
    built = unit_package(app)
    data = built.data
    assert normalised(data) == data  # JSON-native as built: what is digested is what is read
    u = data["units"][0]
    assert [(r["role"], r["person"]["name"]) for r in u["roles"]] == [
        ("manager", "Mats Chef"),
        ("safety_rep", "Siv Skyddsombud"),
    ]
    c = u["cycle"]
    assert c["survey"]["status"] == "suppressed" and "motivation" not in c["survey"]
    risks = c["risk_assessment"]["risks"]
    assert [(r["description"], r["level"], r["serious"]) for r in risks] == [
        ("Tunga lyft", "high", True),
        ("Stress", "medium", False),
    ]
    assert c["risk_assessment"]["by"]["name"] == "Dag Avdelningschef"  # after the return
    item = c["plan"]["items"][0]
    m1, m2 = item["measures"]
    assert item["area"] == "Tunga lyft" and m1["number"] == "1.1"
    assert (m1["what"], m1["desired_result"], m1["due"], m1["follow_up"]) == (
        "Utbildning i förflyttningsteknik",
        "Alla utbildade",
        "2027-03-31",
        "2027-04-15",
    )
    assert m1["responsible_role"]["role"] == "manager" and m1["overdue"] is True
    assert [h["event"] for h in m1["history"]] == ["create", "start"]
    assert m2["responsible_person"]["name"] == "Mats Chef"
    fsg = next(a for a in c["approvals"] if a["body"] == "FSG")
    assert (fsg["by"]["name"], fsg["established_on"], fsg["protocol_ref"]) == (
        "Siv Skyddsombud",
        "2027-02-10",
        "FSG 2027-02-10 §7",
    )
    (ret,) = c["returns"]
    assert ret["reason"] == "Saknar kunskap om hot och våld" and ret["to"]["unit"] == "DEP"
    (esc,) = c["escalations"]
    assert esc["key"] == "measure_follow_up" and esc["to"]["unit"] == "DEP"
    (ext,) = c["deadline_changes"]
    assert ext["reason"] == "Kursen flyttad av leverantören"
    assert ext["by"]["name"] == "Dag Avdelningschef"
    assert all(ch["ok"] for ch in data["audit"]["chains"])
    actions = {e["action"] for e in data["audit"]["events"]}
    assert {"task.returned", "task.escalated", "task.due_extended", "measure.created"} <= actions


def test_completed_unit_has_follow_ups_and_evaluation(app: App, clock: FrozenClock) -> None:
    year_with_history(app, clock)
    c = unit_package(app, "U1").data["units"][0]["cycle"]
    assert c["status"] == "completed" and c["survey"]["hme"] == 70.0
    (f,) = c["follow_ups"]
    assert f["status"] == "done" and f["effect_ok"] is True and f["number"] == "1.1"
    assert c["evaluation"]["input"]["findings"].startswith("Arbetet fungerar")
    assert all(s["status"] == "signed_off" for s in c["stages"])


def test_digest_is_stable_and_covers_the_content(app: App, clock: FrozenClock) -> None:
    year_with_history(app, clock)
    first, again = unit_package(app), unit_package(app)
    assert first.digest == again.digest and len(first.digest) == 64
    clock.advance(timedelta(minutes=1))  # built at another time: another package
    assert unit_package(app).digest != first.digest


def test_survey_threshold_raised_later_hides_figures(app: App, clock: FrozenClock) -> None:
    year_with_history(app, clock)
    assert unit_package(app, "U1").data["units"][0]["cycle"]["survey"]["status"] == "shown"
    strict = App(app.db, app.clock, app.settings.__class__(min_survey_answers=50), app.cache)
    survey = unit_package(strict, "U1").data["units"][0]["cycle"]["survey"]
    assert survey["status"] == "suppressed" and "hme" not in survey


def test_unit_manager_sees_own_unit_only(app: App, clock: FrozenClock) -> None:
    y = year_with_history(app, clock)
    scope = evidence.Scope("unit", "U1", 2027)
    assert evidence.build(app, y.o.actor("so1@x.se"), scope).data["units"][0]["code"] == "U1"
    with pytest.raises(NotPermitted):
        evidence.build(app, y.o.actor("m2@x.se"), scope)
    subtree = evidence.build(app, y.o.actor("dir@x.se"), evidence.Scope("subtree", "ADM", 2027))
    assert [u["code"] for u in subtree.data["units"]] == ["ADM", "DEP", "U1", "U2"]
    assert {o["code"]: o["approved"] is not None for o in subtree.data["overview"]} == {
        "ADM": False,
        "DEP": False,
        "U1": True,
        "U2": True,
    }


# --- verification -------------------------------------------------------------------------
def test_untouched_package_verifies(app: App, clock: FrozenClock) -> None:
    year_with_history(app, clock)
    doc = unit_package(app).document()
    clock.advance(timedelta(days=30))
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert report.matches and report.file_intact and report.total == 0


def test_tampered_plan_row_is_named(app: App, clock: FrozenClock) -> None:
    y = year_with_history(app, clock)
    doc = unit_package(app).document()
    measure = cycle_views.cycle_view(app, y.c2).plan[0].measures[1].id
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE measure SET what = 'Inget' WHERE id = :id"), {"id": measure})
    assert audit.verify(app).ok  # the log itself is intact: the change bypassed it
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert not report.matches and report.file_intact
    (d,) = report.differences
    assert d.path[-2:] == (f"measure:{measure}", "what") and (d.before, d.after) == (
        "Taklyft i två rum",
        "Inget",
    )
    assert d.verdict == "unexplained"
    assert evidence_verify.describe(d, doc["data"]) == f"U2 · measure:{measure} › what"


def test_tampered_audit_row_is_named(app: App, clock: FrozenClock) -> None:
    y = year_with_history(app, clock)
    doc = unit_package(app).document()
    with unprotected_audit(app), app.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_event SET actor_label = 'someone' WHERE chain = :c AND seq = 5"),
            {"c": f"cycle:{y.c2}"},
        )
    brk = audit.verify(app).breaks
    assert brk is not None and (brk[0].chain, brk[0].seq, brk[0].kind) == (
        f"cycle:{y.c2}",
        5,
        "altered",
    )
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert not report.matches
    assert [c["chain"] for c in report.broken_chains] == [f"cycle:{y.c2}"]
    where = {evidence_verify.describe(d, doc["data"]) for d in report.differences}
    assert any(w.startswith(f"event:cycle:{y.c2}#5 (") and w.endswith("actor") for w in where)


def test_later_work_is_told_apart_from_tampering(app: App, clock: FrozenClock) -> None:
    y = year_with_history(app, clock)
    doc = unit_package(app).document()
    measure = cycle_views.cycle_view(app, y.c2).plan[0].measures[1].id
    plans.update_measure(app, y.o.actor("m2@x.se"), measure, "in_progress", note="Beställd")
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert not report.matches
    changed = [d for d in report.differences if f"measure:{measure}" in d.refs]
    assert changed and all(d.verdict == "explained" for d in changed)
    assert any("measure.start" in e for d in changed for e in d.explained_by)


def test_altered_file_is_detected(app: App, clock: FrozenClock) -> None:
    year_with_history(app, clock)
    doc = unit_package(app).document()
    doc["data"]["units"][0]["cycle"]["plan"]["items"][0]["area"] = "Inget problem"
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert not report.file_intact and not report.matches
    assert report.differences[0].path[-1] == "area"


# --- documents ----------------------------------------------------------------------------
def pdf_text(content: bytes) -> str:
    """The text of every page, whitespace (line breaks in table cells) made single spaces."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(p.extract_text() for p in pages).split())


def test_pdf_reads_back_in_swedish_and_english(sqlite_app: App, clock: FrozenClock) -> None:
    year_with_history(sqlite_app, clock)
    doc = unit_package(sqlite_app).document("hr@x.se")
    content = evidence_pdf(doc, "sv")
    words = pdf_text(content)
    for expected in (
        "Handlingsplan",
        "Utbildning i förflyttningsteknik",
        "Alla utbildade",
        "Saknar kunskap om hot och våld",
        "Kursen flyttad av leverantören",
        "Färre än 5 svar",
        "FSG 2027-02-10 §7",
        "oförändrad sedan händelserna skrevs",
        doc["digest"],
        "1 / ",
    ):
        assert expected in words, expected
    assert documents.read_embedded(content) == doc
    english = pdf_text(evidence_pdf(doc, "en"))
    assert "Action plan" in english and "Handlingsplan" not in english


def test_html_embeds_the_data_safely(sqlite_app: App, clock: FrozenClock) -> None:
    y = year_with_history(sqlite_app, clock)
    measure = cycle_views.cycle_view(sqlite_app, y.c2).plan[0].measures[0].id
    with sqlite_app.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE measure SET what = :w WHERE id = :id"),
            {"w": "</script><script>alert(1)</script>", "id": measure},
        )
    doc = unit_package(sqlite_app).document()
    page = evidence_html(doc)
    assert "<script>alert(1)" not in page
    assert documents.read_embedded(page.encode()) == doc


def test_subtree_pdf_in_parts_and_workers(sqlite_app: App, clock: FrozenClock) -> None:
    y = year_with_history(sqlite_app, clock)
    doc = evidence.build(sqlite_app, y.o.actor("hr@x.se"), evidence.Scope("subtree", "ADM", 2027))
    one = evidence_pdf(doc.document(), units_per_part=1, workers=1)
    two = evidence_pdf(doc.document(), units_per_part=2, workers=2)
    assert pdf_text(one) == pdf_text(two)
    words = pdf_text(one)
    assert "Översikt per enhet" in words and "ingen årscykel startad" not in words
    assert f"cycle:{y.c1}" not in words and "Hela händelseförteckningen" in words
