"""Health goals, unit health plans (two health factors, local goals serving an
administration goal), the department head's follow-up, and progress rolling up."""

from __future__ import annotations

import pytest

from engine.audit import log as audit
from engine.context import App
from engine.domain.errors import InvalidInput, NotFound, NotPermitted
from engine.surveys import health
from tests.factories import build_org

PLAN = {
    "factors": ["leadership", "sam"],
    "challenges": "Hög korttidsfrånvaro under vintern",
    "goals": [{"goal": "G1", "text": "Hälsosamtal med alla", "status": "ongoing", "value": 2.5}],
}


def test_plans_follow_ups_and_the_roll_up(app: App) -> None:
    o = build_org(app)
    hr = o.actor("hr@x.se")
    health.set_goal(app, hr, 2027, "G1", "Minska korttidsfrånvaron", "korttid %", 3.0, "at_most")
    with pytest.raises(NotPermitted):
        health.set_goal(app, o.actor("m1@x.se"), 2027, "G2", "x", "y", 1.0)
    factors, challenges, local = health.parse_plan(app.settings.health_factors, PLAN)
    health.save_plan(app, o.actor("m1@x.se"), "U1", 2027, factors, challenges, local)
    other = {**PLAN, "goals": [{"goal": "G1", "text": "Schema", "status": "done", "value": 4}]}
    health.save_plan(app, o.actor("m2@x.se"), "U2", 2027,
                     *health.parse_plan(app.settings.health_factors, other))  # fmt: skip
    with pytest.raises(NotFound):  # not U2's manager nor above it: not theirs to see
        health.save_plan(app, o.actor("m1@x.se"), "U2", 2027, factors, challenges, local)
    health.follow_up(app, o.actor("dep@x.se"), "U1", 2027, "Bra fart, följ upp i maj")
    with pytest.raises(NotPermitted):  # sees U1, but is not its manager nor above it
        health.save_plan(app, o.actor("so1@x.se"), "U1", 2027, factors, challenges, local)
    with pytest.raises(NotPermitted):  # the unit's own manager does not follow up their plan
        health.follow_up(app, o.actor("m1@x.se"), "U1", 2027, "Själv")
    year = health.health_year(app, o.actor("dep@x.se"), 2027)
    plans = {p.unit: p for p in year.plans}
    assert not plans["U1"].follow_up_due and plans["U2"].follow_up_due
    assert plans["U1"].goals[0].reached is True and plans["U2"].goals[0].reached is False
    dep = year.progress["DEP"]["G1"]
    assert (dep.planned, dep.ongoing, dep.done, dep.reached) == (0, 1, 1, 1)
    assert year.units_without_plan == []
    assert [u.unit for u in health.health_year(app, o.actor("m1@x.se"), 2027).plans] == ["U1"]
    actions = [e.action for e in audit.events(app, chain="health")]
    assert actions == ["health.goal_set", "health.plan_saved", "health.plan_saved",
                       "health.plan_followed_up"]  # fmt: skip


def test_a_plan_names_each_problem(app: App) -> None:
    o = build_org(app)
    with pytest.raises(InvalidInput) as err:
        health.parse_plan(
            app.settings.health_factors,
            {"factors": ["leadership", "magic"], "goals": [{"goal": "", "status": "maybe"}]},
        )
    paths = {e.path for e in err.value.errors}
    wanted = {"factors[1]", "challenges", "goals[0].goal", "goals[0].text", "goals[0].status"}
    assert wanted <= paths
    with pytest.raises(InvalidInput, match="no health goal 'G1' for 2027"):
        health.save_plan(app, o.actor("m1@x.se"), "U1", 2027,
                         *health.parse_plan(app.settings.health_factors, PLAN))  # fmt: skip
