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


def _walk(app: App, actor: Actor, q: AuditQuery, size: int) -> list[int]:
    """Every match by pressing "older" from the first page."""
    page = search(app, actor, q, page_size=size)
    seen = [r.id for r in page.rows]
    while page.older is not None:
        page = search(app, actor, q, page_size=size, before=page.older)
        assert page.rows and len(page.rows) <= size
        seen += [r.id for r in page.rows]
    return seen


def _ordered(app: App, q: AuditQuery) -> list[int]:
    """The matches as the export has them, newest first by (time, id)."""
    rows = list(csv.reader(io.StringIO("".join(export_csv(app, SYSTEM, q)))))[1:]
    with app.read() as s:
        at = dict(s.execute(text("SELECT id, at FROM audit_event")).tuples().all())
    return sorted((int(r[0]) for r in rows), key=lambda i: (at[i], i), reverse=True)


@pytest.mark.parametrize("rare", [2000, 0], ids=["action-leads", "unit-or-person-leads"])
def test_cursor_pages_walk_every_match_once_newest_first(
    app: App, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, rare: int
) -> None:
    year_with_history(app, clock)
    monkeypatch.setattr("engine.audit.search.RARE", rare)
    for q in (
        AuditQuery(),
        AuditQuery(unit_code="DEP", subtree=True, action="task.*"),  # branch per unit, action
        AuditQuery(person_email="dep@x.se"),  # acting, or acted for
        AuditQuery(person_email="m2@x.se", action="task.*", unit_code="DEP", subtree=True),
        AuditQuery(unit_code="U2", action="task.completed"),
        AuditQuery(unit_code="U2", date_from=date(2027, 1, 10), date_to=date(2027, 6, 30)),
        AuditQuery(date_from=date(2027, 2, 1), date_to=date(2027, 9, 30)),  # PG: time windows
    ):
        expected = _ordered(app, q)
        assert expected and _walk(app, SYSTEM, q, 7) == expected, q
        # and back again: "newer" from the last page gives the same pages, in order
        page = search(app, SYSTEM, q, page_size=7)
        pages = [page]
        while page.older is not None:
            page = search(app, SYSTEM, q, page_size=7, before=page.older)
            pages.append(page)
        for later, earlier in zip(pages[::-1], pages[-2::-1], strict=False):
            assert later.newer is not None
            back = search(app, SYSTEM, q, page_size=7, after=later.newer)
            assert [r.id for r in back.rows][-len(earlier.rows) :] == [r.id for r in earlier.rows][
                -len(back.rows) :
            ]
        assert pages[0].newer is None and pages[-1].older is None


def test_total_is_capped_and_pages_past_it_by_cursor(
    app: App, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    year_with_history(app, clock)
    q = AuditQuery(unit_code="DEP", subtree=True)
    exact = search(app, SYSTEM, q, page_size=5)
    assert not exact.capped and exact.total > 20 and exact.page == 1
    monkeypatch.setattr("engine.audit.search.COUNT_CAP", 12)
    first = search(app, SYSTEM, q, page_size=5)
    assert first.capped and first.total == 12 and first.pages == 3
    assert [r.id for r in first.rows] == [r.id for r in exact.rows]
    with pytest.raises(InvalidInput):  # page numbers reach the counted matches only
        search(app, SYSTEM, q, page=4, page_size=5)
    assert len(search(app, SYSTEM, q, page=3, page_size=5).rows) == 5
    walked = _walk(app, SYSTEM, q, 5)
    assert walked == _ordered(app, q) and len(walked) == exact.total
    deep = search(app, SYSTEM, q, page_size=5, before=walked[14])
    assert deep.page is None and deep.newer == walked[15] and deep.capped
    assert search(app, SYSTEM, q, page_size=5, before=walked[4]).page == 2
    under = search(app, SYSTEM, AuditQuery(action="task.returned"))
    assert under.total == 1 and not under.capped


def test_cursors_are_checked_and_show_nothing_outside_the_search(
    app: App, clock: FrozenClock
) -> None:
    y = year_with_history(app, clock)
    elsewhere = search(app, SYSTEM, AuditQuery(unit_code="U2")).rows[0].id
    so1 = y.o.actor("so1@x.se")
    page = search(app, so1, AuditQuery(unit_code="U1"), before=elsewhere)
    assert page.rows and {r.unit_code for r in page.rows} == {"U1"}
    for bad in ({"before": 10**9}, {"after": 0}, {"before": 2**63}, {"before": 1, "after": 2}):
        with pytest.raises(InvalidInput):
            search(app, SYSTEM, AuditQuery(), **bad)
    with pytest.raises(NotPermitted):  # a cursor does not open another unit
        search(app, so1, AuditQuery(unit_code="U2"), before=elsewhere)
