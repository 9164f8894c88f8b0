"""The returning manager's own task, read as JSON (``GET /api/tasks/{id}``), carries what
the allocator decided on the return — the same words the task page shows, in Swedish and
English as the task's title and stage are — and says while it is not decided yet. On
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.domain.clock import FrozenClock
from tests.alloc.test_return_decision import _decision, _returned
from tests.api.conftest import Web, _close, make_web


@pytest.fixture
def web(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(db_url, clock, start=False)
    yield w
    _close(w)


def test_the_task_json_carries_the_returns_outcome(web: Web) -> None:
    old, done = _returned(web.org)
    mine = web.api("m1@x.se")
    waiting = mine.get(f"/api/tasks/{old}")
    assert waiting.status_code == 200, waiting.text
    got = waiting.json()["returned_outcome"]
    assert got["outcome"] is None and got["outcome_sv"] is None and got["outcome_en"] is None
    assert (got["lacking"], got["lacking_sv"], got["lacking_en"]) == (
        ["resources"],
        ["Resurser"],
        ["Resources"],
    )
    assert got["decided_by"] == "" and got["decided_at"] is None
    decision = _decision(web.engine, done.return_id)
    allocator = web.api("dep@x.se")
    assert allocator.get(f"/api/tasks/{decision.id}").json()["returned_outcome"] is None
    decided = allocator.post(
        f"/api/tasks/{decision.id}/complete",
        json={"data": {"outcome": "resources", "note": "Fyra timmar"}},
    )
    assert decided.status_code == 200, decided.text
    got = mine.get(f"/api/tasks/{old}").json()["returned_outcome"]
    assert (got["outcome"], got["outcome_sv"], got["outcome_en"]) == (
        "resources",
        "Resurser ges – uppgiften går tillbaka",
        "Resources given – the task goes back",
    )
    assert (got["note"], got["decided_by"]) == ("Fyra timmar", "Dag Avdelningschef")
    assert got["decided_at"] is not None
    # the page says the same words
    page = web.browser("m1@x.se").get(f"/tasks/{old}")
    assert "Resurser ges – uppgiften går tillbaka" in page.text and "Fyra timmar" in page.text
