"""Absence figures per unit and period, the ROA rule's proposal, and HR's confirmation that
opens a review process (roa-review.yaml) for each selected unit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.audit import log as audit
from engine.context import App
from engine.db.models.followup.surveys import AbsenceFigure, RoaSelection
from engine.db.models.workflow.process import ProcessCase
from engine.domain.errors import ImportInvalid, InvalidInput, NotFound, NotPermitted
from engine.domain.followup.roa import Rule, proposals
from engine.surveys import absence, roa
from tests.factories import Org, build_org

ABSENCE = """enhet;period;korttid;långtid;antal anställda
U1;2027-01;6,0;3,0;30
U1;2027-02;5,5 %;3,1;30
U1;2027-03;2,0;3,1;30
U2;2027-01;2,0;1,0;45
U2;2027-02;2,2;1,0;45
U2;2027-03;2,1;1,0;45
DEP;2027-01;1,0;1,0;4
U1;2026-01;3,0;2,0;28
"""


def _import(app: App, o: Org, text: str = ABSENCE, **kw: bool) -> absence.AbsenceReport:
    return absence.import_absence(
        app, o.actor("hr@x.se"), filename="franvaro.csv", content=text.encode(), **kw
    )


def test_absence_per_unit_with_last_year(app: App) -> None:
    o = build_org(app)
    report = _import(app, o)
    assert (report.rows, report.units, report.new, report.replaced) == (8, 3, 8, 0)
    got = {u.code: u for u in absence.year_absence(app, o.actor("hr@x.se"), 2027)}
    u1 = got["U1"]
    assert [p.period for p in u1.periods] == ["2027-01", "2027-02", "2027-03"]
    assert (u1.short_term, u1.last_short_term, u1.change()) == (4.5, 3.0, 1.5)
    assert got["DEP"].hidden and got["DEP"].short_term is None  # 4 employees: not shown
    assert [u.code for u in absence.year_absence(app, o.actor("m1@x.se"), 2027)] == ["U1"]
    again = _import(app, o, "enhet;period;korttid;långtid;antal anställda\nU1;2027-01;7;3;30\n")
    assert (again.new, again.replaced) == (0, 1)
    assert [e.action for e in audit.events(app, chain="absence")] == ["absence.imported"] * 2


def test_bad_absence_rows_are_named_and_nothing_is_written(app: App) -> None:
    o = build_org(app)
    bad = "enhet;period;korttid;långtid;antal anställda\nU1;2027-13;x;3;30\nU1;2027-01;2;3;30\n"
    with pytest.raises(ImportInvalid) as err:
        _import(app, o, bad)
    assert [f"{r.file}:{r.line}: {r.field}" for r in err.value.rows] == [
        "franvaro.csv:2: B (period)",
        "franvaro.csv:2: C (korttid)",
    ]
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(AbsenceFigure)) == 0
    with pytest.raises(NotPermitted):
        absence.import_absence(app, o.actor("dep@x.se"), filename="f.csv", content=ABSENCE.encode())


def test_the_rule_wants_consecutive_high_periods_above_comparable_units() -> None:
    rule = Rule(threshold=2.5, above=20, periods=2)
    short = {1: {"a": 6, "b": 5.5, "c": 2}, 2: {"a": 2, "b": 2.2, "c": 2.1}, 3: {"a": 2.4, "c": 6}}
    groups = {1: "unit", 2: "unit", 3: "unit"}
    found = proposals(rule, short, groups, ["a", "b", "c"])
    assert list(found) == [1]  # unit 3 is high in one period only (and has no figure for b)
    assert [f.period for f in found[1]] == ["a", "b"]
    assert proposals(Rule(2.5, 20, 3), short, groups, ["a", "b", "c"]) == {}


def test_hr_confirms_the_selection_and_each_unit_gets_its_review(app: App) -> None:
    o = build_org(app)
    _import(app, o)
    proposed = roa.propose(app, o.actor("hr@x.se"), 2027)
    assert [p.code for p in proposed] == ["U1"]
    assert [f.period for f in proposed[0].flags] == ["2027-01", "2027-02"]
    with pytest.raises(InvalidInput) as err:  # nothing opened while one unit is wrong
        roa.confirm(app, o.actor("hr@x.se"), 2027, ["U1", "NOPE"])
    assert [e.path for e in err.value.errors] == ["units[1]"]
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(RoaSelection)) == 0
    done = roa.confirm(app, o.actor("hr@x.se"), 2027, ["U1", "U2"], note="Beslut i LSG")
    assert set(done.cases) == {"U1", "U2"}
    assert "manager_trained" in {i.key for i in o.inbox("m1@x.se")}
    assert "safety_rep_trained" in {i.key for i in o.inbox("so1@x.se")}
    with app.read() as s:
        kinds = s.scalars(select(ProcessCase.kind)).all()
        assert kinds == ["roa_review", "roa_review"]
    chosen = {u.code: u.proposed for u in roa.selection(app, o.actor("hr@x.se"), 2027)}
    assert chosen == {"U1": True, "U2": False}  # U2 was HR's own addition
    event = audit.events(app, chain="roa")[0]
    assert event.action == "roa.selection_confirmed" and '"added_by_hr":["U2"]' in event.data
    with pytest.raises(InvalidInput, match="already selected"):
        roa.confirm(app, o.actor("hr@x.se"), 2027, ["U1"])
    with pytest.raises(NotPermitted):
        roa.propose(app, o.actor("m1@x.se"), 2027)


def test_a_review_is_opened_only_through_a_selection(app: App) -> None:
    from engine.cases import doors

    o = build_org(app)
    with pytest.raises(NotFound):
        doors.register(app, o.actor("hr@x.se"), "roa_review",
                       {"unit": "U1", "selected_on": "2027-01-10", "reason": "x"})  # fmt: skip
