"""On PostgreSQL no statement runs on the event loop: every read there is a round trip to
the server, and while the loop waits for it no other request is read or answered (one
worker gave 155 ``/api/inbox`` a second at a third of a core; 355 with the reads moved to
worker threads, bench.web_load). On SQLite the hottest reads stay on the loop on purpose
(a local file, tens of microseconds: less than the hop to a thread). ``api.deps.on_database``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from tests.api.conftest import Web, csrf_of


@pytest.fixture
def on_loop(web_any: Web) -> Iterator[list[str]]:
    """Connections taken from the pool by a thread that is running an event loop (every
    read takes one, also those that send statements straight to the driver)."""
    seen: list[str] = []

    def note(*_: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread
        seen.append("checkout")

    engine = web_any.engine.db.engine
    event.listen(engine, "checkout", note)
    yield seen
    event.remove(engine, "checkout", note)


def test_the_hot_reads_leave_the_event_loop_on_postgresql(web_any: Web, on_loop: list[str]) -> None:
    api = web_any.api("m1@x.se")
    page = web_any.browser("m1@x.se")
    token = csrf_of(page.get("/inbox").text)
    on_loop.clear()
    assert api.get("/api/inbox").status_code == 200
    assert page.get("/inbox").status_code == 200
    task = api.get("/api/inbox").json()["items"][0]["task_id"]
    # a change: the sign-in is looked up before its body is read (api.middleware.limits)
    saved = api.post(f"/api/tasks/{task}/draft", json={"data": {}})
    assert saved.status_code < 500, saved.text
    posted = page.post("/inbox/views", data={"csrf_token": token, "name": ""})
    assert posted.status_code < 500
    if web_any.engine.db.dialect == "sqlite":
        assert on_loop, "on SQLite the sign-in and the inbox are read on the loop"
    else:
        assert on_loop == []
