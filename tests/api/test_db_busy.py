"""A locked database answers 503 with Retry-After, on pages and the API, never 500 (issue
8: an org import held SQLite's write lock for minutes; other requests got a 500 "database is
locked"). The lock is real: another connection holds it while the request is made."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.db.session import normalise_url
from engine.domain.clock import FrozenClock
from tests.api.conftest import Web, _close, csrf_of, make_web


@pytest.fixture
def busy_web(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(db_url, clock, db_busy_seconds=1)
    yield w
    _close(w)


@contextmanager
def locked(url: str, task_id: int) -> Iterator[None]:
    """SQLite: another connection holds the write lock. PostgreSQL: another transaction
    holds the task's row."""
    if url.startswith("sqlite"):
        con = sqlite3.connect(str(make_url(url).database), isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            con.rollback()
            con.close()
        return
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        conn.execute(text("SELECT id FROM task WHERE id = :id FOR UPDATE"), {"id": task_id})
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def _open_task(web: Web) -> int:
    inbox = web.api("m1@x.se").get("/api/inbox").json()
    return int(inbox["items"][0]["task_id"])


def test_api_write_on_a_locked_database_is_503(busy_web: Web, db_url: str) -> None:
    task_id = _open_task(busy_web)
    client = busy_web.api("m1@x.se")
    with locked(db_url, task_id):
        got = client.post(f"/api/tasks/{task_id}/claim")
    assert got.status_code == 503, got.text
    assert got.headers["retry-after"].isdigit()
    assert got.json()["code"] == "busy"
    assert client.post(f"/api/tasks/{task_id}/claim").status_code == 200  # lock gone: works


def test_page_write_on_a_locked_database_is_503(busy_web: Web, db_url: str) -> None:
    task_id = _open_task(busy_web)
    client = busy_web.browser("m1@x.se")
    token = csrf_of(client.get(f"/tasks/{task_id}").text)
    with locked(db_url, task_id):
        got = client.post(
            f"/tasks/{task_id}/claim", data={"csrf_token": token}, follow_redirects=False
        )
    assert got.status_code == 503, got.text[-800:]
    assert got.headers["retry-after"].isdigit()
    assert "upptagen" in got.text
