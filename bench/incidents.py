"""Register 10,000 incidents (a fifth of them serious) through the use case, then sweep
their tasks three days later: every report to Arbetsmiljöverket and investigation is
overdue, so each is reminded or escalated to the manager above, with its audit event.

Prints the registrations per second with the p50/p95 of one, the sweep's time and steps,
and the time of the director's incident list and reporting latency over all of them.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from bench.common import T0, build_org, fresh_app, machine, parser, percentiles
from engine.cases import incidents
from engine.context import Actor
from engine.db.models import AuditEvent, Task
from engine.domain.clock import FrozenClock
from engine.workflow import sweeps, tasks
from engine.workflow.process import cases as processes


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--incidents", type=int, default=10_000)
    p.add_argument("--units", type=int, default=200)
    args = p.parse_args()
    app = fresh_app(args.db)
    build_org(app, args.units)
    system = Actor.system("bench")
    samples = []
    t0 = time.perf_counter()
    for i in range(args.incidents):
        subject = processes.parse_subject(
            "incident",
            {
                "unit": f"U{i % args.units}",
                "kind": ("near_miss", "accident", "illness")[i % 3],
                "occurred_on": "2027-01-09",
                "occurred_time": "14:30",
                "what": f"Händelse {i}",
                "serious": i % 5 == 0,
            },
        )
        t = time.perf_counter()
        processes.open_case(app, system, "incident", subject)
        samples.append(time.perf_counter() - t)
    registering = time.perf_counter() - t0
    with app.read() as s:
        open_ = s.scalar(select(func.count()).select_from(Task).where(Task.status == "open"))
        before = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
    assert isinstance(app.clock, FrozenClock)
    app.clock.set(T0 + timedelta(days=3))
    t = time.perf_counter()
    report = sweeps.sweep(app)
    sweep_s = time.perf_counter() - t
    with app.read() as s:
        events = (s.scalar(select(func.count()).select_from(AuditEvent)) or 0) - before
    director = tasks.active_person(app, "dir@bench.se")
    t = time.perf_counter()
    rows = processes.list_cases(app, director, "incident", year=2027)
    list_s = time.perf_counter() - t
    t = time.perf_counter()
    lat = incidents.latency(app, director, 2027)
    lat_s = time.perf_counter() - t
    print(
        f"registered {args.incidents} incidents in {registering:.1f} s "
        f"({args.incidents / registering:.0f}/s; one: {percentiles(samples)}); "
        f"{open_} open tasks\n"
        f"sweep 3 days later: {sweep_s:.2f} s — {report.escalated} escalated, "
        f"{report.reminded} reminded, {events} audit events, {report.batches} batches\n"
        f"director's list of {len(rows)} incidents: {list_s:.2f} s; latency over "
        f"{lat.serious} serious ({lat.not_reported} not reported): {lat_s:.2f} s  "
        f"[{app.db.dialect}, {machine()}]"
    )


if __name__ == "__main__":
    main()
