"""The evidence package carries the bodies, their meetings and signed protocols, the plan
fastställd at a meeting (also in the printed plan's header) and the changes; the protocol
prints as HTML and PDF."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from engine.context import Actor, App
from engine.coop import changes, meetings
from engine.evidence import package as evidence
from engine.evidence import verify as evidence_verify
from forms.exports import case_docs
from forms.exports.evidence_docs import evidence_html
from tests.coop.scenario import build
from tests.coop.test_changes import CHANGE
from tests.factories import drive_to

SYSTEM = Actor.system("test")


def test_package_carries_bodies_protocols_establishment_and_changes(app: App) -> None:
    c = build(app)
    o, a = c.o, c.o.actor
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "cooperation")
    o.complete("m1@x.se", "approve_manager", {"decision": "approve", "comment": "OK"}, cid)
    reg = changes.register(app, a("hr@x.se"), changes.parse_registration(CHANGE))
    fsg = meetings.create_meeting(app, a("dir@x.se"), "FSG-ADM", date(2027, 5, 20), "FSG maj")
    plan_item = meetings.add_item(app, a("dir@x.se"), fsg, "Handlingsplan Enhet 1", "plan", cid)
    other = meetings.add_item(app, a("dir@x.se"), fsg, "Budget", "other")
    meetings.record_outcome(app, a("dir@x.se"), plan_item, "decided", "Planen fastställs.")
    meetings.record_outcome(app, a("dir@x.se"), other, "decided", "Noteras.")
    signed = meetings.sign_protocol(app, a("fack@x.se"), fsg)
    assert signed.established == [cid]
    lsg = meetings.create_meeting(app, a("m1@x.se"), "LSG-U1", date(2027, 2, 3))
    meetings.add_item(app, a("m1@x.se"), lsg, "Nytt schema", "change", reg.change_id)

    built = evidence.build(app, SYSTEM, evidence.Scope("unit", "U1", 2027))
    co = built.data["cooperation"]
    assert co["established"][0]["text"] == "fastställd vid FSG 2027-05-20"
    by_code = {b["code"]: b for b in co["bodies"]}
    assert set(by_code) == {"FSG-ADM", "LSG-U1"}
    (meeting,) = by_code["FSG-ADM"]["meetings"]
    # a body above the unit shows only the items about what is in scope
    assert [i["title"] for i in meeting["items"]] == ["Handlingsplan Enhet 1"]
    assert meeting["signed_by"]["name"] == "Frida Facklig" and meeting["digest"] == signed.digest
    assert by_code["LSG-U1"]["in_scope"] and not by_code["FSG-ADM"]["in_scope"]
    assert [ch["title"] for ch in built.data["changes"]] == ["Nytt schema i hemtjänsten"]
    chains = {ch["chain"] for ch in built.data["audit"]["chains"]}
    assert len([x for x in chains if x.startswith("coop:")]) == 2
    page = evidence_html(built.document())
    assert "Fastställd vid FSG" in page and "protokollet justerat" in page
    assert evidence_verify.verify(app, SYSTEM, built.document()).matches
    # a later change is traced to its event in the body's chain
    (lsg_item,) = meetings.show_meeting(app, a("m1@x.se"), lsg).protocol["items"]
    meetings.record_outcome(
        app, a("m1@x.se"), int(lsg_item["ref"].split(":")[1]), "decided", "Genomförs."
    )
    report = evidence_verify.verify(app, SYSTEM, built.document())
    assert not report.matches
    assert report.differences and all(d.explained_by or d.chain_moved for d in report.differences)


def test_protocol_prints_with_its_signature(app: App) -> None:
    c = build(app)
    a = c.o.actor
    m = meetings.create_meeting(app, a("m1@x.se"), "LSG-U1", date(2027, 2, 3), "LSG februari")
    item = meetings.add_item(app, a("m1@x.se"), m, "Bemanning i sommar")
    meetings.request_mbl(app, a("fack2@x.se"), item)
    meetings.end_mbl(app, a("m1@x.se"), item, "agreement", "Enighet om vikarier.")
    draft = meetings.protocol_document(app, a("fack2@x.se"), m)
    page = case_docs.html(
        draft, meetings.PROTOCOL_TEMPLATE, {"sv": "Protokoll", "en": "Minutes"}, "sv"
    )
    assert "UTKAST" in page and "MBL-förhandling" in page and "enighet" in page
    meetings.sign_protocol(app, a("fack2@x.se"), m)
    doc = meetings.protocol_document(app, a("fack2@x.se"), m)
    pdf = case_docs.pdf(doc, meetings.PROTOCOL_TEMPLATE, {"sv": "Protokoll", "en": "Minutes"}, "sv")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Justerat" in text and "Fredrik Facklig" in text and "UTKAST" not in text
    assert "Bemanning i sommar" in text
