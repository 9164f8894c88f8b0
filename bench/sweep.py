"""The sweep over 1,000,000 open tasks of which 10,000 are overdue (target ≤ 1 s on SQLite).

The open tasks carry ``next_check_at``; the sweep reads the 10,000 that are due through the
partial index, decides each step (pure ladder rules), escalates them to the manager above
with guarded updates, and writes 10,000 audit events into their cycles' hash chains.
A second sweep right after finds nothing to do.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from bench.common import build_org, fresh_app, machine, parser, synthetic_tasks
from engine.audit import log as audit
from engine.context import Actor
from engine.db.models import AuditEvent, Task
from engine.workflow import cycles, sweeps


def measure(db: str | None = None, tasks: int = 1_000_000, overdue: int = 10_000) -> dict[str, Any]:
    app = fresh_app(db)
    build_org(app, 3000)
    cycles.start_cycles(app, Actor.system("bench"), 2027)
    with app.db.write() as s:  # the real tasks of the start are not due; keep them out
        s.execute(Task.__table__.update().values(next_check_at=None))  # type: ignore[attr-defined]
    synthetic_tasks(app, tasks, open_share=1.0, overdue=overdue)
    with app.read() as s:
        open_ = s.scalar(select(func.count()).select_from(Task).where(Task.status == "open"))
        events_before = s.scalar(select(func.count()).select_from(AuditEvent))
    t, cpu = time.perf_counter(), time.process_time()
    report = sweeps.sweep(app)
    first, cpu = time.perf_counter() - t, time.process_time() - cpu
    t = time.perf_counter()
    again = sweeps.sweep(app)
    second = time.perf_counter() - t
    with app.read() as s:
        events = (s.scalar(select(func.count()).select_from(AuditEvent)) or 0) - (
            events_before or 0
        )
    print(
        f"sweep over {open_} open tasks: {first:.3f} s ({cpu:.3f} s CPU of this process) — "
        f"{report.escalated} escalated, "
        f"{report.reminded} reminded, {events} audit events; second sweep {second:.3f} s, "
        f"{again.escalated + again.reminded} steps  [{app.db.dialect}, {machine()}]"
    )
    result = audit.verify(app)
    return {
        "seconds": first,
        "cpu_seconds": cpu,
        "open": open_,
        "due": overdue,
        "escalated": report.escalated,
        "reminded": report.reminded,
        "events": events,
        "second_seconds": second,
        "audit_verified": result.ok,
    }


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--tasks", type=int, default=1_000_000)
    p.add_argument("--overdue", type=int, default=10_000)
    args = p.parse_args()
    measure(args.db, args.tasks, args.overdue)


if __name__ == "__main__":
    main()
