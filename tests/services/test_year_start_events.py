"""The year start's audit events in bulk (``taskgen.record_started``) are the events the
one-by-one path writes: the same chains, sequence numbers, data and hashes."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from engine.audit import log
from engine.context import Actor, App
from engine.db.models import AuditEvent, Task
from engine.domain.audit.chain import canonical_json
from engine.domain.clock import FrozenClock
from engine.org import admin as org
from engine.workflow import cycles, taskgen
from tests.conftest import make_app

UNITS = 30  # 30 cycles and their tasks: over taskgen.BULK_EVENTS in one batch


def _org(app: App) -> None:
    u = ["code,name,parent_code,level,headcount", "ADM,Förvaltningen,,administration,10"]
    p = [
        "email,name,role,unit_code,valid_from,valid_to",
        "dir@y.se,Direktör,director,ADM,2020-01-01,",
        "hr@y.se,HR,hr,ADM,2020-01-01,",
        "hso@y.se,HSO,chief_safety_rep,ADM,2020-01-01,",
    ]
    for d in range(3):
        u.append(f"D{d},Avdelning {d},ADM,department,5")
        p.append(f"dm{d}@y.se,Avdelningschef {d},manager,D{d},2020-01-01,")
        p.append(f"so{d}@y.se,Skyddsombud {d},safety_rep,D{d},2020-01-01,")
    for i in range(UNITS):
        u.append(f"U{i},Enhet {i},D{i % 3},unit,{10 + i}")
        p.append(f"m{i}@y.se,Chef {i},manager,U{i},2020-01-01,")
    org.import_org(app, Actor.system("test"), "\n".join(u) + "\n", "\n".join(p) + "\n")


def _events(app: App) -> dict[tuple[str, int], tuple[Any, ...]]:
    with app.read() as s:
        return {
            (e.chain, e.seq): (e.action, e.subject_type, e.subject_id, e.unit_id, e.data, e.hash)
            for e in s.scalars(select(AuditEvent).where(AuditEvent.chain.like("cycle:%")))
        }


def test_bulk_events_are_the_one_by_one_events(
    sqlite_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    """Two copies of one organisation: started in batches small enough for ``tx.record``
    one event at a time, and in one batch through the bulk append. Every cycle's chain
    holds the same events with the same hashes."""
    app = make_app(sqlite_url, clock)
    _org(app)
    app.db.dispose()
    other = tmp_path / "other.db"
    shutil.copy(sqlite_url.removeprefix("sqlite:///"), other)
    one_by_one, bulk = make_app(sqlite_url, clock), make_app(f"sqlite:///{other}", clock)
    try:
        hr = Actor.system("bench")
        small = cycles.start_cycles(one_by_one, hr, 2027, batch_size=3)
        large = cycles.start_cycles(bulk, hr, 2027)
        assert small.started == large.started and len(large.started) == UNITS + 4
        a, b = _events(one_by_one), _events(bulk)
        assert a == b and len(a) > taskgen.BULK_EVENTS
        assert {e[0] for e in b.values()} == {"cycle.started", "task.created"}
        for app_ in (one_by_one, bulk):
            result = log.verify(app_, workers=1)
            assert not result.breaks and result.events > len(a)
    finally:
        one_by_one.db.dispose()
        bulk.db.dispose()


def test_bulk_start_chains_each_cycle_in_order(app: App) -> None:
    """On SQLite and PostgreSQL: each cycle's chain starts with ``cycle.started`` and goes
    on with its tasks' ``task.created`` in task order, next to each other in the log; the
    data is the task's, as canonical JSON; the log verifies; a second start adds nothing."""
    _org(app)
    report = cycles.start_cycles(app, Actor.system("test"), 2027)
    with app.read() as s:
        tasks = {t.id: t for t in s.scalars(select(Task))}
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.chain.like("cycle:%"))))
    by_chain: dict[str, list[AuditEvent]] = {}
    for e in sorted(rows, key=lambda e: e.id):
        by_chain.setdefault(e.chain, []).append(e)
    assert len(by_chain) == len(report.started)
    for chain, events in by_chain.items():
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].action == "cycle.started" and len(events) > 1
        assert [e.id for e in events] == list(range(events[0].id, events[0].id + len(events)))
        ids = [int(e.subject_id) for e in events[1:]]
        assert ids == sorted(ids)
        for e in events[1:]:
            t = tasks[int(e.subject_id)]
            assert e.action == "task.created" and chain == f"cycle:{t.cycle_id}"
            want = {"key": t.key, "role": t.role, "role_unit_id": t.role_unit_id,
                    "assignee_id": t.assignee_id, "measure_id": t.measure_id}  # fmt: skip
            got = json.loads(e.data)
            assert {k: got[k] for k in want} == want and "due_at" in got
    assert not log.verify(app, workers=1).breaks
    again = cycles.start_cycles(app, Actor.system("test"), 2027)
    assert again.started == [] and again.already_running == len(report.started)
    with app.read() as s:
        assert len(list(s.scalars(select(AuditEvent.id)))) >= len(rows)
        assert not list(
            s.scalars(select(AuditEvent.id).where(AuditEvent.id > max(e.id for e in rows)))
        )


_ids = st.one_of(st.none(), st.integers(min_value=-(2**40), max_value=2**40))
_text = st.text(max_size=12)
_zones = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))])


@given(
    st.lists(
        st.tuples(
            _ids,
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),  # noqa: DTZ001
            _zones,
            _text,
            _ids,
            st.one_of(st.none(), _text),
            _ids,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_created_json_is_canonical_json(rows: list[tuple[Any, ...]]) -> None:
    """Byte for byte ``canonical_json`` of the data ``record_created`` records, whatever
    the values (a prefix reused across rows, equal instants in other zones included)."""
    encode = taskgen._created_json()
    for a, naive, zone, key, m, role, ru in rows + rows:
        due = naive.replace(tzinfo=zone)
        row = {"assignee_id": a, "due_at": due, "key": key, "measure_id": m, "role": role,
               "role_unit_id": ru}  # fmt: skip
        assert encode(row) == canonical_json(row)
        utc = due.astimezone(UTC)  # the same instant, another text
        assert encode({**row, "due_at": utc}) == canonical_json({**row, "due_at": utc})
    odd = {"assignee_id": True, "due_at": "x", "key": 1, "measure_id": 1.5, "role": 3,
           "role_unit_id": "u"}  # fmt: skip
    assert encode(odd) == canonical_json(odd)
