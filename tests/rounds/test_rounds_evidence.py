"""Safety rounds in the evidence package (issue 12 §2): per unit each round with its date,
the manager who led it, the safety representative's part, the checklist answered, every
finding with its risk level, what became a measure in the plan, the photos with their
SHA-256, and the earlier open findings the round reviewed; as of the package's moment, so
it verifies later, and an edit made outside samflow is named."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from engine.context import Actor, App
from engine.domain.clock import FrozenClock
from engine.evidence import package as evidence
from engine.evidence import verify as evidence_verify
from engine.rounds import rounds
from forms.exports.evidence_docs import evidence_html, evidence_pdf
from tests.evidence.test_evidence_package import pdf_text
from tests.factories import Org, build_org
from tests.rounds.scenario import FLOOR, JPEG, KNIVES, PROTOCOL, finish, open_round

SYSTEM = Actor.system("test")
MEASURE = {"what": "Halkfri matta", "responsible": "manager", "due_date": "2027-03-01"}


def _two_rounds(o: Org) -> dict[str, Any]:
    first = open_round(o)
    a = rounds.add_finding(o.app, o.actor("so1@x.se"), first.case_id, FLOOR,
                           [rounds.Photo("golv.jpg", JPEG)])  # fmt: skip
    b = rounds.add_finding(o.app, o.actor("m1@x.se"), first.case_id, KNIVES)
    rounds.to_plan(o.app, o.actor("m1@x.se"), a.id, {"measure": MEASURE})
    finish(o, first)
    rounds.close(o.app, o.actor("m1@x.se"), first.case_id)
    second = open_round(o, planned_on="2027-01-20")
    rounds.review(o.app, o.actor("m1@x.se"), second.case_id, a.id, {"outcome": "resolved"})
    rounds.review(o.app, o.actor("so1@x.se"), second.case_id, b.id,
                  {"outcome": "remains", "note": "Ny låda beställd"})  # fmt: skip
    finish(o, second, {**PROTOCOL, "answers": []})
    rounds.close(o.app, o.actor("m1@x.se"), second.case_id)
    return {"first": first, "second": second, "a": a, "b": b}


def _package(app: App, code: str = "U1") -> evidence.Built:
    return evidence.build(app, SYSTEM, evidence.Scope("unit", code, 2027))


def test_the_package_holds_each_round_of_the_unit(app: App) -> None:
    o = build_org(app)
    o.start()
    got = _two_rounds(o)
    built = _package(app)
    (unit,) = built.data["safety_rounds"]["units"]
    assert (unit["unit"], unit["unit_name"]) == ("U1", "Enhet 1")
    one, two = unit["rounds"]
    assert (one["planned_on"], one["status"], one["checklist"]["key"]) == (
        "2027-01-10",
        "closed",
        "kitchen",
    )
    assert one["closed_by"]["name"] == "Maja Chef"
    lead, rep = one["lead"], one["safety_rep"]
    assert (lead["status"], lead["by"]["name"], lead["role"]) == ("completed", "Maja Chef",
                                                                 "manager")  # fmt: skip
    assert lead["input"]["participants"] == "Maja Chef, Sven Skyddsombud"
    assert [(x["point"]["key"], x["answer"]) for x in lead["input"]["answers"]] == [
        ("floor", "finding"),
        ("knives", "finding"),
        ("heat", "ok"),
    ]
    assert lead["input"]["answers"][0]["point"]["sv"]  # named by the checklist's text
    assert (rep["by"]["name"], rep["role"], rep["input"]["took_part"]) == (
        "Sven Skyddsombud",
        "safety_rep",
        True,
    )
    floor, knives = one["findings"]
    assert (floor["number"], floor["level"], floor["place"]) == (1, "high", "Vid diskmaskinen")
    assert floor["status"] == "resolved" and knives["status"] == "open"  # reviewed in two
    assert floor["recorded_by"]["name"] == "Sven Skyddsombud"
    (photo,) = floor["photos"]
    assert (photo["filename"], photo["content_type"], photo["size"]) == (
        "golv.jpg",
        "image/jpeg",
        len(JPEG),
    )
    assert photo["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert "content" not in photo
    (measure,) = floor["plan"]["measures"]
    assert (measure["what"], measure["due"], measure["chain"]) == (
        "Halkfri matta",
        "2027-03-01",
        floor["plan"]["plan"],
    )
    assert knives["plan"] is None and knives["photos"] == []
    assert [(r["number"], r["outcome"], r["note"], r["round_on"]) for r in two["reviews"]] == [
        (1, "resolved", "", "2027-01-10"),
        (2, "remains", "Ny låda beställd", "2027-01-10"),
    ]
    assert two["reviews"][1]["by"]["name"] == "Sven Skyddsombud"
    assert two["findings"] == []
    # the rounds' own chains are part of the basis, their events in the log
    position = built.data["basis"]["position"]
    assert f"cycle:{got['first'].cycle_id}" in position
    assert f"cycle:{got['second'].cycle_id}" in position
    actions = {e["action"] for e in built.data["audit"]["events"]}
    assert {"safety_round.finding_added", "safety_round.finding_reviewed"} <= actions
    assert built.chain_of[f"round_finding:{got['a'].id}"] == f"cycle:{got['first'].cycle_id}"
    assert built.chain_of[measure["ref"]] == measure["chain"]  # the plan's chain, not the round's
    # another unit's package has none of them
    assert _package(app, "U2").data["safety_rounds"] == {"units": []}
    assert evidence_verify.verify(app, SYSTEM, built.document()).matches


def test_later_work_is_explained_and_an_edit_outside_is_named(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    o.start()
    got = _two_rounds(o)
    built = _package(app)
    clock.set(clock.now() + timedelta(days=1))
    # after the package: the remaining finding goes into the plan, a new round begins
    rounds.to_plan(o.app, o.actor("m1@x.se"), got["b"].id, {"measure": MEASURE})
    third = open_round(o, planned_on="2027-02-01")
    rounds.add_finding(o.app, o.actor("m1@x.se"), third.case_id, FLOOR)
    report = evidence_verify.verify(app, SYSTEM, built.document())
    assert report.file_intact
    # the plan's new item shows in the unit's cycle, traced to the plan's chain moving on
    # (the overview's count of measures names only the unit: it is not traced, as before)
    traced = [d for d in report.differences if d.path[0] != "overview"]
    assert traced and all(d.verdict != "unexplained" for d in traced), traced
    # as it stood then: the round's own section has not changed at all
    assert not [d for d in report.differences if d.path and d.path[0] == "safety_rounds"]

    with app.db.write() as s:  # made outside samflow: no audit event explains it
        s.execute(
            text("UPDATE round_finding SET description = 'Inget' WHERE id = :id"),
            {"id": got["a"].id},
        )
    report = evidence_verify.verify(app, SYSTEM, built.document())
    edited = [d for d in report.differences if d.path[-1] == "description"]
    assert edited and all(d.verdict != "explained" for d in edited)
    assert f"round_finding:{got['a'].id}" in edited[0].refs


def test_the_printed_package_lists_the_rounds(sqlite_app: App) -> None:
    o = build_org(sqlite_app)
    o.start()
    _two_rounds(o)
    doc = _package(sqlite_app).document()
    digest = hashlib.sha256(JPEG).hexdigest()
    sv = evidence_html(doc, "sv")
    for part in ("Skyddsronder under året", "Ledd av chefen", "Maja Chef", "deltog",
                 "Iakttagelse 1", "Vått och halt golv", "Hög", "Åtgärdad", "Öppen",
                 "Halkfri matta", "golv.jpg", digest, "Tidigare iakttagelse genomgången",
                 "Kvarstår", "Ny låda beställd"):  # fmt: skip
        assert part in sv, part
    en = evidence_html(doc, "en")
    for part in ("Safety rounds during the year", "Led by the manager", "took part",
                 "Finding 1", "High", "Resolved", "Earlier finding reviewed",
                 "Remains"):  # fmt: skip
        assert part in en, part
    words = pdf_text(evidence_pdf(doc, "sv"))
    for part in ("Skyddsronder under året", "golv.jpg", "Halkfri matta", "Kvarstår"):
        assert part in words, part
    assert digest[:16] in words.replace(" ", "")


def test_the_administrations_package_has_the_rounds_too(sqlite_app: App) -> None:
    o = build_org(sqlite_app)
    o.start()
    _two_rounds(o)
    built = evidence.build(sqlite_app, SYSTEM, evidence.Scope("subtree", "ADM", 2027))
    assert [u["unit"] for u in built.data["safety_rounds"]["units"]] == ["U1"]
    assert "Skyddsronder under året" in evidence_html(built.document(), "sv")
