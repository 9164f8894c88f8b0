"""The inbox of one person with 1,000,000 tasks in the database (target p95 ≤ 5 ms).

3,000 units with started cycles, then 1,000,000 task rows spread over them (5 % open).
Times ``reports.inbox`` (the whole read model the page shows: the person's roles and
substitutes, three index ranges — assigned, routed to their roles, escalated to them —
titles from the cycle's template version, counts) for random unit managers and department
managers.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from sqlalchemy import func, select

from bench.common import build_org, fresh_app, machine, parser, percentiles, synthetic_tasks
from engine.context import Actor
from engine.db.models import Person, Task
from engine.views import inbox as reports
from engine.workflow import cycles


def measure(db: str | None = None, tasks: int = 1_000_000, calls: int = 1000) -> dict[str, Any]:
    app = fresh_app(db)
    build_org(app, 3000)
    cycles.start_cycles(app, Actor.system("bench"), 2027)
    t = time.perf_counter()
    synthetic_tasks(app, max(0, tasks - 9063), open_share=0.05)
    with app.read() as s:
        total = s.scalar(select(func.count()).select_from(Task))
        people = s.execute(
            select(Person.id, Person.email).where(
                Person.email.like("m%@bench.se") | Person.email.like("dm%@bench.se")
            )
        ).all()
    print(f"built {total} tasks in {time.perf_counter() - t:.1f} s")
    rng = random.Random(3)
    samples, sizes = [], []
    for _ in range(calls + 50):
        pid, email = people[rng.randrange(len(people))]
        t = time.perf_counter()
        box = reports.inbox(app, Actor(pid, email))
        samples.append(time.perf_counter() - t)
        sizes.append(box.total)
    samples, sizes = samples[50:], sizes[50:]
    print(
        f"inbox over {total} tasks: {percentiles(samples)}; tasks per inbox: "
        f"median {sorted(sizes)[len(sizes) // 2]}, max {max(sizes)}  "
        f"[{app.db.dialect}, {machine()}]"
    )
    q = statistics.quantiles(samples, n=100)
    return {"p95_ms": q[94] * 1000, "p50_ms": q[49] * 1000, "tasks": total, "calls": calls}


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--tasks", type=int, default=1_000_000)
    p.add_argument("--calls", type=int, default=1000)
    args = p.parse_args()
    measure(args.db, args.tasks, args.calls)


if __name__ == "__main__":
    main()
