"""``api.lean``: the inbox and the task routes take a short way through FastAPI for ordinary
requests, and answer exactly as FastAPI's own handler does — the same requests sent to an
app built without the short way give the same statuses, bodies, headers and audit events."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from sqlalchemy import select

from api import lean
from engine.db.models import AuditEvent
from engine.domain.clock import FrozenClock
from tests.api.conftest import Web, _close, make_web
from tests.factories import SURVEY


@pytest.fixture
def pair(
    tmp_path: Path, sqlite_template: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Web, Web]]:
    """(lean, FastAPI's way): the same organisation on two databases alike."""
    urls = []
    for name in ("lean.db", "plain.db"):
        shutil.copy(sqlite_template, tmp_path / name)
        urls.append(f"sqlite:///{tmp_path / name}")
    quick = make_web(urls[0], clock)
    with monkeypatch.context() as m:
        m.setattr(lean, "plan_of", lambda route: None)
        plain = make_web(urls[1], clock)
    yield quick, plain
    _close(quick)
    _close(plain)


def _routes(web: Web) -> dict[tuple[str, str], Any]:
    return {
        (r.path, method): r
        for r in fastapi.routing.iter_route_contexts(web.app.router.routes)
        if isinstance(getattr(r, "original_route", r), lean.Lean)
        for method in getattr(r, "methods", ())
    }


def test_the_frequent_routes_have_a_plan(web: Web) -> None:
    routes = _routes(web)
    for key in [
        ("/api/inbox", "GET"),
        ("/api/tasks/{task_id}", "GET"),
        ("/api/tasks/{task_id}/complete", "POST"),
        ("/api/tasks/{task_id}/claim", "POST"),
    ]:
        assert lean.plan_of(routes[key]) is not None, key
    # a form, or a route that FastAPI serialises itself: FastAPI's handler
    assert lean.plan_of(routes[("/api/tasks/{task_id}/attachments", "POST")]) is None
    assert lean.plan_of(routes[("/api/forms/{form_key}", "GET")]) is None


def test_a_completion_and_the_inbox_skip_the_dependency_solver(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    solved: list[object] = []
    real = fastapi.routing.solve_dependencies

    async def counting(**kwargs: Any) -> Any:
        solved.append(kwargs["dependant"].call)
        return await real(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    client = web.api("m1@x.se")
    items = client.get("/api/inbox").json()["items"]
    task_id = next(i["task_id"] for i in items if i["key"] == "employee_survey")
    done = client.post(f"/api/tasks/{task_id}/complete", json={"data": SURVEY})
    assert done.status_code == 200 and solved == []
    # a malformed body goes FastAPI's way (its 422)
    bad = client.post(f"/api/tasks/{task_id}/complete", json={"data": []})
    assert bad.status_code == 422 and len(solved) == 1


def _same(quick: Any, plain: Any) -> None:
    assert quick.status_code == plain.status_code, (quick.text, plain.text)
    assert quick.content == plain.content
    drop = {"x-request-id"}
    assert [(k, v) for k, v in quick.headers.items() if k not in drop] == [
        (k, v) for k, v in plain.headers.items() if k not in drop
    ]


def test_lean_and_fastapis_way_answer_alike(pair: tuple[Web, Web]) -> None:
    quick, plain = pair
    clients = [
        (w.api("m1@x.se"), w.api("so1@x.se"), w.anonymous(), w.browser("m1@x.se")) for w in pair
    ]
    items = clients[0][0].get("/api/inbox").json()["items"]
    assert items == clients[1][0].get("/api/inbox").json()["items"]
    survey = next(i["task_id"] for i in items if i["key"] == "employee_survey")
    other = next(i["task_id"] for i in items if i["key"] != "employee_survey")
    json = {"Content-Type": "application/json"}
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/inbox", {}),
        ("GET", "/api/inbox?limit=0", {}),
        ("GET", "/api/inbox?overdue=maybe&stage=survey", {}),
        ("GET", f"/api/tasks/{survey}", {}),
        ("GET", "/api/tasks/0", {}),
        ("GET", "/api/tasks/abc", {}),
        ("GET", "/api/tasks/99999999999999999999", {}),
        ("GET", f"/api/tasks/0{survey}", {}),
        ("GET", "/api/tasks/999999", {}),
        ("POST", f"/api/tasks/{survey}/complete", {"content": b"{not json", "headers": json}),
        ("POST", f"/api/tasks/{survey}/complete", {"content": b"", "headers": json}),
        ("POST", f"/api/tasks/{survey}/complete", {"content": b"[1]", "headers": json}),
        ("POST", f"/api/tasks/{survey}/complete", {"json": {"data": []}}),
        ("POST", f"/api/tasks/{survey}/complete", {"json": {"data": {}, "x": 1}}),
        (
            "POST",
            f"/api/tasks/{survey}/complete",
            {"content": b'{"data": {}}', "headers": {"Content-Type": "text/plain"}},
        ),
        ("POST", f"/api/tasks/{survey}/complete", {"json": {"data": {**SURVEY, "answered": 3}}}),
        ("POST", f"/api/tasks/{survey}/complete", {"json": {"data": SURVEY, "version": 99}}),
        ("POST", f"/api/tasks/{survey}/complete", {"json": {"data": SURVEY, "version": 0}}),
        ("POST", f"/api/tasks/{other}/claim", {}),
        ("POST", f"/api/tasks/{other}/release", {}),
        ("POST", f"/api/tasks/{other}/draft", {"json": {"data": {"short_term_pct": 1}}}),
        ("POST", f"/api/tasks/{survey}/complete", {"json": {"data": SURVEY}}),
        ("POST", f"/api/tasks/{survey}/complete", {"json": {"data": SURVEY}}),
        ("GET", f"/api/tasks/{survey}", {}),
        ("GET", f"/api/tasks/{survey}/attachments", {}),
    ]
    for method, path, kwargs in calls:
        for who in range(4):  # the manager, someone else, nobody, a browser session
            a = clients[0][who].request(method, path, **kwargs)
            b = clients[1][who].request(method, path, **kwargs)
            _same(a, b)
    for _, _, _, browser in clients:  # a session sends no CSRF token: refused alike
        assert browser.post(f"/api/tasks/{other}/claim").status_code == 403
    bad_token = [w.anonymous() for w in pair]
    for c in bad_token:
        c.headers["Authorization"] = "Bearer sf_nothing"
    _same(bad_token[0].get("/api/inbox"), bad_token[1].get("/api/inbox"))
    _same(bad_token[0].get(f"/api/tasks/{survey}"), bad_token[1].get(f"/api/tasks/{survey}"))
    events = []
    for w in pair:
        with w.engine.read() as s:
            rows = s.execute(
                select(
                    AuditEvent.chain,
                    AuditEvent.seq,
                    AuditEvent.action,
                    AuditEvent.subject_type,
                    AuditEvent.subject_id,
                    AuditEvent.actor_label,
                ).order_by(AuditEvent.id)
            ).all()
        events.append([tuple(r) for r in rows])
    assert events[0] == events[1] and len(events[0]) > 0
    assert quick.app.state.engine is not plain.app.state.engine


def test_the_inbox_page_skips_the_dependency_solver(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    solved: list[object] = []
    real = fastapi.routing.solve_dependencies

    async def counting(**kwargs: Any) -> Any:
        solved.append(kwargs["dependant"].call)
        return await real(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    browser = web.browser("m1@x.se")
    solved.clear()  # the sign-in itself went FastAPI's way (a form)
    assert browser.get("/inbox").status_code == 200
    assert browser.get("/home").status_code == 200
    assert solved == []
    # not signed in: FastAPI's way (its dependency raises, the sign-in page follows)
    assert web.anonymous().get("/inbox", follow_redirects=False).status_code == 303
    assert len(solved) == 1


def _page(reply: Any) -> tuple[int, str, list[tuple[str, str]]]:
    """A page with the session's own CSRF token blanked (each web signs in anew)."""
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', reply.text)
    drop = {"x-request-id", "content-length", "set-cookie"}
    headers = [(k, v) for k, v in reply.headers.items() if k not in drop]
    return reply.status_code, text, headers


def test_lean_and_fastapis_way_render_the_pages_alike(pair: tuple[Web, Web]) -> None:
    browsers = [w.browser("m1@x.se") for w in pair]
    for b in browsers:  # a saved view of each kind, so that the page lists them
        page = b.get("/inbox").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        unit = re.search(
            r'<select id="view-share" name="share">\s*<option value="">[^<]*'
            r'</option>\s*<option value="(\d+)">',
            page,
        )
        assert token is not None and unit is not None
        for name, share in (("Mina", ""), ("Delad", unit[1])):
            saved = b.post(
                "/inbox/views",
                data={"csrf_token": token[1], "name": name, "sort": "unit", "share": share},
                follow_redirects=False,
            )
            assert saved.status_code == 303
    paths = [
        "/inbox",
        "/inbox?lang=en",
        "/inbox?sort=unit&group=deadline",
        "/inbox?sort=kind&group=kind&overdue=1",
        "/inbox?sort=nonsense",
        "/inbox?unit=abc",
        "/inbox?done=view_removed",
        "/home",
        "/home?lang=en",
    ]
    for path in paths:
        a, b = (c.get(path, follow_redirects=False) for c in browsers)
        assert _page(a) == _page(b), path
        assert a.status_code == 200
        assert path.startswith("/home") or ("Mina" in a.text and "Delad" in a.text)
        assert a.headers.get("set-cookie") == b.headers.get("set-cookie")
    for cookie in ("", "nothing"):
        a, b = (w.anonymous() for w in pair)
        if cookie:
            a.cookies.set("samflow_session", cookie)
            b.cookies.set("samflow_session", cookie)
        got = [c.get("/inbox", follow_redirects=False) for c in (a, b)]
        assert _page(got[0]) == _page(got[1]) and got[0].status_code == 303
    # a sign-out counts at once: the next page is the sign-in's, the lean way too
    for b in browsers:
        token = re.search(r'name="csrf_token" value="([^"]+)"', b.get("/inbox").text)
        assert token is not None
        b.post("/logout", data={"csrf_token": token[1]}, follow_redirects=False)
    after = [c.get("/inbox", follow_redirects=False) for c in browsers]
    assert after[0].status_code == after[1].status_code == 303
    assert after[0].headers["location"] == after[1].headers["location"]
