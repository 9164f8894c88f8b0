"""The task endpoints: inbox, task detail, complete/draft/claim/release/return/delegate/
extend, bulk approval and attachments — each with its error paths."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import Web
from tests.factories import SURVEY, drive_to


def _task(web: Web, email: str, key: str) -> int:
    items = web.api(email).get("/api/inbox").json()["items"]
    return next(i["task_id"] for i in items if i["key"] == key)


def test_inbox_lists_my_tasks_due_first_with_counts(web_any: Web) -> None:
    body = web_any.api("m1@x.se").get("/api/inbox").json()
    keys = [i["key"] for i in body["items"]]
    # due 03-15, then 03-31 (the manager leads the safety round: sam-annual v2)
    assert keys == ["employee_survey", "safety_round", "absence_review"]
    assert body["total"] == 3 and body["overdue"] == 0 and body["escalated"] == 0
    assert body["by_stage"] == {"survey": 3}
    assert body["items"][0]["unit_name"] == "Enhet 1" and body["items"][0]["why"] == "role"


def test_inbox_filters(web: Web) -> None:
    client = web.api("m1@x.se")
    unit = web.org.units["U1"]
    assert client.get("/api/inbox", params={"overdue": True}).json()["items"] == []
    assert len(client.get("/api/inbox", params={"unit_id": unit}).json()["items"]) == 3
    assert client.get("/api/inbox", params={"unit_id": unit + 99}).json()["items"] == []
    assert client.get("/api/inbox", params={"stage": "analysis"}).json()["items"] == []
    assert client.get("/api/inbox", params={"due_within_days": 7}).json()["items"] == []
    web.clock.advance(timedelta(days=80))  # 2027-03-31: the survey is overdue
    body = client.get("/api/inbox", params={"overdue": True}).json()
    assert [i["key"] for i in body["items"]] == ["employee_survey"]
    bad = client.get("/api/inbox", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "limit"


def test_task_detail_for_the_holder_and_the_line_not_for_others(web: Web) -> None:
    task_id = _task(web, "m1@x.se", "employee_survey")
    mine = web.api("m1@x.se").get(f"/api/tasks/{task_id}").json()
    assert mine["form_key"] == "survey_results" and mine["may"]["work"] is True
    assert mine["may"]["extend"] is False
    above = web.api("dep@x.se").get(f"/api/tasks/{task_id}").json()
    assert above["may"]["work"] is False and above["may"]["extend"] is True
    other = web.api("m2@x.se").get(f"/api/tasks/{task_id}")
    assert other.status_code == 404 and "Enhet 1" not in other.text
    assert web.api("m2@x.se").get("/api/tasks/999999").status_code == 404


def test_complete_validates_names_fields_and_refuses_twice(web_any: Web) -> None:
    client = web_any.api("m1@x.se")
    task_id = _task(web_any, "m1@x.se", "employee_survey")
    bad = client.post(
        f"/api/tasks/{task_id}/complete",
        json={"data": {**SURVEY, "answered": 3, "motivation": 70}},
    )
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"motivation"}
    assert "färre än 5 svar" in bad.json()["errors"][0]["message"]
    stale = client.post(f"/api/tasks/{task_id}/complete", json={"data": SURVEY, "version": 99})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    done = client.post(f"/api/tasks/{task_id}/complete", json={"data": SURVEY})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    again = client.post(f"/api/tasks/{task_id}/complete", json={"data": SURVEY})
    assert again.status_code == 409 and again.json()["code"] == "task_not_open"


def test_complete_by_someone_else_is_refused(web: Web) -> None:
    task_id = _task(web, "m1@x.se", "employee_survey")
    reply = web.api("so1@x.se").post(f"/api/tasks/{task_id}/complete", json={"data": SURVEY})
    assert reply.status_code == 403 and reply.json()["code"] == "not_permitted"


def test_malformed_bodies_are_422_not_500(web: Web) -> None:
    client = web.api("m1@x.se")
    task_id = _task(web, "m1@x.se", "employee_survey")
    assert client.post(f"/api/tasks/{task_id}/complete", json={"data": []}).status_code == 422
    reply = client.post(
        f"/api/tasks/{task_id}/complete",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 422 and reply.json()["code"] == "invalid_input"
    assert (
        client.post(f"/api/tasks/{task_id}/complete", json={"data": {}, "x": 1}).status_code == 422
    )


def test_draft_is_kept_and_shown(web: Web) -> None:
    client = web.api("m1@x.se")
    task_id = _task(web, "m1@x.se", "employee_survey")
    assert (
        client.post(f"/api/tasks/{task_id}/draft", json={"data": {"invited": "2"}}).status_code
        == 200
    )
    assert client.get(f"/api/tasks/{task_id}").json()["draft"] == {"invited": "2"}
    assert (
        web.api("m2@x.se").post(f"/api/tasks/{task_id}/draft", json={"data": {}}).status_code == 404
    )


def test_claim_and_release(web: Web) -> None:
    client = web.api("m1@x.se")
    task_id = _task(web, "m1@x.se", "employee_survey")
    assert client.post(f"/api/tasks/{task_id}/release").status_code == 409  # not claimed
    assert client.post(f"/api/tasks/{task_id}/claim").status_code == 200
    assert client.get("/api/inbox").json()["items"][0]["claimed"] is True
    assert web.api("so1@x.se").post(f"/api/tasks/{task_id}/claim").status_code == 409
    assert client.post(f"/api/tasks/{task_id}/release").status_code == 200


def test_return_needs_a_reason_and_moves_the_task_up(web: Web) -> None:
    client = web.api("m1@x.se")
    task_id = _task(web, "m1@x.se", "employee_survey")
    empty = client.post(f"/api/tasks/{task_id}/return", json={"reason": " "})
    assert empty.status_code == 422 and empty.json()["errors"][0]["path"] == "reason"
    ok = client.post(f"/api/tasks/{task_id}/return", json={"reason": "Saknar budget"})
    assert ok.status_code == 200 and ok.json()["status"] == "returned"
    assert "employee_survey" in [
        i["key"] for i in web.api("dep@x.se").get("/api/inbox").json()["items"]
    ]


def test_delegate_to_a_person(web: Web) -> None:
    client = web.api("m1@x.se")
    task_id = _task(web, "m1@x.se", "employee_survey")
    missing = client.post(f"/api/tasks/{task_id}/delegate", json={"to": "nobody@x.se"})
    assert missing.status_code == 404
    ok = client.post(
        f"/api/tasks/{task_id}/delegate", json={"to": "so1@x.se", "reason": "semester"}
    )
    assert ok.status_code == 200
    assert "employee_survey" in [
        i["key"] for i in web.api("so1@x.se").get("/api/inbox").json()["items"]
    ]
    assert (
        web.api("m2@x.se")
        .post(f"/api/tasks/{task_id}/delegate", json={"to": "m2@x.se"})
        .status_code
        == 404
    )


def test_extend_only_by_the_line_above_and_into_the_future(web: Web) -> None:
    task_id = _task(web, "m1@x.se", "employee_survey")
    body = {"due": "2027-05-01", "reason": "Enkäten försenad"}
    assert web.api("m1@x.se").post(f"/api/tasks/{task_id}/extend", json=body).status_code == 403
    above = web.api("dep@x.se")
    past = above.post(f"/api/tasks/{task_id}/extend", json={**body, "due": "2026-01-01"})
    assert past.status_code == 422 and past.json()["errors"][0]["path"] == "due"
    assert (
        above.post(f"/api/tasks/{task_id}/extend", json={**body, "due": "1. maj"}).status_code
        == 422
    )
    assert above.post(f"/api/tasks/{task_id}/extend", json=body).status_code == 200


def test_bulk_approve_gives_a_result_per_task(web: Web) -> None:
    o = web.org
    for unit in ("U1", "U2"):
        manager = "m1@x.se" if unit == "U1" else "m2@x.se"
        rep = "so1@x.se" if unit == "U1" else "so2@x.se"
        drive_to(o, o.cycle_of(unit), "cooperation", manager=manager, safety_rep=rep)
    approvals = [
        i
        for i in web.api("m1@x.se").get("/api/inbox").json()["items"]
        if i["form_key"] == "approval"
    ]
    other = next(
        i
        for i in web.api("m2@x.se").get("/api/inbox").json()["items"]
        if i["form_key"] == "approval"
    )
    survey_like = _task(web, "so1@x.se", "approve_safety_rep")
    ids = [approvals[0]["task_id"], other["task_id"], survey_like, 999999]
    reply = web.api("m1@x.se").post(
        "/api/tasks/bulk-approve", json={"task_ids": ids, "comment": "OK"}
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["approved"] == 1
    assert [r["ok"] for r in body["results"]] == [True, False, False, False]
    # another unit's task and an id that does not exist answer alike: not found
    assert body["results"][1]["code"] == body["results"][3]["code"] == "not_found"
    assert body["results"][3]["message"] == "uppgift 999999 hittades inte"
    empty = web.api("m1@x.se").post("/api/tasks/bulk-approve", json={"task_ids": []})
    assert empty.status_code == 422


def test_attachments_upload_list_download(web: Web) -> None:
    client = web.api("m1@x.se")
    task_id = _task(web, "m1@x.se", "employee_survey")
    up = client.post(
        f"/api/tasks/{task_id}/attachments",
        files={"file": ("../../rapport HME.pdf", b"%PDF-1.4 fake", "application/pdf")},
    )
    assert up.status_code == 201
    info = up.json()
    assert info["filename"] == "rapport HME.pdf" and info["size"] == 13
    assert [a["id"] for a in client.get(f"/api/tasks/{task_id}/attachments").json()] == [info["id"]]
    down = client.get(f"/api/attachments/{info['id']}")
    assert down.content == b"%PDF-1.4 fake"
    assert down.headers["content-disposition"].startswith("attachment;")
    assert down.headers["content-type"] == "application/octet-stream"
    assert web.api("dep@x.se").get(f"/api/attachments/{info['id']}").status_code == 200
    assert web.api("m2@x.se").get(f"/api/attachments/{info['id']}").status_code == 404
    empty = client.post(
        f"/api/tasks/{task_id}/attachments", files={"file": ("a.txt", b"", "text/plain")}
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["path"] == "file"
    web.engine.settings = web.engine.settings.__class__(
        database_url=web.engine.settings.database_url, max_upload_bytes=10
    )
    big = client.post(
        f"/api/tasks/{task_id}/attachments", files={"file": ("a.txt", b"x" * 11, "text/plain")}
    )
    assert big.status_code == 422
    other = web.api("so1@x.se").post(
        f"/api/tasks/{task_id}/attachments", files={"file": ("a.txt", b"x", "text/plain")}
    )
    assert other.status_code == 403


def test_form_schemas(web: Web) -> None:
    client = web.api("m1@x.se")
    schema = client.get("/api/forms/action_plan").json()
    assert schema["title"] == "ActionPlan"
    assert schema["properties"]["participants"]["label_sv"] == "Deltagare i framtagandet"
    assert client.get("/api/forms/nope").status_code == 422


def test_ids_too_large_for_the_database_are_422_not_500(web: Web) -> None:
    client = web.api("m1@x.se")
    huge = 2**63
    assert client.get(f"/api/tasks/{huge}").status_code == 422
    assert client.get(f"/api/tasks/{huge - 1}").status_code == 404
    assert client.get("/api/inbox", params={"unit_id": huge}).status_code == 422
    bulk = client.post("/api/tasks/bulk-approve", json={"task_ids": [huge]})
    assert bulk.status_code == 422
