"""Cooperation bodies, meetings, protocols signed by a union representative, MBL, and the
action plan fastställd through a meeting: end to end through the use cases, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.context import App
from engine.coop import bodies, meetings
from engine.db.models import AuditEvent
from engine.domain.errors import Conflict, ImportInvalid, InvalidInput, NotFound, NotPermitted
from engine.plans import establishment
from tests.coop.scenario import BODIES_CSV, build
from tests.factories import drive_to


def test_hr_imports_bodies_and_import_is_checked_row_by_row(app: App) -> None:
    c = build(app)
    hr = c.o.actor("hr@x.se")
    again = bodies.import_bodies(app, hr, BODIES_CSV)
    assert (again.bodies_created, again.members_added, again.unchanged) == (0, 0, 6)
    bad = "organ,enhet,typ,namn,epost,roll\nX,NOPE,fsg,X,dir@x.se,chair\nY,U1,zzz,Y,no@x.se,boss\n"
    with pytest.raises(ImportInvalid) as err:
        bodies.import_bodies(app, hr, bad, filename="b.csv")
    text = err.value.en
    for part in ("b.csv:2: enhet", "b.csv:3: typ", "b.csv:3: epost", "b.csv:3: roll"):
        assert part in text
    # a manager administers nothing: the rows of their own unit are refused, named
    with pytest.raises(ImportInvalid) as err:
        bodies.import_bodies(app, c.o.actor("m1@x.se"), "organ,enhet,typ,namn\nAPT1,U1,apt,APT\n")
    assert "outside your units" in err.value.en
    # a seat ends (kept on record): the representative no longer sees the body
    bodies.add_member(app, hr, "FSG-ADM", "fack2@x.se", "union_rep", organisation="Vision")
    assert "FSG-ADM" in {b.code for b in bodies.list_bodies(app, c.o.actor("fack2@x.se"))}
    assert bodies.end_member(app, hr, "FSG-ADM", "fack2@x.se", "union_rep") == 1
    assert "FSG-ADM" not in {b.code for b in bodies.list_bodies(app, c.o.actor("fack2@x.se"))}
    with pytest.raises(NotPermitted):
        bodies.add_member(app, c.o.actor("m1@x.se"), "LSG-U1", "anna@x.se", "employer")
    fsg = bodies.show_body(app, c.o.actor("dir@x.se"), "FSG-ADM")
    assert fsg.kind_label == "FSG"
    assert {(m.email, m.seat, m.organisation) for m in fsg.members} == {
        ("dir@x.se", "chair", ""),
        ("fack@x.se", "union_rep", "Vision"),
        ("hso@x.se", "safety_rep", "Kommunal"),
    }


def test_representatives_see_only_their_bodies(app: App) -> None:
    c = build(app)
    a = c.o.actor
    assert [b.code for b in bodies.list_bodies(app, a("fack@x.se"))] == ["FSG-ADM"]
    assert [b.code for b in bodies.list_bodies(app, a("fack2@x.se"))] == ["LSG-U1"]
    assert [b.code for b in bodies.list_bodies(app, a("so2@x.se"))] == []
    assert [b.code for b in bodies.list_bodies(app, a("anna@x.se"))] == []
    assert {b.code for b in bodies.list_bodies(app, a("hr@x.se"))} == {"FSG-ADM", "LSG-U1"}
    # the line above sees the unit's body; the manager of a sibling unit does not
    assert [b.code for b in bodies.list_bodies(app, a("dep@x.se"))] == ["LSG-U1"]
    assert [b.code for b in bodies.list_bodies(app, a("m2@x.se"))] == []
    meeting = meetings.create_meeting(app, a("m1@x.se"), "LSG-U1", date(2027, 2, 1))
    item = meetings.add_item(app, a("m1@x.se"), meeting, "Schema")
    for outsider in ("fack@x.se", "so2@x.se", "m2@x.se", "anna@x.se"):
        with pytest.raises(NotFound):
            meetings.show_meeting(app, a(outsider), meeting)
        with pytest.raises(NotFound):
            meetings.request_mbl(app, a(outsider), item)
        with pytest.raises(NotFound):
            bodies.show_body(app, a(outsider), "LSG-U1")
    assert (
        meetings.show_meeting(app, a("so1@x.se"), meeting).protocol["items"][0]["title"] == "Schema"
    )
    # a safety representative and the chair see but may not sign; only a union rep may
    for who in ("so1@x.se", "m1@x.se"):
        with pytest.raises(NotPermitted):
            meetings.sign_protocol(app, a(who), meeting)
    # the union side does not run the meeting
    with pytest.raises(NotPermitted):
        meetings.add_item(app, a("fack2@x.se"), meeting, "Annat")


def test_plan_is_established_only_when_decided_and_the_protocol_is_signed(app: App) -> None:
    c = build(app)
    o, a = c.o, c.o.actor
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "cooperation")
    meeting = meetings.create_meeting(app, a("dir@x.se"), "FSG-ADM", date(2027, 5, 20), "FSG maj")
    item = meetings.add_item(app, a("dir@x.se"), meeting, "Handlingsplan Enhet 1", "plan", cid)
    with pytest.raises(InvalidInput):  # what an item links to must exist
        meetings.add_item(app, a("dir@x.se"), meeting, "X", "plan", 999_999)
    with pytest.raises(Conflict) as refused:  # an item without an outcome holds signing
        meetings.sign_protocol(app, a("fack@x.se"), meeting)
    assert "punkt 1 (Handlingsplan Enhet 1) saknar beslut" in refused.value.sv
    with app.read() as s:
        gates = {u.gate for u in establishment.missing(s, cid)}
    assert gates == {"manager_decided", "protocol_signed", "item_recorded"}
    meetings.record_outcome(app, a("dir@x.se"), item, "decided", "Planen godkänns.")
    signed = meetings.sign_protocol(app, a("fack@x.se"), meeting)
    assert signed.established == [] and "chefen har inte beslutat planen" in signed.not_yet[cid]
    with pytest.raises(Conflict):  # a signed protocol is fixed
        meetings.record_outcome(app, a("dir@x.se"), item, "decided", "Ändrat")
    with pytest.raises(Conflict) as refused:
        meetings.establish_plan(app, a("m1@x.se"), cid)
    assert "the manager has not decided the plan" in refused.value.en
    o.complete("m1@x.se", "approve_manager", {"decision": "approve", "comment": "OK"}, cid)
    head = meetings.establish_plan(app, a("m1@x.se"), cid)
    assert head.text("sv") == "fastställd vid FSG 2027-05-20"
    assert head.text("en") == "established at FSG 2027-05-20"
    with app.read() as s:
        actions = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.chain == f"cycle:{cid}"))
        )
        coop_actions = list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.chain.like("coop:%"))
                .order_by(AuditEvent.id)
            )
        )
    assert actions.count("plan.established") == 1
    for action in (
        "coop.meeting_created",
        "coop.item_added",
        "coop.item_recorded",
        "coop.protocol_signed",
    ):
        assert action in coop_actions


def test_signing_establishes_a_decided_plan_and_mbl_is_shown(app: App) -> None:
    c = build(app)
    o, a = c.o, c.o.actor
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "cooperation")
    o.complete("m1@x.se", "approve_manager", {"decision": "approve", "comment": "OK"}, cid)
    first = meetings.create_meeting(app, a("m1@x.se"), "LSG-U1", date(2027, 4, 2))
    item = meetings.add_item(app, a("m1@x.se"), first, "Handlingsplan", "plan", cid)
    with pytest.raises(NotPermitted):  # a safety representative does not ask for MBL
        meetings.request_mbl(app, a("so1@x.se"), item)
    meetings.request_mbl(app, a("fack2@x.se"), item)
    with pytest.raises(Conflict):  # the item is now a negotiation
        meetings.record_outcome(app, a("m1@x.se"), item, "decided", "Beslut")
    signed = meetings.sign_protocol(app, a("fack2@x.se"), first)
    assert signed.established == []  # the negotiation has not ended
    meetings.end_mbl(app, a("m1@x.se"), item, "disagreement", "Facket anser bemanningen för låg.")
    with app.read() as s:
        head = establishment.header(s, cid)
    assert head is not None and head.text("sv") == "fastställd vid LSG 2027-04-02 (MBL: oenighet)"
    # a later meeting on the same plan: too late to ask for negotiation
    later = meetings.create_meeting(app, a("m1@x.se"), "LSG-U1", date(2027, 6, 1))
    again = meetings.add_item(app, a("m1@x.se"), later, "Handlingsplan, uppföljning", "plan", cid)
    with pytest.raises(Conflict) as refused:
        meetings.request_mbl(app, a("fack2@x.se"), again)
    assert "first meeting" in refused.value.en
    view = meetings.show_meeting(app, a("fack2@x.se"), first)
    (entry,) = view.protocol["items"]
    assert entry["mbl"]["result"] == "disagreement" and entry["mbl"]["organisation"] == "Kommunal"
    assert view.signed_by == "Fredrik Facklig" and view.digest
