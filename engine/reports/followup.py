"""The annual follow-up across the organisation (årlig uppföljning, 14 §), per department:
how many units have a signed-off risk assessment and an approved plan, how the measures
went (done, on time, overdue), and how often tasks were returned or escalated.

    report = followup_report.build(app, actor, 2027, root_code="OMS")
    report.groups[0].risk_share, report.total.overdue, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from engine.context import Actor, App
from engine.db import queries
from engine.domain.clock import local_date
from engine.plans.plan import OPEN_MEASURE_STATES
from engine.reports import scope as report_scope
from engine.reports.scope import CycleFacts

SIGNED = "signed_off"


@dataclass(frozen=True)
class GroupRow:
    code: str
    name: str
    units: int
    cycles: int
    risk_signed: int
    plan_approved: int
    evaluated: int
    measures: int
    measures_due: int  # due by the report date, or done already
    done: int
    done_on_time: int
    overdue: int
    returned: int
    escalations: int

    def share(self, n: int, of: int | None = None) -> float | None:
        whole = self.units if of is None else of
        return n / whole if whole else None

    @property
    def risk_share(self) -> float | None:
        return self.share(self.risk_signed)

    @property
    def plan_share(self) -> float | None:
        return self.share(self.plan_approved)

    @property
    def on_time_share(self) -> float | None:
        """Of the measures due by now (or done), the share done by their due date."""
        return self.share(self.done_on_time, self.measures_due)


@dataclass(frozen=True)
class FollowUpReport:
    year: int
    root_code: str
    root_name: str
    as_of: datetime
    groups: list[GroupRow]
    total: GroupRow


def build(app: App, actor: Actor, year: int, root_code: str | None = None) -> FollowUpReport:
    now = app.clock.now()
    day = local_date(now)
    with app.read() as s:
        org = queries.org_snapshot(s, day)
        sc = report_scope.scope(s, actor, org, root_code, day)
        facts = report_scope.cycle_facts(s, sc.units, year, app.settings.default_template)
    grouped = report_scope.by_group(sc, facts)
    counts = report_scope.units_by_group(sc)
    groups = [_row(sc.codes[g], sc.names[g], counts[g], grouped.get(g, []), day) for g in sc.groups]
    total = _row("", sc.root_name, len(sc.units), facts, day)
    code = sc.codes[sc.root] if sc.root is not None else ""
    return FollowUpReport(year, code, sc.root_name, now, groups, total)


def _row(code: str, name: str, units: int, facts: list[CycleFacts], day: date) -> GroupRow:
    measures = [m for f in facts for m in f.measures if m[0] != "cancelled"]
    due = [m for m in measures if m[0] == "done" or (m[1] is not None and m[1] <= day)]
    return GroupRow(
        code=code,
        name=name,
        units=units,
        cycles=len(facts),
        risk_signed=sum(1 for f in facts if f.stages.get("analysis") == SIGNED),
        plan_approved=sum(1 for f in facts if f.stages.get("cooperation") == SIGNED),
        evaluated=sum(1 for f in facts if f.stages.get("evaluation") == SIGNED),
        measures=len(measures),
        measures_due=len(due),
        done=sum(1 for m in measures if m[0] == "done"),
        done_on_time=sum(1 for m in due if m[0] == "done" and m[2] and m[1] and m[2] <= m[1]),
        overdue=sum(1 for m in due if m[0] in OPEN_MEASURE_STATES and m[1] and m[1] < day),
        returned=sum(f.returned for f in facts),
        escalations=sum(f.escalations for f in facts),
    )
