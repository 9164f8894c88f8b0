"""Plans in their own right (issue 11, part 5): an administration-wide plan with its own
header, its measures imported, decided by the manager, established through a cooperation
meeting, followed up at its own rhythm, and in the evidence package and the board report;
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.context import App
from engine.coop import meetings
from engine.db.models import AuditEvent, Task
from engine.domain.clock import FrozenClock
from engine.domain.errors import InvalidInput, NotFound, NotPermitted
from engine.plans import document, own
from engine.plans import importer as plan_import
from engine.workflow import cycles
from tests.coop.scenario import build

HEADER = {
    "unit": "ADM",
    "scope": "administration",
    "title": "Handlingsplan efter chefsenkäten 2027",
    "plan_date": "2027-01-10",
    "responsible_manager": "Förvaltningschef",
    "participants": [
        {"name": "Dora Direktör", "organisation": "Förvaltningen"},
        {"name": "Frida Facklig", "organisation": "Vision"},
    ],
    "follow_up_months": 4,
}
PLAN_CSV = (
    "Nr;Område;Åtgärd;Ansvar;Tidplan;Uppföljning;Status\n"
    "1;Chefers arbetsbelastning;Se över antalet medarbetare per chef;dir@x.se;hösten 2027;"
    "december 2027;Pågår – kartläggning gjord\n"
    ";;Stöd till nya chefer;dir@x.se;kontinuerligt;;\n"
    "2;Återhämtning;Mötesfria fredagar;dir@x.se;Q4 2027;;Inte påbörjat\n"
).encode()


def test_a_plan_in_its_own_right_from_header_to_establishment(app: App, clock: FrozenClock) -> None:
    c = build(app)
    o, a = c.o, c.o.actor
    clock.set(clock.now().replace(year=2027, month=2, day=1))
    with pytest.raises(NotPermitted):  # an employee opens no plan
        own.create(app, a("anna@x.se"), own.parse(HEADER))
    with pytest.raises(InvalidInput) as bad:  # a theme plan names its theme
        own.parse({**HEADER, "scope": "theme"})
    assert bad.value.errors[0].path == "theme"
    made = own.create(app, a("hr@x.se"), own.parse(HEADER))
    # no survey, no risk assessment: drawing the plan up is its first task, the director's
    with app.read() as s:
        keys = list(s.scalars(select(Task.key).where(Task.cycle_id == made.cycle_id)))
    assert keys == ["action_plan"]
    r = plan_import.import_plan(app, a("dir@x.se"), made.cycle_id, "plan.csv", PLAN_CSV)
    assert (r.items, r.measures) == (2, 3)
    shown = own.show(app, a("dir@x.se"), made.plan_id)
    assert shown.row.scope == "administration" and shown.row.title == HEADER["title"]
    assert shown.participants == [("Dora Direktör", "Förvaltningen"), ("Frida Facklig", "Vision")]
    assert shown.row.counts.total == 3 and shown.importable
    assert "chefen har inte beslutat planen" in shown.unmet
    for outsider in ("m2@x.se", "anna@x.se"):  # 404 for a plan one may not see
        with pytest.raises(NotFound):
            own.show(app, a(outsider), made.plan_id)
    assert [p.id for p in own.list_plans(app, a("m2@x.se"))] == []
    assert made.plan_id in [p.id for p in own.list_plans(app, a("hso@x.se"))]
    # drawn up, decided, established at the FSG
    o.complete(
        "dir@x.se", "action_plan", {"participants": "Ledningsgruppen, Vision"}, made.cycle_id
    )
    cycles.sign_off_stage(app, a("dir@x.se"), made.cycle_id, "action_plan")
    meeting = meetings.create_meeting(app, a("dir@x.se"), "FSG-ADM", date(2027, 2, 20), "FSG")
    item = meetings.add_item(app, a("dir@x.se"), meeting, "Handlingsplan", "plan", made.cycle_id)
    meetings.record_outcome(app, a("dir@x.se"), item, "decided", "Planen fastställs.")
    o.complete("dir@x.se", "approve_manager", {"decision": "approve"}, made.cycle_id)
    signed = meetings.sign_protocol(app, a("fack@x.se"), meeting)
    assert signed.established == [made.cycle_id]
    shown = own.show(app, a("dir@x.se"), made.plan_id)
    assert shown.established is not None and shown.established.text("sv") == (
        "fastställd vid FSG 2027-02-20"
    )
    with app.read() as s:
        doc = document.plan_document(s, made.cycle_id, date(2027, 2, 21))
    assert doc["established"]["text"] == "fastställd vid FSG 2027-02-20"
    assert doc["scope_kind"] == "administration" and doc["title"] == HEADER["title"]
    # followed up: only the measure with a follow-up point gets a follow-up task; the plan
    # as a whole is reviewed, then again at its own rhythm (4 months) while measures are open
    cycles.sign_off_stage(app, a("dir@x.se"), made.cycle_id, "cooperation")
    with app.read() as s:
        open_keys = sorted(
            s.scalars(select(Task.key).where(Task.cycle_id == made.cycle_id, Task.status == "open"))
        )
    assert open_keys == ["measure_follow_up", "plan_review"]
    clock.advance(timedelta(days=90))
    o.complete("dir@x.se", "plan_review", {"summary": "Kartläggningen klar."}, made.cycle_id)
    with app.read() as s:
        reviews = list(
            s.scalars(
                select(Task)
                .where(Task.cycle_id == made.cycle_id, Task.key == "plan_review")
                .order_by(Task.id)
            )
        )
        events = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.chain == f"cycle:{made.cycle_id}"))
        )
    assert [t.status for t in reviews] == ["completed", "open"]
    today = clock.now().date()
    assert reviews[1].due_at.date() >= today + timedelta(days=119)
    assert {"action_plan.registered", "plan.imported", "plan.established"} <= set(events)
