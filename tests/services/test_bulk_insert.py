"""Bulk inserts through the driver (``engine.db.bulk.insert_many``, used by the year start)
store exactly what ``Connection.execute`` stores, fill left-out columns with their
defaults, and fail with SQLAlchemy's own errors; shipped templates are found by key
without parsing the others, and a key cannot name a file outside the package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.context import App
from engine.db.bulk import insert_many
from engine.db.models import Job, table
from engine.domain.errors import NotFound
from engine.workflow import templates

AT = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def _rows(kind: str) -> list[dict[str, Any]]:
    # repeated instants (converted once) and a few distinct ones, a None, an aware time
    return [
        {
            "kind": kind,
            "params": "{}",
            "status": "queued",
            "created_at": AT + timedelta(seconds=i % 3),
            "started_at": None if i % 2 else AT.astimezone(UTC) + timedelta(minutes=i),
        }
        for i in range(7)
    ]


def _stored(app: App, kind: str) -> list[tuple[Any, ...]]:
    t = table(Job)
    with app.db.engine.connect() as c:
        cols = [t.c.kind, t.c.status, t.c.done, t.c.message, t.c.created_at, t.c.started_at]
        return [tuple(r) for r in c.execute(select(*cols).where(t.c.kind == kind).order_by(t.c.id))]


def test_insert_many_stores_what_execute_stores(app: App) -> None:
    t = table(Job)
    with app.db.engine.begin() as c:
        c.execute(t.insert(), _rows("by-execute"))
        insert_many(c, t, _rows("by-driver"))
    ours, theirs = _stored(app, "by-driver"), _stored(app, "by-execute")
    assert len(ours) == 7
    assert [r[1:] for r in ours] == [r[1:] for r in theirs]
    assert ours[0][2:4] == (0, "")  # left out: the columns' defaults


def test_insert_many_raises_the_database_error_and_writes_nothing(app: App) -> None:
    t = table(Job)
    rows = _rows("bad")
    rows[3]["created_by"] = 10**9  # no such person
    for r in rows:
        r.setdefault("created_by", None)
    with pytest.raises(IntegrityError), app.db.engine.begin() as c:
        insert_many(c, t, rows)
    assert _stored(app, "bad") == []


def test_insert_many_refuses_a_row_missing_a_column(app: App) -> None:
    t = table(Job)
    rows = _rows("short")
    del rows[2]["status"]
    with pytest.raises(KeyError), app.db.engine.begin() as c:
        insert_many(c, t, rows)
    assert _stored(app, "short") == []


def test_a_shipped_template_is_found_by_its_key_alone() -> None:
    assert templates.parse(templates.text_for("sam-annual")).key == "sam-annual"
    for key in ("../pyproject", "/etc/passwd", "sam-annual/../incident", "no-such-template"):
        with pytest.raises(NotFound):
            templates.text_for(key)


def test_columns_none_in_every_row_are_left_out_and_stored_null(app: App) -> None:
    """A column None in every row (and without a default) is not sent: the database
    stores NULL as it would for the value; one None among values is sent as given."""
    from engine.db import bulk

    t = table(Job)
    rows = [{**r, "result": None, "error": None, "finished_at": None} for r in _rows("nulls")]
    rows[2]["error"] = "e"
    with app.db.engine.begin() as c:
        c.execute(t.insert(), [{**r, "kind": "nulls-execute"} for r in rows])
        insert_many(c, t, rows)
    sent = [k for (name, k) in bulk._INSERTS if name == "job" and "params" in k][-1]
    assert "result" not in sent and "finished_at" not in sent and "error" in sent
    cols = [t.c.result, t.c.error, t.c.finished_at, t.c.started_at, t.c.done]
    with app.db.engine.connect() as c:
        got = {
            kind: [
                tuple(r[1:])
                for r in c.execute(select(t.c.kind, *cols).where(t.c.kind == kind).order_by(t.c.id))
            ]
            for kind in ("nulls", "nulls-execute")
        }
    assert got["nulls"] == got["nulls-execute"] and got["nulls"][2][1] == "e"
    assert [r[0] for r in got["nulls"]] == [None] * 7
