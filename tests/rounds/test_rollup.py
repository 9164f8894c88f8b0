"""The annual follow-up rolls up (issue 12 §5), through the use cases on SQLite and
PostgreSQL: a level per department and the administration, each a task with the summary of
the level below; a level cannot close while a sub-unit is missing, until HR records a
waiver with its reason (audited); the committee's tjänsteskrivelse with its charts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.context import App
from engine.db.models import AuditEvent
from engine.domain.errors import Conflict, GateBlocked, InvalidInput, NotFound, NotPermitted
from engine.reports import rollup
from engine.workflow import cycles
from engine.workflow.process import cases as processes
from forms.exports import case_docs
from tests.factories import EVALUATION, Org, build_org, drive_to

SUMMARY = {"assessment": "Arbetet fungerar; Enhet 2 lades ned.", "proposals": "Utbilda chefer."}


@pytest.fixture
def o(app: App) -> Org:
    org = build_org(app)
    org.start()
    return org


def _follow_up(o: Org, code: str, manager: str) -> None:
    cid = o.cycle_of(code)
    drive_to(o, cid, "evaluation", manager=manager)
    o.complete(manager, "annual_evaluation", EVALUATION, cid)
    o.sign_off(manager, cid, "evaluation")


def _level(o: Org, code: str) -> processes.CaseSummary:
    rows = processes.list_cases(o.app, o.actor("hr@x.se"), "followup_level")
    return next(r for r in rows if r.unit_code == code)


def test_levels_open_with_their_deadlines_and_summaries(o: Org) -> None:
    _follow_up(o, "U1", "m1@x.se")
    started = rollup.start(o.app, o.actor("hr@x.se"), 2027, root_code="ADM")
    assert (started.opened, started.skipped) == (2, 0)
    again = rollup.start(o.app, o.actor("hr@x.se"), 2027, root_code="ADM")
    assert (again.opened, again.skipped) == (0, 2)  # a level is opened once a year
    with pytest.raises(NotPermitted):
        rollup.start(o.app, o.actor("m1@x.se"), 2027, root_code="ADM")
    dep, adm = _level(o, "DEP"), _level(o, "ADM")
    assert (str(dep.deadline), str(adm.deadline)) == ("2028-02-29", "2028-03-31")
    assert (dep.state["done"], dep.state["missing"]) == (1, 1)
    # the department head's task; the administration's goes to the director
    assert o.task("dep@x.se", "level_summary", dep.cycle_id)
    assert o.task("dir@x.se", "level_summary", adm.cycle_id)
    levels = rollup.levels(o.app, o.actor("hr@x.se"), 2027, root_code="ADM")
    assert [lv.code for lv in levels] == ["ADM", "DEP"]
    d = levels[1]
    assert [(c.code, c.state) for c in d.children] == [("U1", "done"), ("U2", "missing")]
    assert d.children[0].assessment == "Fungerar." and d.children[0].figures.evaluated == 1
    assert levels[0].children[0].state == "missing"  # the department is not closed yet


def test_a_level_cannot_close_while_a_sub_unit_is_missing_until_hr_waives_it(o: Org) -> None:
    _follow_up(o, "U1", "m1@x.se")
    rollup.start(o.app, o.actor("hr@x.se"), 2027, root_code="ADM")
    dep = _level(o, "DEP")
    o.complete("dep@x.se", "level_summary", SUMMARY, dep.cycle_id)
    with pytest.raises(GateBlocked) as blocked:
        cycles.sign_off_stage(o.app, o.actor("dep@x.se"), dep.cycle_id or 0, "follow_up")
    named = [u for u in blocked.value.unmet if u.gate == "sub_units_followed_up"]
    assert [u.subject for u in named] == [f"unit:{o.units['U2']}"]
    assert "Enhet 2" in named[0].message_sv

    hr = o.actor("hr@x.se")
    with pytest.raises(NotPermitted):  # the department head may not waive
        rollup.waive(o.app, o.actor("dep@x.se"), dep.id, "U2", "Nedlagd")
    with pytest.raises(InvalidInput):
        rollup.waive(o.app, hr, dep.id, "U2", "   ")
    with pytest.raises(Conflict):  # followed up: nothing to waive
        rollup.waive(o.app, hr, dep.id, "U1", "Av misstag")
    with pytest.raises(InvalidInput):
        rollup.waive(o.app, hr, dep.id, "ADM", "Inte en underenhet")
    with pytest.raises(NotFound):
        rollup.waive(o.app, o.actor("m2@x.se"), dep.id, "U2", "Ser inte nivån")
    rollup.waive(o.app, hr, dep.id, "U2", "Enheten lades ned i oktober")
    with o.app.read() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "followup_level.waiver"))
    assert ev is not None and ev.chain == f"cycle:{dep.cycle_id}"
    assert "lades ned" in (ev.data or "")
    cycles.sign_off_stage(o.app, o.actor("dep@x.se"), dep.cycle_id or 0, "follow_up")

    # the administration: its department is closed now; the committee's report
    adm = _level(o, "ADM")
    with pytest.raises(Conflict):  # not before the level is closed
        processes.draw_up(o.app, hr, "followup_level", adm.id, "committee_report")
    o.complete("dir@x.se", "level_summary", SUMMARY, adm.cycle_id)
    cycles.sign_off_stage(o.app, o.actor("dir@x.se"), adm.cycle_id or 0, "follow_up")
    draft = processes.draw_up(o.app, hr, "followup_level", adm.id, "committee_report")
    doc = draft.document()
    lv = doc["data"]["level"]
    assert lv["counts"] == {"done": 1, "missing": 0, "waived": 0} and lv["closed"]
    assert "Nämnden godkänner" in doc["data"]["decision"]["sv"]
    page = case_docs.html(doc, draft.template, draft.title, "sv")
    for part in ("Sammanfattning", "Beslutsunderlag", "Förslag till beslut", "<svg", "<title"):
        assert part in page, part
    assert case_docs.pdf(doc, draft.template, draft.title, "en")[:5] == b"%PDF-"
    # the department's summary as the level below gave it
    below = rollup.level(o.app, hr, adm.id).children[0]
    assert (below.code, below.state, below.assessment) == ("DEP", "done", SUMMARY["assessment"])
    dep_level = rollup.level(o.app, hr, dep.id)
    assert [(c.code, c.state, c.waiver) for c in dep_level.children][1] == (
        "U2",
        "waived",
        "Enheten lades ned i oktober",
    )
