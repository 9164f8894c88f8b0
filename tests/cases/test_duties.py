"""The SAM duties beyond the annual cycle that run as cases (issue 10), end to end through
the use cases on SQLite and PostgreSQL: an incident registered by an employee, reported to
Arbetsmiljöverket and investigated into the action plan; a safety representative's
request with its receipt, reply and the AML 6:6a way to Arbetsmiljöverket; a manager's own
risk owned by the manager above; an inspection's later föreläggande."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.cases import incidents, plan_links
from engine.context import App
from engine.db.models import ActionItem, AuditEvent, Cycle, Measure
from engine.db.models.workflow.process import CaseDocument, ProcessCase
from engine.domain.clock import FrozenClock
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted
from engine.inspections import cases as inspections
from engine.workflow import sweeps, tasks
from engine.workflow.process import cases as processes
from forms.exports import case_docs
from tests.factories import Org, build_org

PEOPLE = (
    "emp@x.se,Erik Medarbetare,employee,U1,2020-01-01,",
    "emp2@x.se,Eva Medarbetare,employee,U1,2020-01-01,",
)
INCIDENT = {
    "unit": "U1",
    "kind": "accident",
    "occurred_on": "2027-01-09",
    "occurred_time": "14:30",
    "place": "Köket",
    "what": "Halkade på vått golv",
    "serious": True,
}
INVESTIGATION = {
    "causes": "Läckande diskmaskin",
    "measures": [{"what": "Laga diskmaskinen", "responsible": "manager", "due_date": "2027-02-01"}],
}


@pytest.fixture
def o(app: App) -> Org:
    org = build_org(app, extra=PEOPLE)
    org.start()
    return org


def _open(o: Org, email: str, kind: str, data: dict[str, Any]) -> processes.Opened:
    subject = processes.parse_subject(kind, data)
    return processes.open_case(o.app, o.actor(email), kind, subject)


def _case_tasks(o: Org, email: str, cycle_id: int) -> dict[str, int]:
    return {i.key: i.task_id for i in o.inbox(email) if i.cycle_id == cycle_id}


def _plan(o: Org, code: str) -> int:
    """The unit's annual cycle (its action plan), not one of its cases."""
    with o.app.read() as s:
        found = s.scalar(
            select(Cycle.id).where(
                Cycle.unit_id == o.units[code], Cycle.year == 2027, Cycle.instance == ""
            )
        )
    assert found is not None
    return found


def _events(o: Org, chain: str) -> list[str]:
    with o.app.read() as s:
        return list(s.scalars(select(AuditEvent.action).where(AuditEvent.chain == chain)))


# --- §4 incidents ---------------------------------------------------------------------------
def test_incident_registered_by_an_employee_reported_and_investigated(o: Org) -> None:
    out = _open(o, "emp@x.se", "incident", INCIDENT)
    mine = _case_tasks(o, "m1@x.se", out.cycle_id)
    assert set(mine) == {"report_av", "investigation"}
    assert "incident.registered" in _events(o, f"cycle:{out.cycle_id}")

    # the employee sees their own registration, and only it
    other = _open(o, "emp2@x.se", "incident", {**INCIDENT, "serious": False})
    seen = processes.list_cases(o.app, o.actor("emp@x.se"), "incident")
    assert [c.id for c in seen] == [out.case_id]
    with pytest.raises(NotFound):
        processes.show_case(o.app, o.actor("emp@x.se"), "incident", other.case_id)
    assert processes.show_case(o.app, o.actor("emp@x.se"), "incident", out.case_id).case_id
    # a non-serious event gets no report task
    assert set(_case_tasks(o, "m1@x.se", other.cycle_id)) == {"investigation"}

    # the report: before the event is refused; then 18.5 hours after it
    with pytest.raises(InvalidInput) as refused:
        tasks.complete_task(
            o.app,
            o.actor("m1@x.se"),
            mine["report_av"],
            {"reported_at": "2027-01-09T10:00", "av_reference": "2027/001"},
        )
    assert refused.value.errors[0].path == "reported_at"
    tasks.complete_task(
        o.app,
        o.actor("m1@x.se"),
        mine["report_av"],
        {"reported_at": "2027-01-10T09:00", "av_reference": "2027/001"},
    )
    row = processes.list_cases(o.app, o.actor("dir@x.se"), "incident")
    state = next(r for r in row if r.id == out.case_id).state
    assert state["latency_hours"] == 18.5 and state["av_reference"] == "2027/001"
    lat = incidents.latency(o.app, o.actor("dir@x.se"), 2027)
    assert (lat.events, lat.serious, lat.reported, lat.median_hours, lat.within_24h) == (
        2,
        1,
        1,
        18.5,
        1,
    )

    # the investigation: its measures land in the unit's plan, linked back
    tasks.complete_task(o.app, o.actor("m1@x.se"), mine["investigation"], INVESTIGATION)
    plan = _plan(o, "U1")
    with o.app.read() as s:
        links = plan_links.links_of(s, out.case_id)
        assert [(x["cycle_id"], x["unit"]) for x in links] == [(plan, "U1")]
        item = s.scalar(select(ActionItem).where(ActionItem.cycle_id == plan))
        assert item is not None and "Halkade" in item.area
        assert plan_links.sources_of(s, plan)[item.id]["id"] == out.case_id
        m = s.scalar(select(Measure).where(Measure.action_item_id == item.id))
        assert m is not None and m.what == "Laga diskmaskinen"
    assert "plan.item_from_case" in _events(o, f"cycle:{plan}")


def test_incident_refusals_name_every_reason(o: Org) -> None:
    with pytest.raises(InvalidInput) as bad:
        processes.parse_subject("incident", {"unit": "U1", "kind": "fall", "what": ""})
    fields = {e.path for e in bad.value.errors}
    assert {"kind", "occurred_on", "what"} <= fields
    with pytest.raises(InvalidInput) as ahead:
        _open(o, "emp@x.se", "incident", {**INCIDENT, "occurred_on": "2027-02-01"})
    assert ahead.value.errors[0].path == "occurred_on"
    # the manager of another unit is neither at U1 nor above it
    with pytest.raises(NotPermitted) as who:
        _open(o, "m2@x.se", "incident", INCIDENT)
    assert "medarbetare" in who.value.sv
    # an investigation naming measures or a reason, not neither
    out = _open(o, "emp@x.se", "incident", INCIDENT)
    inv = _case_tasks(o, "m1@x.se", out.cycle_id)["investigation"]
    with pytest.raises(InvalidInput) as empty:
        tasks.complete_task(o.app, o.actor("m1@x.se"), inv, {"causes": "x"})
    assert empty.value.errors[0].path == "measures"


def test_incident_report_is_escalated_when_late(o: Org, clock: FrozenClock) -> None:
    out = _open(o, "emp@x.se", "incident", INCIDENT)
    clock.advance(timedelta(days=1, hours=2))
    sweeps.sweep(o.app)
    dep = _case_tasks(o, "dep@x.se", out.cycle_id)
    assert "report_av" in dep  # the manager above may act on it now
    row = processes.list_cases(o.app, o.actor("dir@x.se"), "incident")[0]
    assert row.escalated >= 1 and row.overdue >= 1


def test_investigation_refused_without_a_plan(app: App) -> None:
    o = build_org(app, extra=PEOPLE)  # no year started: no action plan
    out = _open(o, "emp@x.se", "incident", {**INCIDENT, "serious": False})
    inv = _case_tasks(o, "m1@x.se", out.cycle_id)["investigation"]
    with pytest.raises(Conflict) as none:
        tasks.complete_task(o.app, o.actor("m1@x.se"), inv, INVESTIGATION)
    assert "handlingsplan" in none.value.sv


# --- §5 a safety representative's request -----------------------------------------------------
REQUEST = {
    "unit": "U1",
    "filed_on": "2027-01-10",
    "what": "Ventilationen i verkstaden ses över",
    "why": "Huvudvärk hos flera",
    "reply_by": "2027-01-24",
}


def test_request_receipt_reply_refusal_and_history(o: Org, clock: FrozenClock) -> None:
    out = _open(o, "so1@x.se", "safety_request", REQUEST)
    with o.app.read() as s:
        docs = list(s.scalars(select(CaseDocument.key).where(CaseDocument.case_id == out.case_id)))
    assert docs == ["receipt"]  # the written receipt exists at once
    receipt = processes.preview_document(
        o.app, o.actor("so1@x.se"), "safety_request", out.case_id, "receipt"
    )
    assert receipt.data["safety_request"]["filed_by"] == "Sven Skyddsombud"
    pdf = case_docs.pdf(receipt.document(), receipt.template, receipt.title, "sv")
    assert pdf.startswith(b"%PDF")
    reply = _case_tasks(o, "m1@x.se", out.cycle_id)["reply"]
    view = processes.show_case(o.app, o.actor("so1@x.se"), "safety_request", out.case_id)
    assert view.summary.state["may_turn_to_av"] is False
    assert view.tasks[0]["due"].date() == date(2027, 1, 24)

    # past the reply date, unanswered: the representative may turn to Arbetsmiljöverket
    clock.advance(timedelta(days=15))
    late = processes.show_case(o.app, o.actor("so1@x.se"), "safety_request", out.case_id)
    assert (late.summary.state["may_turn_to_av"], late.summary.state["av_reason"]) == (
        True,
        "unanswered",
    )
    sweeps.sweep(o.app)
    assert "reply" in _case_tasks(o, "dep@x.se", out.cycle_id)  # escalated up the line

    tasks.complete_task(
        o.app, o.actor("m1@x.se"), reply, {"decision": "refused", "answer": "Inte nu"}
    )
    done = processes.show_case(o.app, o.actor("so1@x.se"), "safety_request", out.case_id)
    assert done.summary.state["av_reason"] == "refused"
    history = processes.draw_up(
        o.app, o.actor("so1@x.se"), "safety_request", out.case_id, "history"
    )
    actions = [e["action"] for e in history.data["events"]]
    assert actions[0] == "cycle.started" and "task.completed" in actions
    assert "safety_request.receipt_drafted" in actions
    whole = case_docs.pdf(history.document(), history.template, history.title, "sv")
    assert whole.startswith(b"%PDF") and whole.count(b"%PDF-") == 1


def test_request_accepted_in_time_closes_the_way_to_av(o: Org) -> None:
    out = _open(o, "so1@x.se", "safety_request", REQUEST)
    reply = _case_tasks(o, "m1@x.se", out.cycle_id)["reply"]
    tasks.complete_task(o.app, o.actor("m1@x.se"), reply, {"decision": "accepted", "answer": "Ja"})
    view = processes.show_case(o.app, o.actor("so1@x.se"), "safety_request", out.case_id)
    assert view.summary.state["may_turn_to_av"] is False and view.summary.state["replied"]


def test_request_refusals(o: Org) -> None:
    with pytest.raises(NotPermitted) as who:
        _open(o, "m1@x.se", "safety_request", REQUEST)
    assert "skyddsombud" in who.value.sv
    with pytest.raises(InvalidInput) as when:
        _open(
            o,
            "so1@x.se",
            "safety_request",
            {**REQUEST, "filed_on": "2027-01-12", "reply_by": "2027-01-09"},
        )
    assert {e.path for e in when.value.errors} == {"reply_by"}
    with pytest.raises(InvalidInput) as both:
        _open(
            o,
            "so1@x.se",
            "safety_request",
            {**REQUEST, "filed_on": "2027-01-05", "reply_by": "2027-01-09"},
        )
    assert [e.path for e in both.value.errors] == ["reply_by"]
    out = _open(o, "so1@x.se", "safety_request", REQUEST)
    with pytest.raises(NotFound):  # an employee does not see it
        processes.preview_document(
            o.app, o.actor("emp@x.se"), "safety_request", out.case_id, "receipt"
        )
    with pytest.raises(NotFound):  # nor the safety representative of another unit
        processes.show_case(o.app, o.actor("so2@x.se"), "safety_request", out.case_id)


# --- §6 the manager's own work environment ------------------------------------------------------
RISK = {
    "unit": "U1",
    "noted_on": "2027-01-10",
    "description": "För många medarbetare per chef",
    "probability": 3,
    "consequence": 3,
    "proposal": "Biträdande chef",
}


def test_manager_risk_is_owned_by_the_manager_above(o: Org) -> None:
    out = _open(o, "m1@x.se", "manager_risk", RISK)
    parent_plan = _plan(o, "DEP")
    with o.app.read() as s:
        item = s.scalar(select(ActionItem).where(ActionItem.cycle_id == parent_plan))
        assert item is not None and "För många" in item.area and item.probability == 3
        m = s.scalar(select(Measure).where(Measure.action_item_id == item.id))
        assert m is not None
        assert (m.responsible_role, m.responsible_unit_id) == ("manager", o.units["DEP"])
        assert not s.scalar(select(ActionItem.id).where(ActionItem.cycle_id == _plan(o, "U1")))
    assert "respond" in _case_tasks(o, "dep@x.se", out.cycle_id)
    assert "respond" not in _case_tasks(o, "m1@x.se", out.cycle_id)
    overview = {k.kind: k for k in processes.case_overview(o.app, o.actor("dir@x.se"), 2027)}
    assert overview["manager_risk"].cases == 1 and overview["manager_risk"].open == 1
    # the raising manager sees their own case
    assert processes.show_case(o.app, o.actor("m1@x.se"), "manager_risk", out.case_id)


def test_manager_risk_refusals(o: Org) -> None:
    with pytest.raises(NotPermitted):  # not a manager
        _open(o, "so1@x.se", "manager_risk", RISK)
    with pytest.raises(NotPermitted) as above:  # the manager above is not the unit's manager
        _open(o, "dep@x.se", "manager_risk", RISK)
    assert "vid enheten" in above.value.sv
    with pytest.raises(NotPermitted):  # a director is not the unit's manager
        _open(o, "dir@x.se", "manager_risk", {**RISK, "unit": "ADM"})


def test_manager_risk_needs_a_manager_above(app: App) -> None:
    o = build_org(app, extra=("top@x.se,Tove Topp,manager,ADM,2020-01-01,",))
    o.start()
    with pytest.raises(InvalidInput) as top:  # nobody above the top unit owns it
        _open(o, "top@x.se", "manager_risk", {**RISK, "unit": "ADM"})
    assert [e.path for e in top.value.errors] == ["unit"]


# --- §7 an inspection's föreläggande or förbud ----------------------------------------
INSPECTION = {
    "unit": "U1",
    "inspected_on": "2027-01-05",
    "reply_by": "2027-02-15",
    "reference": "2027/0042",
    "inspector": "Anna Inspektör",
    "requirements": [{"text": "Riskbedöm lyft"}],
}
DECISION = {
    "decision": "injunction",
    "decided_on": "2027-01-20",
    "reference": "2027/0042-2",
    "requirements": [
        {"text": "Installera taklyft", "due": "2027-03-01", "fine": 50000},
        {"text": "Utbilda personalen", "units": ["U1"], "due": "2027-03-15"},
    ],
}


def test_injunction_on_a_closed_inspection_opens_new_tasks(o: Org, clock: FrozenClock) -> None:
    reg = inspections.parse_registration(INSPECTION)
    out = inspections.register(o.app, o.actor("dir@x.se"), reg)
    first = _case_tasks(o, "m1@x.se", out.cycle_id)["requirement_reply"]
    answer = {"actions": "Gjort", "done_on": "2027-01-10"}
    tasks.complete_task(o.app, o.actor("m1@x.se"), first, answer)
    o.sign_off("m1@x.se", out.cycle_id, "requirements")
    assert inspections.list_inspections(o.app, o.actor("dir@x.se"))[0].status == "closed"

    clock.advance(timedelta(days=10))
    addition = processes.parse_addition("inspection", out.inspection_id, DECISION, o.app)
    added = processes.add_items(
        o.app, o.actor("dir@x.se"), "inspection", out.inspection_id, addition
    )
    assert (added.items, added.tasks) == (2, 2)
    row = inspections.list_inspections(o.app, o.actor("dir@x.se"))[0]
    assert (row.status, row.requirements, row.done) == ("open", 3, 1)
    draft = inspections.preview_reply(o.app, o.actor("dir@x.se"), out.inspection_id)
    reqs = draft.data["requirements"]
    assert [r["number"] for r in reqs] == [1, 2, 3]
    assert reqs[1]["data"]["fine"] == 50000
    assert reqs[1]["data"]["decision"]["decision"] == "injunction"
    assert str(reqs[2]["due"]) == "2027-03-15"
    with pytest.raises(Conflict):  # the same gate: every item answered before the reply
        inspections.draft_reply(o.app, o.actor("dir@x.se"), out.inspection_id)
    for task_id in [i.task_id for i in o.inbox("m1@x.se") if i.cycle_id == out.cycle_id]:
        tasks.complete_task(o.app, o.actor("m1@x.se"), task_id, answer | {"done_on": "2027-01-20"})
    assert inspections.draft_reply(o.app, o.actor("dir@x.se"), out.inspection_id).data["complete"]
    events = _events(o, f"cycle:{out.cycle_id}")
    assert "cycle.reopened" in events and "inspection.decision_added" in events


def test_injunction_refusals(o: Org) -> None:
    reg = inspections.parse_registration(INSPECTION)
    out = inspections.register(o.app, o.actor("dir@x.se"), reg)
    bad = {
        **DECISION,
        "requirements": [{"text": "x", "due": "2027-01-01", "units": ["U2", "NOPE"]}],
    }
    addition = processes.parse_addition("inspection", out.inspection_id, bad, o.app)
    with pytest.raises(InvalidInput) as late:
        processes.add_items(o.app, o.actor("dir@x.se"), "inspection", out.inspection_id, addition)
    assert [e.path for e in late.value.errors] == ["requirements[0].due"]
    bad2 = {
        **DECISION,
        "requirements": [{"text": "x", "due": "2027-03-01", "units": ["U2", "NOPE"]}],
    }
    addition = processes.parse_addition("inspection", out.inspection_id, bad2, o.app)
    with pytest.raises(InvalidInput) as where:
        processes.add_items(o.app, o.actor("dir@x.se"), "inspection", out.inspection_id, addition)
    assert [e.path for e in where.value.errors] == [
        "requirements[0].units[0]",
        "requirements[0].units[1]",
    ]
    with pytest.raises(InvalidInput) as shape:
        processes.parse_addition("inspection", out.inspection_id, {"decision": "fine"}, o.app)
    assert {"decision", "decided_on", "requirements"} <= {e.path for e in shape.value.errors}
    ok = processes.parse_addition("inspection", out.inspection_id, DECISION, o.app)
    with pytest.raises(NotPermitted):
        processes.add_items(o.app, o.actor("m1@x.se"), "inspection", out.inspection_id, ok)
    with pytest.raises(NotFound):
        processes.add_items(o.app, o.actor("so2@x.se"), "inspection", out.inspection_id, ok)
    with o.app.read() as s:
        assert s.get(ProcessCase, out.inspection_id) is not None


# --- the evidence package ------------------------------------------------------------------------
def test_evidence_package_carries_incidents_requests_and_managers_risks(o: Org) -> None:
    from engine.evidence import package as evidence
    from forms.exports.evidence_docs import evidence_html

    inc = _open(o, "emp@x.se", "incident", INCIDENT)
    report = _case_tasks(o, "m1@x.se", inc.cycle_id)["report_av"]
    tasks.complete_task(
        o.app,
        o.actor("m1@x.se"),
        report,
        {"reported_at": "2027-01-10T08:00", "av_reference": "AV-77"},
    )
    _open(o, "so1@x.se", "safety_request", REQUEST)
    _open(o, "m1@x.se", "manager_risk", RISK)
    built = evidence.build(o.app, o.actor("hr@x.se"), evidence.Scope("unit", "U1", 2027))
    data = built.data
    (incident,) = data["incidents"]
    assert incident["serious"] is True and incident["unit"] == "U1"
    assert {t["key"]: t["status"] for t in incident["tasks"]} == {
        "report_av": "completed",
        "investigation": "open",
    }
    (request,) = data["safety_requests"]
    assert request["receipt_drafted_at"] is not None and request["tasks"][0]["status"] == "open"
    (risk,) = data["manager_risks"]
    assert risk["description"].startswith("För många")
    html = evidence_html(built.document("test"))
    for words in ("AV-77", "Ventilationen", "För många medarbetare", "Begäran från skyddsombud"):
        assert words in html, words
