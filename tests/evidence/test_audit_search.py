"""Searching the audit log by unit, person, action and period; paged, and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import text

from engine.audit.search import AuditQuery, export_csv, search
from engine.context import Actor, App
from engine.domain.clock import FrozenClock
from engine.domain.errors import InvalidInput, NotPermitted
from tests.evidence.scenario import year_with_history
from tests.tampering import unprotected_audit

SYSTEM = Actor.system("test")


def test_filters_combine(app: App, clock: FrozenClock) -> None:
    y = year_with_history(app, clock)
    u2 = search(app, SYSTEM, AuditQuery(unit_code="U2"), page_size=500)
    assert u2.total == len(u2.rows) > 20 and {r.unit_code for r in u2.rows} == {"U2"}
    dep = search(app, SYSTEM, AuditQuery(unit_code="DEP", subtree=True), page_size=500)
    assert {r.unit_code for r in dep.rows} == {"DEP", "U1", "U2"}
    assert search(app, SYSTEM, AuditQuery(unit_code="DEP"), page_size=500).total < dep.total
    returned = search(app, SYSTEM, AuditQuery(action="task.returned"))
    assert [(r.action, r.actor_name, r.unit_code) for r in returned.rows] == [
        ("task.returned", "Mats Chef", "U2")
    ]
    by_dep = search(app, SYSTEM, AuditQuery(person_email="dep@x.se", action="task.*"))
    assert {r.action for r in by_dep.rows} == {"task.completed", "task.due_extended"}
    april = search(app, SYSTEM, AuditQuery(date_from=date(2027, 4, 1), date_to=date(2027, 4, 30)))
    assert {r.action for r in april.rows} == {"task.escalated", "task.due_extended"}
    assert all(r.at.month == 4 for r in april.rows)
    assert search(app, SYSTEM, AuditQuery(date_to=date(2027, 1, 9))).total == 0
    assert y.c2


def test_pages_are_newest_first(app: App, clock: FrozenClock) -> None:
    year_with_history(app, clock)
    q = AuditQuery(unit_code="U1")
    everything = search(app, SYSTEM, q, page_size=500).rows
    first, second = (
        search(app, SYSTEM, q, page=1, page_size=10),
        search(app, SYSTEM, q, page=2, page_size=10),
    )
    assert first.pages == -(-len(everything) // 10)
    assert [r.id for r in first.rows + second.rows] == [r.id for r in everything[:20]]
    assert everything[0].at >= everything[-1].at
    with pytest.raises(InvalidInput):
        search(app, SYSTEM, q, page_size=10_000)


def test_csv_export_has_every_match(app: App, clock: FrozenClock) -> None:
    y = year_with_history(app, clock)
    # a label a spreadsheet would run as a formula (written past the append-only guard)
    with unprotected_audit(app), app.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor_label = '=HYPERLINK(1)' WHERE id = 1"))
    q = AuditQuery(unit_code="DEP", subtree=True)
    rows = list(csv.reader(io.StringIO("".join(export_csv(app, SYSTEM, q)))))
    assert rows[0][:4] == ["id", "time", "chain", "seq"]
    assert len(rows) - 1 == search(app, SYSTEM, q).total
    assert [int(r[0]) for r in rows[1:]] == sorted(int(r[0]) for r in rows[1:])
    assert any(r[7] == "task.returned" and r[10] == "Enhet 2" for r in rows[1:])
    everything = list(csv.reader(io.StringIO("".join(export_csv(app, SYSTEM, AuditQuery())))))
    assert everything[1][4] == "'=HYPERLINK(1)"
    assert y.c1


def test_only_those_over_the_unit_may_search(app: App, clock: FrozenClock) -> None:
    y = year_with_history(app, clock)
    assert search(app, y.o.actor("so1@x.se"), AuditQuery(unit_code="U1")).total > 0
    with pytest.raises(NotPermitted):
        search(app, y.o.actor("so1@x.se"), AuditQuery(unit_code="U2"))
    with pytest.raises(NotPermitted):
        search(app, y.o.actor("m1@x.se"), AuditQuery())
    assert search(app, y.o.actor("hr@x.se"), AuditQuery()).total > 0
