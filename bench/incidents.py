"""Register 10,000 incidents (a fifth of them serious) through the use case, sweep their
tasks three days later (every report to Arbetsmiljöverket and investigation is then due
for a reminder or an escalation to the manager above, each with its audit event), and time
the director's overview of cases over all of them.

Prints the registrations per second with the p50/p95 of one (wall and CPU), the sweep's
time, steps and audit events, and the p50/p95 of the overview: the call
(``case_overview`` + the serious incidents' reporting latency, as the page makes them),
``GET /api/overview/cases`` and the page ``GET /overview`` over HTTP in-process, signed in.

``--real N`` registers only N through the use case and copies their case, cycle, stage and
task rows in bulk SQL up to ``--incidents`` (``bench.case_list.clone``): the overview and
the sweep do not care how the rows came, and 10,000 registrations take minutes.

    .venv/bin/python -m bench.incidents [--incidents 10000] [--real N] [--db URL]
"""

from __future__ import annotations

import os
import statistics
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bench.common import T0, build_org, fresh_app, machine, parser
from engine.accounts import signin as accounts
from engine.accounts import tokens
from engine.cases import incidents
from engine.context import Actor, App
from engine.db.models import AuditEvent, Task
from engine.domain.clock import FrozenClock
from engine.workflow import sweeps
from engine.workflow import tasks as task_service
from engine.workflow.process import cases as processes


def subject(i: int, units: int) -> Any:
    return processes.parse_subject(
        "incident",
        {
            "unit": f"U{i % units}",
            "kind": ("near_miss", "accident", "illness")[i % 3],
            "occurred_on": "2027-01-09",
            "occurred_time": "14:30",
            "what": f"Händelse {i}",
            "serious": i % 5 == 0,
        },
    )


def quantiles(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    q = statistics.quantiles(s, n=100) if len(s) > 1 else s * 99
    return {"p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "max_ms": s[-1] * 1000}


def timed(fn: Callable[[], object], calls: int, warm: int = 3) -> dict[str, float]:
    """p50/p95 of ``calls`` calls (after ``warm`` unmeasured), and the CPU per call."""
    for _ in range(warm):
        fn()
    samples = []
    cpu = time.process_time()
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return quantiles(samples) | {"cpu_ms_per_call": (time.process_time() - cpu) / calls * 1000}


def register(app: App, n: int, units: int) -> dict[str, Any]:
    system = Actor.system("bench")
    samples = []
    t0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(n):
        one = subject(i, units)
        t = time.perf_counter()
        processes.open_case(app, system, "incident", one)
        samples.append(time.perf_counter() - t)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "registered": n,
        "seconds": wall,
        "cpu_seconds": cpu,
        "per_second": n / wall,
        "per_cpu_second": n / cpu if cpu else 0.0,
        **{f"one_{k}": v for k, v in quantiles(samples).items()},
    }


def web_clients(app: App) -> tuple[Any, Any]:
    """A browser signed in as the director (session cookie) and an API client (token)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from api.app import create_app

    web = create_app(app.settings, app.clock)
    engine: App = web.state.engine
    system = Actor.system("bench")
    accounts.set_password(engine, system, "dir@bench.se", "ett-långt-lösenord")
    browser = TestClient(web)
    form = browser.get("/login").text
    csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
    browser.post(
        "/login",
        data={"csrf_token": csrf, "email": "dir@bench.se", "password": "ett-långt-lösenord"},
    )
    secret, _ = tokens.create_token(engine, system, "dir@bench.se")
    api = TestClient(web)
    api.headers["Authorization"] = f"Bearer {secret}"
    return browser, api


def measure(
    db: str | None = None,
    incidents_n: int = 10_000,
    units: int = 200,
    real: int | None = None,
    calls: int = 40,
) -> dict[str, Any]:
    app = fresh_app(db)
    build_org(app, units)
    real_n = incidents_n if real is None else min(real, incidents_n)
    reg = register(app, real_n, units)
    print(
        f"registered {real_n} incidents in {reg['seconds']:.1f} s ({reg['per_second']:.0f}/s, "
        f"{reg['cpu_seconds']:.1f} s CPU); one: p50 {reg['one_p50_ms']:.1f} ms, "
        f"p95 {reg['one_p95_ms']:.1f} ms",
        flush=True,
    )
    if real_n < incidents_n:
        from bench.case_list import clone

        clone(app, incidents_n)
        print(f"copied to {incidents_n} incidents in bulk SQL", flush=True)
        if app.db.dialect == "postgresql":
            # what autovacuum does within a minute of such a change: without it the
            # planner's statistics are of the few registered (or none), depending on
            # whether the daemon came by first
            with app.db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
    with app.read() as s:
        open_ = s.scalar(select(func.count()).select_from(Task).where(Task.status == "open"))
        before = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
    assert isinstance(app.clock, FrozenClock)
    app.clock.set(T0 + timedelta(days=3))
    t, cpu = time.perf_counter(), time.process_time()
    report = sweeps.sweep(app)
    sweep_s, sweep_cpu = time.perf_counter() - t, time.process_time() - cpu
    with app.read() as s:
        events = (s.scalar(select(func.count()).select_from(AuditEvent)) or 0) - before
    print(
        f"sweep 3 days later over {open_} open tasks: {sweep_s:.2f} s ({sweep_cpu:.2f} s CPU) "
        f"— {report.escalated} escalated, {report.reminded} reminded, {events} audit events",
        flush=True,
    )
    director = task_service.active_person(app, "dir@bench.se")
    manager = task_service.active_person(app, "dm0@bench.se")
    kinds = processes.case_overview(app, director, 2027)
    seen = {k.kind: k for k in kinds}["incident"]
    assert seen.cases == incidents_n, (seen.cases, incidents_n)
    lat = incidents.latency(app, director, 2027)

    def call(who: Actor) -> Callable[[], object]:
        return lambda: (
            processes.case_overview(app, who, 2027),
            incidents.latency(app, who, 2027),
        )

    overview_dir = timed(call(director), calls)
    overview_dm = timed(call(manager), calls)
    browser, api = web_clients(app)

    def page() -> None:
        r = browser.get("/overview", params={"year": "2027"})
        assert r.status_code == 200, r.status_code

    def route() -> None:
        r = api.get("/api/overview/cases", params={"year": 2027})
        assert r.status_code == 200, r.text

    http_api = timed(route, calls)
    http_page = timed(page, calls)
    out = {
        "incidents": incidents_n,
        "registered_through_use_case": real_n,
        "units": units,
        "register": reg,
        "sweep_seconds": sweep_s,
        "sweep_cpu_seconds": sweep_cpu,
        "open_tasks": open_,
        "escalated": report.escalated,
        "reminded": report.reminded,
        "audit_events": events,
        "serious": lat.serious,
        "overview_director": overview_dir,
        "overview_department_manager": overview_dm,
        "http_api": http_api,
        "http_page": http_page,
        "dialect": app.db.dialect,
        "load": os.getloadavg()[0],
    }
    print(
        f"overview of cases (call + latency), director, {seen.cases} incidents "
        f"({lat.serious} serious): p50 {overview_dir['p50_ms']:.1f} ms, "
        f"p95 {overview_dir['p95_ms']:.1f} ms ({overview_dir['cpu_ms_per_call']:.1f} ms CPU)\n"
        f"  department manager: p95 {overview_dm['p95_ms']:.1f} ms\n"
        f"GET /api/overview/cases: p50 {http_api['p50_ms']:.1f} ms, "
        f"p95 {http_api['p95_ms']:.1f} ms ({http_api['cpu_ms_per_call']:.1f} ms CPU)\n"
        f"GET /overview (page): p50 {http_page['p50_ms']:.1f} ms, "
        f"p95 {http_page['p95_ms']:.1f} ms ({http_page['cpu_ms_per_call']:.1f} ms CPU)  "
        f"[{app.db.dialect}, load {out['load']:.1f}, {machine()}]",
        flush=True,
    )
    app.db.dispose()
    return out


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--incidents", type=int, default=10_000)
    p.add_argument("--units", type=int, default=200)
    p.add_argument("--real", type=int, default=None, help="register only N, copy the rest")
    p.add_argument("--calls", type=int, default=40)
    args = p.parse_args()
    measure(args.db, args.incidents, args.units, args.real, args.calls)


if __name__ == "__main__":
    main()
