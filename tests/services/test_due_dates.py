"""A deadline counted in days after a stage opens never falls before the deadlines of the
cycle's earlier stages: a plan drawn up in January does not make its approval due in
February, three months before the plan itself is due (31 May)."""

from __future__ import annotations

from datetime import timedelta

from engine.context import App
from engine.domain.clock import local_date
from engine.workflow import templates
from tests.factories import build_org, drive_to


def test_days_after_start_is_not_before_the_earlier_stages_deadlines(app: App, clock) -> None:
    o = build_org(app)
    o.start()
    cycle = o.cycle_of("U1")
    drive_to(o, cycle, "cooperation")  # in January (the frozen clock)
    approval = o.task("m1@x.se", "approve_manager", cycle)
    template = templates.parse(templates.text_for("sam-annual"))
    plan_rule = template.task("action_plan").due
    assert local_date(approval.due_at) == local_date(plan_rule.due_at(2027, clock.now()))
    assert local_date(approval.due_at).isoformat() == "2027-05-31"


def test_days_after_start_counts_when_the_stage_opens_late(app: App, clock) -> None:
    o = build_org(app)
    o.start()
    cycle = o.cycle_of("U1")
    clock.set(clock.now().replace(month=6, day=10))
    drive_to(o, cycle, "cooperation")
    approval = o.task("m1@x.se", "approve_manager", cycle)
    assert approval.due_at == clock.now() + timedelta(days=21)
