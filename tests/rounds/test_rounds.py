"""Safety rounds (issue 12 §2) through the use cases, on SQLite and PostgreSQL: led by the
manager with the safety representative taking part, findings with photos (limits checked
before any work), a finding into the plan as a risk and a measure in one step, and the next
round closes only when the earlier open findings are reviewed (each one named)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.context import App
from engine.db.models import ActionItem, AuditEvent, Cycle, Measure
from engine.db.models.duties.rounds import RoundFinding
from engine.db.models.people.accounts import Attachment
from engine.domain.errors import GateBlocked, InvalidInput, NotFound, NotPermitted
from engine.rounds import rounds
from engine.workflow import templates
from forms import checklists
from tests.factories import Org, build_org
from tests.rounds.scenario import FLOOR, JPEG, KNIVES, PROTOCOL, finish, open_round


@pytest.fixture
def o(app: App) -> Org:
    org = build_org(app)
    org.start()
    return org


def _count(o: Org, model: type) -> int:
    with o.app.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_the_annual_cycle_gives_the_round_to_the_manager() -> None:
    t = templates.parse(templates.text_for("sam-annual"), "sam-annual")
    assert t.task("safety_round").role == "manager"
    assert t.version == 2


def test_checklists_are_data() -> None:
    lists = checklists.all_checklists()
    assert {"general", "office", "kitchen", "home_care"} <= set(lists)
    assert lists["kitchen"].point("floor") is not None
    with pytest.raises(ValueError):
        checklists.parse("key: x\ntitle: {sv: a, en: b}\npoints: []\n", "x")


def test_a_round_led_by_the_manager_with_the_safety_rep(o: Org) -> None:
    out = open_round(o)
    assert {i.key for i in o.inbox("m1@x.se") if i.cycle_id == out.cycle_id} == {"lead_round"}
    assert {i.key for i in o.inbox("so1@x.se") if i.cycle_id == out.cycle_id} == {"take_part"}
    # a safety representative cannot open one; an unknown checklist is named
    with pytest.raises(NotPermitted):
        rounds.plan(
            o.app,
            o.actor("so1@x.se"),
            {"unit": "U1", "checklist": "kitchen", "planned_on": "2027-01-10"},
        )
    with pytest.raises(InvalidInput) as bad:
        open_round(o, checklist="garage")
    assert bad.value.errors[0].path == "checklist"


def test_findings_with_photos_and_their_limits(o: Org) -> None:
    out = open_round(o)
    before = (_count(o, RoundFinding), _count(o, Attachment))
    with pytest.raises(InvalidInput) as bad:
        rounds.add_finding(
            o.app,
            o.actor("so1@x.se"),
            out.case_id,
            FLOOR,
            [rounds.Photo("a.jpg", JPEG), rounds.Photo("x.jpg", b"not an image")],
        )
    assert [e.path for e in bad.value.errors] == ["photos[1]"]
    big = rounds.Photo("big.jpg", JPEG[:4] + b"\x00" * (o.app.settings.round_photo_max_bytes + 1))
    with pytest.raises(InvalidInput) as bad:
        rounds.add_finding(o.app, o.actor("so1@x.se"), out.case_id, FLOOR, [big])
    assert bad.value.errors[0].path == "photos[0]"
    many = [rounds.Photo("a.jpg", JPEG)] * (o.app.settings.round_photos_max + 1)
    with pytest.raises(InvalidInput):
        rounds.add_finding(o.app, o.actor("so1@x.se"), out.case_id, FLOOR, many)
    with pytest.raises(InvalidInput) as bad:
        rounds.add_finding(o.app, o.actor("so1@x.se"), out.case_id, {**FLOOR, "probability": 7})
    assert bad.value.errors[0].path == "probability"
    assert (_count(o, RoundFinding), _count(o, Attachment)) == before  # nothing half-written

    f = rounds.add_finding(
        o.app, o.actor("so1@x.se"), out.case_id, FLOOR, [rounds.Photo("golv.jpg", JPEG)]
    )
    assert (f.number, f.photos) == (1, 1)
    shown = rounds.show(o.app, o.actor("m1@x.se"), out.case_id)
    row = shown.findings[0]
    assert row.level.key == "high" and row.point_sv.startswith("Golvet")
    info, content = rounds.photo(o.app, o.actor("m1@x.se"), row.photos[0])
    assert content == JPEG and info.content_type == "image/jpeg"
    with o.app.read() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "safety_round.finding_added"))
    assert ev is not None and ev.chain == f"cycle:{out.cycle_id}"
    # someone who may not see the unit: 404 for the round and the photo
    with pytest.raises(NotFound):
        rounds.show(o.app, o.actor("m2@x.se"), out.case_id)
    with pytest.raises(NotFound):
        rounds.photo(o.app, o.actor("m2@x.se"), row.photos[0])
    with pytest.raises(NotFound):
        rounds.add_finding(o.app, o.actor("m2@x.se"), out.case_id, KNIVES)


def test_a_finding_becomes_a_risk_and_a_measure_in_one_step(o: Org) -> None:
    out = open_round(o)
    f = rounds.add_finding(o.app, o.actor("m1@x.se"), out.case_id, FLOOR)
    measure = {"what": "Halkfri matta", "responsible": "manager", "due_date": "2027-03-01"}
    with pytest.raises(NotPermitted):
        rounds.to_plan(o.app, o.actor("so1@x.se"), f.id, {"measure": measure})
    got = rounds.to_plan(o.app, o.actor("m1@x.se"), f.id, {"measure": measure})
    with o.app.read() as s:
        item = s.scalar(
            select(ActionItem).where(
                ActionItem.cycle_id == got["plan_cycle_id"], ActionItem.number == got["item"]
            )
        )
        assert item is not None and (item.probability, item.consequence) == (3, 3)
        assert "Vått och halt golv" in item.area
        m = s.scalar(select(Measure).where(Measure.action_item_id == item.id))
        assert m is not None and m.what == "Halkfri matta"
        plan = s.get(Cycle, got["plan_cycle_id"])
        assert plan is not None and (plan.instance, plan.unit_id) == ("", o.units["U1"])
    assert rounds.show(o.app, o.actor("m1@x.se"), out.case_id).findings[0].status == "in_plan"


def test_the_protocol_answers_the_rounds_checklist(o: Org) -> None:
    out = open_round(o)
    rounds.add_finding(o.app, o.actor("m1@x.se"), out.case_id, FLOOR)
    with pytest.raises(InvalidInput) as bad:
        o.complete(
            "m1@x.se",
            "lead_round",
            {
                **PROTOCOL,
                "answers": [
                    {"point": "floor", "answer": "finding"},
                    {"point": "knives", "answer": "finding"},  # no finding recorded for it
                    {"point": "garage", "answer": "ok"},  # not on the checklist
                ],
            },
            out.cycle_id,
        )
    assert [e.path for e in bad.value.errors] == ["answers[1].answer", "answers[2].point"]


def test_the_next_round_closes_only_when_earlier_findings_are_reviewed(o: Org) -> None:
    first = open_round(o)
    a = rounds.add_finding(o.app, o.actor("m1@x.se"), first.case_id, FLOOR)
    b = rounds.add_finding(o.app, o.actor("so1@x.se"), first.case_id, KNIVES)
    finish(o, first)
    rounds.close(o.app, o.actor("m1@x.se"), first.case_id)  # nothing earlier to review

    second = open_round(o, planned_on="2027-01-20")
    finish(o, second, {**PROTOCOL, "answers": []})
    with pytest.raises(GateBlocked) as blocked:
        rounds.close(o.app, o.actor("m1@x.se"), second.case_id)
    named = [u for u in blocked.value.unmet if u.gate == "findings_reviewed"]
    assert [u.subject for u in named] == [f"finding:{a.id}", f"finding:{b.id}"]
    assert "Vått och halt golv" in named[0].message_sv and "Knivar" in named[1].message_sv
    shown = rounds.show(o.app, o.actor("m1@x.se"), second.case_id)
    assert [r.id for r in shown.earlier] == [a.id, b.id] and len(shown.unmet) == 2

    # the round is done: reviewing needs the round going on (a finding of the round itself
    # or of another unit is no earlier finding)
    third = open_round(o, planned_on="2027-01-25")
    with pytest.raises(InvalidInput):
        rounds.review(o.app, o.actor("m1@x.se"), third.case_id, 999999, {"outcome": "resolved"})
    rounds.review(o.app, o.actor("m1@x.se"), third.case_id, a.id, {"outcome": "resolved"})
    rounds.review(
        o.app,
        o.actor("so1@x.se"),
        third.case_id,
        b.id,
        {"outcome": "remains", "note": "Ny låda beställd"},
    )
    finish(o, third, {**PROTOCOL, "answers": []})
    rounds.close(o.app, o.actor("m1@x.se"), third.case_id)
    # still open in the second round: only the finding that remains is named now
    with pytest.raises(GateBlocked) as blocked:
        rounds.close(o.app, o.actor("m1@x.se"), second.case_id)
    assert [u.subject for u in blocked.value.unmet] == [f"finding:{b.id}"]
    with o.app.read() as s:
        actions = list(
            s.scalars(
                select(AuditEvent.action).where(AuditEvent.chain == f"cycle:{third.cycle_id}")
            )
        )
    assert actions.count("safety_round.finding_reviewed") == 2 and "stage.signed_off" in actions
