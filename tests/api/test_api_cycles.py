"""Cycles over the API: the view with its checklist, the audit history, signing off with
every unmet reason, cancelling, measures and risks."""

from __future__ import annotations

from tests.api.conftest import Web
from tests.factories import APPROVE, RISKS, SAFETY_ROUND, SURVEY, drive_to, plan


def test_cycle_view_has_stages_checklist_and_who_is_waiting(web_any: Web) -> None:
    cycle = web_any.org.cycle_of("U1")
    body = web_any.api("m1@x.se").get(f"/api/cycles/{cycle}").json()
    assert body["current_stage"] == "survey" and body["may_sign_off"] is True
    survey = body["stages"][0]
    assert (survey["steps_done"], survey["steps_total"]) == (0, 2)
    assert any("Maja Chef" in u["message"] for u in survey["unmet"])  # holds the round too
    assert body["may_cancel"] is False
    assert web_any.api("hr@x.se").get(f"/api/cycles/{cycle}").json()["may_cancel"] is True


def test_cycle_of_another_unit_is_404(web: Web) -> None:
    cycle = web.org.cycle_of("U1")
    reply = web.api("m2@x.se").get(f"/api/cycles/{cycle}")
    assert reply.status_code == 404 and "Enhet 1" not in reply.text
    assert web.api("m2@x.se").get(f"/api/cycles/{cycle}/audit").status_code == 404
    assert web.api("m1@x.se").get("/api/cycles/424242").status_code == 404


def test_sign_off_is_blocked_with_every_reason_then_succeeds(web_any: Web) -> None:
    o, cycle = web_any.org, web_any.org.cycle_of("U1")
    client = web_any.api("m1@x.se")
    blocked = client.post(f"/api/cycles/{cycle}/stages/survey/sign-off")
    assert blocked.status_code == 409
    body = blocked.json()
    assert body["code"] == "gate_blocked" and len(body["unmet"]) == 2
    assert {u["gate"] for u in body["unmet"]} == {"required_tasks_done"}
    o.complete("m1@x.se", "employee_survey", SURVEY, cycle)
    o.complete("m1@x.se", "safety_round", SAFETY_ROUND, cycle)
    assert (
        web_any.api("so1@x.se").post(f"/api/cycles/{cycle}/stages/survey/sign-off").status_code
        == 403
    )
    done = client.post(f"/api/cycles/{cycle}/stages/survey/sign-off")
    assert done.status_code == 200 and done.json()["next_stage"] == "analysis"
    wrong = client.post(f"/api/cycles/{cycle}/stages/nonsense/sign-off")
    assert wrong.status_code == 404
    twice = client.post(f"/api/cycles/{cycle}/stages/survey/sign-off")
    assert twice.status_code == 409 and twice.json()["code"] == "transition_not_allowed"


def test_audit_history_of_a_cycle(web: Web) -> None:
    cycle = web.org.cycle_of("U1")
    events = web.api("m1@x.se").get(f"/api/cycles/{cycle}/audit").json()
    assert events[0]["action"] == "cycle.started" and events[0]["seq"] == 1
    assert {e["action"] for e in events} == {"cycle.started", "task.created"}
    assert all(len(e["hash"]) == 64 for e in events)


def test_risks_and_measures(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "analysis")
    o.complete(
        "m1@x.se",
        "risk_assessment",
        {**RISKS, "risks": [{**RISKS["risks"][0], "serious": None}]},
        cycle,
    )
    view = web.api("m1@x.se").get(f"/api/cycles/{cycle}").json()
    risk = view["risks"][0]
    assert risk["serious"] is None and risk["level"] == "high"
    assert any(u["gate"] == "risks_have_seriousness" for u in view["stages"][1]["unmet"])
    assert (
        web.api("m2@x.se")
        .post(f"/api/risks/{risk['id']}/seriousness", json={"serious": True})
        .status_code
        == 403
    )
    assert (
        web.api("m1@x.se")
        .post(f"/api/risks/{risk['id']}/seriousness", json={"serious": True})
        .status_code
        == 200
    )
    assert (
        web.api("m1@x.se").post("/api/risks/99999/seriousness", json={"serious": True}).status_code
        == 404
    )
    o.sign_off("m1@x.se", cycle, "analysis")
    o.complete("m1@x.se", "action_plan", plan(risk_id=risk["id"]), cycle)
    o.sign_off("m1@x.se", cycle, "action_plan")
    o.complete("m1@x.se", "approve_manager", APPROVE, cycle)
    o.complete("so1@x.se", "approve_safety_rep", APPROVE, cycle)
    o.sign_off("m1@x.se", cycle, "cooperation")
    measure = web.api("m1@x.se").get(f"/api/cycles/{cycle}").json()["plan"][0]["measures"][0]
    client = web.api("m1@x.se")
    bad = client.post(f"/api/measures/{measure['id']}/status", json={"status": "flying"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "status"
    no_reason = client.post(f"/api/measures/{measure['id']}/status", json={"status": "postponed"})
    assert no_reason.status_code == 422
    ok = client.post(
        f"/api/measures/{measure['id']}/status", json={"status": "in_progress", "note": "Beställt"}
    )
    assert ok.status_code == 200
    after = client.get(f"/api/cycles/{cycle}").json()["plan"][0]["measures"][0]
    assert after["status"] == "in_progress" and after["history"][-1]["note"] == "Beställt"
    assert (
        web.api("m2@x.se")
        .post(f"/api/measures/{measure['id']}/status", json={"status": "done"})
        .status_code
        == 403
    )


def test_rejected_approval_sends_the_plan_back(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "cooperation")
    task = next(
        i["task_id"]
        for i in web.api("so1@x.se").get("/api/inbox").json()["items"]
        if i["form_key"] == "approval"
    )
    reject = web.api("so1@x.se").post(
        f"/api/tasks/{task}/complete", json={"data": {"decision": "reject"}}
    )
    assert reject.status_code == 422 and reject.json()["errors"][0]["path"] == "comment"
    ok = web.api("so1@x.se").post(
        f"/api/tasks/{task}/complete",
        json={"data": {"decision": "reject", "comment": "Saknar åtgärd för stress"}},
    )
    assert ok.status_code == 200
    assert web.api("m1@x.se").get(f"/api/cycles/{cycle}").json()["current_stage"] == "action_plan"
    assert APPROVE["decision"] == "approve"


def test_cancel_by_hr_with_a_reason(web: Web) -> None:
    cycle = web.org.cycle_of("U2")
    assert (
        web.api("m2@x.se").post(f"/api/cycles/{cycle}/cancel", json={"reason": "x"}).status_code
        == 403
    )
    hr = web.api("hr@x.se")
    assert hr.post(f"/api/cycles/{cycle}/cancel", json={"reason": ""}).status_code == 422
    ok = hr.post(f"/api/cycles/{cycle}/cancel", json={"reason": "Enheten läggs ned"})
    assert ok.status_code == 200
    assert hr.get(f"/api/cycles/{cycle}").json()["status"] == "cancelled"
