"""Health, readiness, metrics, request ids and JSON log lines, on the real app and database."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
import sqlite3
import warnings
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.middleware.observability import JsonLogFormatter, log_config
from engine.context import REQUEST_ID
from engine.db.models import AuditEvent
from engine.domain.clock import FrozenClock
from tests.api.conftest import Web, _close, make_web

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

GAUGE = re.compile(r"^(samflow_\w+) ([0-9.e+]+)$", re.MULTILINE)


def loopback(web: Web) -> TestClient:
    client = TestClient(web.app, client=("127.0.0.1", 41000))
    client.__enter__()
    web.clients.append(client)
    return client


def gauges(text: str) -> dict[str, float]:
    return {name: float(value) for name, value in GAUGE.findall(text)}


def test_healthz_answers_without_the_database(web: Web) -> None:
    reply = web.anonymous().get("/healthz")
    assert reply.status_code == 200 and reply.json() == {"status": "ok"}


def test_readyz_is_ready_on_a_current_schema(web_any: Web) -> None:
    reply = web_any.anonymous().get("/readyz")
    assert reply.status_code == 200, reply.text
    names = {c["name"]: c["ok"] for c in reply.json()["checks"]}
    assert names == {"database": True, "migrations": True}


def test_readyz_names_a_schema_behind_the_code(web: Web, sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    reply = web.anonymous().get("/readyz")
    assert reply.status_code == 503
    failed = [c for c in reply.json()["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["migrations"]
    assert "database at 0001" in failed[0]["detail"]


def test_readyz_with_prefect_runner_checks_its_api(
    sqlite_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # nothing listens on this loopback port: the check fails and says why
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    web = make_web(sqlite_url, clock, start=False, runner="prefect")
    try:
        reply = web.anonymous().get("/readyz")
        assert reply.status_code == 503
        prefect = [c for c in reply.json()["checks"] if c["name"] == "prefect"]
        assert prefect and prefect[0]["ok"] is False and prefect[0]["detail"]
    finally:
        _close(web)


def test_metrics_only_for_loopback_or_the_token(web: Web) -> None:
    assert web.anonymous().get("/metrics").status_code == 404  # not loopback
    spoofed = loopback(web).get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 404  # came through a proxy
    reply = loopback(web).get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")


def test_metrics_with_a_token_from_anywhere(sqlite_url: str, clock: FrozenClock) -> None:
    web = make_web(sqlite_url, clock, start=False, metrics_token="s3cret-metrics")
    try:
        client = web.anonymous()
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
        assert ok.status_code == 200 and "samflow_tasks_open" in ok.text
    finally:
        _close(web)


def test_metrics_count_requests_and_the_backlog(sqlite_url: str, clock: FrozenClock) -> None:
    web = make_web(sqlite_url, clock, metrics_cache_seconds=0)
    try:
        manager = web.api("m1@x.se")
        assert manager.get("/api/inbox").status_code == 200
        assert manager.get("/api/tasks/999999").status_code == 404
        text = loopback(web).get("/metrics").text
        assert re.search(
            r'samflow_http_requests_total\{method="GET",route="/api/inbox",status="200"\} 1\.0',
            text,
        ), text
        assert 'route="/api/tasks/{task_id}",status="404"' in text  # the template, not the id
        assert 'samflow_http_request_duration_seconds_bucket{le="0.002",method="GET"' in text
        figures = gauges(text)
        open_tasks = len(web.org.inbox("m1@x.se"))
        assert open_tasks > 0 and figures["samflow_tasks_open"] >= open_tasks
        assert figures["samflow_tasks_overdue"] == 0  # the year has just started
        # long after every deadline, every open task is overdue
        clock.advance(timedelta(days=400))
        figures = gauges(loopback(web).get("/metrics").text)
        assert figures["samflow_tasks_overdue"] == figures["samflow_tasks_open"] > 0
    finally:
        _close(web)


def test_request_id_goes_back_and_onto_the_audit_events(web: Web) -> None:
    manager = web.api("m1@x.se")
    task = manager.get("/api/inbox").json()["items"][0]
    reply = manager.post(
        f"/api/tasks/{task['task_id']}/draft",
        json={"data": {}},
        headers={"X-Request-ID": "req-4711"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["x-request-id"] == "req-4711"
    with web.engine.db.read_sessions() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert last.action == "task.draft_saved"
    assert json.loads(last.data)["request_id"] == "req-4711"
    # a header that is not a short token is replaced by a fresh id
    odd = manager.get("/api/inbox", headers={"X-Request-ID": "x" * 65})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])
    assert REQUEST_ID.get() is None  # nothing leaks out of the request


def test_json_log_lines_carry_the_request_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    log = logging.getLogger("samflow.test.json")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    token = REQUEST_ID.set("abc-1")
    try:
        log.info("sparade %s", "planen")
    finally:
        REQUEST_ID.reset(token)
        log.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "sparade planen" and line["request_id"] == "abc-1"
    assert line["level"] == "info" and line["time"].endswith("+00:00")
    config = log_config("json")
    assert config["formatters"]["main"]["()"] == "api.middleware.observability.JsonLogFormatter"
    logging.config.dictConfig(config)  # uvicorn takes exactly this
