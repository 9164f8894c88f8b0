"""A change case: risk assessment with the safety representative's own record of taking
part, a cooperation item, and the refusal to mark it decided that names every missing
step; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.context import App
from engine.coop import changes, meetings
from engine.db.models import AuditEvent
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted
from tests.coop.scenario import build

CHANGE = {
    "unit": "U1",
    "title": "Nytt schema i hemtjänsten",
    "reference": "DNR 2027/12",
    "change_kind": "schedule",
    "description": "Delade turer ersätts av 10-timmarspass.",
    "registered_on": "2027-01-12",
    "planned_on": "2027-04-01",
    "affected_units": ["U1"],
}
ASSESSMENT = {
    "risks": [{"description": "Trötthet", "probability": 3, "consequence": 3, "measure": "Pauser"}],
    "conclusion": "Genomförbart med pauser.",
}


def test_a_change_cannot_be_decided_until_every_step_is_done(app: App) -> None:
    c = build(app)
    o, a = c.o, c.o.actor
    with pytest.raises(InvalidInput) as bad:
        changes.register(
            app,
            a("hr@x.se"),
            changes.parse_registration({**CHANGE, "affected_units": ["U2", "NO"]}),
        )
    assert "affected_units[0]" in bad.value.en and "affected_units[1]" in bad.value.en
    with pytest.raises(NotPermitted):  # registering is HR's or a director's
        changes.register(app, a("m1@x.se"), changes.parse_registration(CHANGE))
    reg = changes.register(app, a("hr@x.se"), changes.parse_registration(CHANGE))
    assert reg.tasks == 2
    with pytest.raises(Conflict) as refused:
        changes.decide(app, a("m1@x.se"), reg.change_id)
    for step in (
        "riskbedömningen är inte gjord",
        "skyddsombudet har inte registrerat",
        "riskbedömningen är inte godkänd",
        "inget samverkansmöte",
    ):
        assert step in refused.value.sv
    assert refused.value.details["missing"] == [
        "risk_assessment_done",
        "safety_rep_participation",
        "assessment_approved",
        "coop_item",
    ]
    # the participation is the representative's own task: the manager cannot record it
    assert [i.key for i in o.inbox("so1@x.se")] == ["change_participation"]
    assert "change_participation" not in [i.key for i in o.inbox("m1@x.se")]
    o.complete("m1@x.se", "change_risk_assessment", ASSESSMENT)
    o.complete("so1@x.se", "change_participation", {"participated": "yes", "views": "Bra"})
    o.sign_off("m1@x.se", reg.cycle_id, "assessment")
    meeting = meetings.create_meeting(app, a("m1@x.se"), "LSG-U1", date(2027, 2, 3))
    item = meetings.add_item(app, a("m1@x.se"), meeting, "Nytt schema", "change", reg.change_id)
    with pytest.raises(Conflict) as refused:
        changes.decide(app, a("m1@x.se"), reg.change_id)
    assert refused.value.details["missing"] == ["coop_item_closed"]
    meetings.record_outcome(
        app, a("m1@x.se"), item, "disagreement", "Genomförs.", "Facket vill ha 8 h."
    )
    with pytest.raises(Conflict):  # recorded, not yet signed
        changes.decide(app, a("m1@x.se"), reg.change_id)
    meetings.sign_protocol(app, a("fack2@x.se"), meeting)
    with pytest.raises(NotFound):  # another unit's manager is told nothing
        changes.decide(app, a("m2@x.se"), reg.change_id)
    with pytest.raises(NotPermitted):  # the safety representative sees it but does not decide
        changes.decide(app, a("so1@x.se"), reg.change_id)
    changes.decide(app, a("m1@x.se"), reg.change_id, "Beslutat efter samverkan.")
    view = changes.show(app, a("m1@x.se"), reg.change_id)
    assert view.decided_by == "Maja Chef" and view.missing == []
    assert view.items[0]["outcome"] == "disagreement" and view.items[0]["signed"]
    with pytest.raises(Conflict):
        changes.decide(app, a("m1@x.se"), reg.change_id)
    with app.read() as s:
        actions = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.chain == f"cycle:{reg.cycle_id}"))
        )
    assert "change.registered" in actions and actions[-1] == "change.decided"


def test_mbl_ended_closes_a_change_and_a_rep_who_did_not_take_part_blocks(app: App) -> None:
    c = build(app)
    o, a = c.o, c.o.actor
    reg = changes.register(app, a("hr@x.se"), changes.parse_registration(CHANGE))
    o.complete("m1@x.se", "change_risk_assessment", ASSESSMENT)
    o.complete("so1@x.se", "change_participation", {"participated": "no", "views": "Ej kallad"})
    o.sign_off("m1@x.se", reg.cycle_id, "assessment")
    meeting = meetings.create_meeting(app, a("m1@x.se"), "LSG-U1", date(2027, 2, 3))
    item = meetings.add_item(app, a("m1@x.se"), meeting, "Nytt schema", "change", reg.change_id)
    meetings.request_mbl(app, a("fack2@x.se"), item)
    with pytest.raises(Conflict) as refused:
        changes.decide(app, a("m1@x.se"), reg.change_id)
    assert refused.value.details["missing"] == ["safety_rep_participation", "mbl_ended"]
    meetings.end_mbl(app, a("m1@x.se"), item, "agreement", "Enighet om 10 h med pauser.")
    with pytest.raises(Conflict) as refused:
        changes.decide(app, a("m1@x.se"), reg.change_id)
    assert refused.value.details["missing"] == ["safety_rep_participation"]
