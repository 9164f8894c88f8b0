"""The director's list of cases, paged: 10,000 incidents (a fifth serious), the first page
and a later one (keyset), the count and the reporting latency, through the use case and
through the page (``GET /cases/incident`` over HTTP in-process, signed in).

Registering 10,000 incidents through ``open_case`` takes a quarter of an hour
(``bench/incidents.py``); the list does not care how the rows came, so this one registers
``--real`` incidents through the use case and copies their case, cycle, stage and task
rows in bulk SQL until there are ``--incidents``. Prints each timing as p50 / p95 of
``--repeat`` runs.

    .venv/bin/python bench/case_list.py [--incidents 10000] [--db URL]
"""

from __future__ import annotations

import statistics
import time
import warnings
from typing import Any

from sqlalchemy import func, select

from bench.common import build_org, fresh_app, machine, parser
from engine.accounts import signin as accounts
from engine.cases import incidents
from engine.context import Actor, App
from engine.db.models import Cycle, Stage, Task, table
from engine.db.models.workflow.process import ProcessCase
from engine.workflow import tasks
from engine.workflow.process import cases as processes


def clone(app: App, total: int) -> None:
    """Copy the registered cases (with their cycle, stages and tasks) until ``total``."""
    with app.read() as s:
        cases = list(s.scalars(select(ProcessCase).order_by(ProcessCase.id)))
        cycles = {c.id: c for c in s.scalars(select(Cycle))}
        stages = list(s.scalars(select(Stage)))
        task_rows = list(s.scalars(select(Task)))
        ids = {m: s.scalar(select(func.max(m.id))) or 0 for m in (ProcessCase, Cycle, Stage, Task)}

    def row(obj: Any, **over: Any) -> dict[str, Any]:
        cols = obj.__table__.columns
        return {c.key: getattr(obj, c.key) for c in cols} | over

    out: dict[Any, list[dict[str, Any]]] = {ProcessCase: [], Cycle: [], Stage: [], Task: []}
    n = len(cases)
    for i in range(total - n):
        src = cases[i % n]
        cyc = cycles[src.cycle_id or 0]
        ids[Cycle] += 1
        ids[ProcessCase] += 1
        cid, pid = ids[Cycle], ids[ProcessCase]
        out[Cycle].append(row(cyc, id=cid, instance=f"incident:{pid}"))
        out[ProcessCase].append(row(src, id=pid, cycle_id=cid))
        smap: dict[int, int] = {}
        for st in stages:
            if st.cycle_id == cyc.id:
                ids[Stage] += 1
                smap[st.id] = ids[Stage]
                out[Stage].append(row(st, id=ids[Stage], cycle_id=cid))
        tmap: dict[int, int] = {}
        for t in task_rows:
            if t.cycle_id == cyc.id:
                ids[Task] += 1
                tmap[t.id] = ids[Task]
        for t in task_rows:
            if t.cycle_id == cyc.id:
                out[Task].append(
                    row(
                        t,
                        id=tmap[t.id],
                        cycle_id=cid,
                        stage_id=smap[t.stage_id],
                        returned_from_id=tmap.get(t.returned_from_id or 0),
                    )
                )
    with app.db.write() as s:
        for model in (Cycle, ProcessCase, Stage, Task):
            rows = out[model]
            for k in range(0, len(rows), 5000):
                s.connection().execute(table(model).insert(), rows[k : k + 5000])
    with app.db.engine.connect() as c:
        c.exec_driver_sql("ANALYZE")


def timed(fn: Any, repeat: int) -> tuple[str, Any]:
    samples, got = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        got = fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return f"p50 {statistics.median(samples) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms", got


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--incidents", type=int, default=10_000)
    p.add_argument("--real", type=int, default=50)
    p.add_argument("--units", type=int, default=200)
    p.add_argument("--repeat", type=int, default=15)
    args = p.parse_args()
    app = fresh_app(args.db)
    build_org(app, args.units)
    system = Actor.system("bench")
    for i in range(args.real):
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
        processes.open_case(app, system, "incident", subject)
    clone(app, args.incidents)
    director = tasks.active_person(app, "dir@bench.se")
    first, page = timed(
        lambda: processes.page_cases(app, director, "incident", year=2027), args.repeat
    )
    later, _ = timed(
        lambda: processes.page_cases(app, director, "incident", year=2027, after=page.next_after),
        args.repeat,
    )
    lat, latency = timed(lambda: incidents.latency(app, director, 2027), args.repeat)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from api.app import create_app

    web = create_app(app.settings, app.clock)
    accounts.set_password(web.state.engine, system, "dir@bench.se", "ett-långt-lösenord")
    client = TestClient(web)
    form = client.get("/login").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"csrf_token": token, "email": "dir@bench.se", "password": "ett-långt-lösenord"},
    )

    def get_page() -> int:
        r = client.get("/cases/incident")
        assert r.status_code == 200, r.status_code
        return len(r.content)

    http, size = timed(get_page, args.repeat)
    print(
        f"{page.total} incidents ({latency.serious} serious), director over {args.units} units\n"
        f"first page of {len(page.rows)} with the count: {first}\n"
        f"second page (keyset): {later}\n"
        f"reporting latency: {lat}\n"
        f"GET /cases/incident (page, count, latency; {size // 1024} kB): {http}\n"
        f"[{app.db.dialect}, {machine()}]"
    )


if __name__ == "__main__":
    main()
