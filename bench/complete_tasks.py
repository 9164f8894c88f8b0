"""Complete tasks through the use case, each its own transaction with its audit event
(target ≥ 2,000 completions/s, p95 ≤ 2 ms on SQLite).

Each completion: load the task, check who may act (roles, substitutes), validate the form
input against its schema, update the task with its optimistic-lock version, chain an audit
event, commit. The people completing are the units' managers (survey results form).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from typing import Any

from sqlalchemy import select

from bench import reference
from bench.common import build_org, fresh_app, machine, parser, percentiles
from engine.context import Actor
from engine.db.models import OrgUnit, Person, Task
from engine.workflow import cycles, tasks

DATA = {
    "survey_name": "HME",
    "invited": 20,
    "answered": 15,
    "motivation": 75,
    "leadership": 70,
    "governance": 65,
}


def measure(db: str | None = None, units: int = 3000, n: int = 3000) -> dict[str, Any]:
    """Completions through the use case, then (on SQLite) the raw-sqlite3 reference on other
    open tasks of the same database, and SpiffWorkflow if installed: rates as data."""
    app = fresh_app(db)
    build_org(app, units)
    cycles.start_cycles(app, Actor.system("bench"), 2027)
    with app.read() as s:
        rows = s.execute(
            select(Task.id, Task.unit_id).where(Task.key == "employee_survey").order_by(Task.id)
        ).all()
        managers = dict(s.execute(select(Person.email, Person.id)).tuples().all())
        codes = dict(s.execute(select(OrgUnit.id, OrgUnit.code)).tuples().all())
    jobs = []
    for task_id, unit_id in rows:
        email = f"m{codes[unit_id][1:]}@bench.se" if codes[unit_id].startswith("U") else None
        if email in managers:
            jobs.append((task_id, Actor(managers[email], email)))
    half = min(n + 50, len(jobs) // 2) if app.db.dialect == "sqlite" else n + 50
    mine, rest = jobs[:half], jobs[half : 2 * half]
    for task_id, actor in mine[:50]:  # warm-up (compiled statement caches, imports)
        tasks.complete_task(app, actor, task_id, DATA)
    samples = []
    start, cpu = time.perf_counter(), time.process_time()
    for task_id, actor in mine[50:]:
        t = time.perf_counter()
        tasks.complete_task(app, actor, task_id, DATA)
        samples.append(time.perf_counter() - t)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{len(samples)} completions in {elapsed:.2f} s: {len(samples) / elapsed:.0f}/s; "
        f"{percentiles(samples)}  [{app.db.dialect}, {machine()}]"
    )
    q = statistics.quantiles(samples, n=100)
    out: dict[str, Any] = {
        "per_second": len(samples) / elapsed,
        "p95_ms": q[94] * 1000,
        "n": len(samples),
        "seconds": elapsed,
        "cpu_seconds": cpu,
    }
    if app.db.dialect == "sqlite":
        path = app.settings.database_url.split("///", 1)[1]
        app.db.dispose()
        out["raw_sqlite3"] = reference.raw_completions(
            path, [(t, a.person_id or 0, a.label) for t, a in rest[50:]], DATA
        )
    with tempfile.TemporaryDirectory(prefix="samflow-spiff-") as where:
        out["spiff"] = reference.spiff_completions(f"{where}/bpmn.db", len(samples))
        out["spiff_core"] = reference.spiff_core_completions(f"{where}/core.db", len(samples))
    return out


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--units", type=int, default=3000)
    p.add_argument("--n", type=int, default=3000, help="completions to time")
    args = p.parse_args()
    measure(args.db, args.units, args.n)


if __name__ == "__main__":
    main()
