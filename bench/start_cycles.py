"""Start the year for 3,000 units in one call (target ≤ 2 s on SQLite).

Counts what the start writes: cycles, stages, tasks and audit events, all in bulk.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bench.common import build_org, fresh_app, machine, parser, timed
from engine.context import Actor
from engine.db.models import AuditEvent, Cycle, Stage, Task
from engine.workflow import cycles


def measure(db: str | None = None, units: int = 3000) -> dict[str, Any]:
    """The figures as data (``bench.run`` collects them): seconds to start, and again."""
    app = fresh_app(db)
    build_org(app, units)
    hr = Actor.system("bench")
    with timed(f"start_cycles for {units} units (+20 departments, 1 administration)") as first:
        report = cycles.start_cycles(app, hr, 2027)
    with timed("start again (idempotent, nothing new)") as second:
        again = cycles.start_cycles(app, hr, 2027)
    with app.read() as s:
        counts = {
            m.__tablename__: s.scalar(select(func.count()).select_from(m))
            for m in (Cycle, Stage, Task, AuditEvent)
        }
    print(
        f"started {len(report.started)}, gaps {len(report.gaps)}, again started "
        f"{len(again.started)} (already {again.already_running})"
    )
    print(f"rows: {counts}  [{app.db.dialect}, {machine()}]")
    return {
        "seconds": first["seconds"],
        "cpu_seconds": first["cpu_seconds"],
        "again_seconds": second["seconds"],
        "units": units,
        "started": len(report.started),
        "rows": counts,
    }


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--units", type=int, default=3000)
    args = p.parse_args()
    measure(args.db, args.units)


if __name__ == "__main__":
    main()
