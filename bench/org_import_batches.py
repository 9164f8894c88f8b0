"""A large organisation import in batches (issue 8): how long one batch holds SQLite's
write lock, and whether other writers get through meanwhile.

    .venv/bin/python -m bench.org_import_batches                  # 100,000 units
    .venv/bin/python -m bench.org_import_batches --units 5000 --baseline

A writer in another connection (its own engine, as another web process would be) does one
small write transaction every 50 ms throughout the import and records how long each waited.
``--baseline`` also times the same import applied in one transaction (``org.import_org``),
with the same writer beside it.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import defaultdict

from sqlalchemy import text

from bench.common import fresh_app, machine, org_csv, parser, peak_rss_mb
from engine.context import Actor, App
from engine.db.session import Database
from engine.org import admin as org
from engine.workflow.batch import org_import as org_import_job


class Writer:
    """Small writes from another connection, every ``every`` seconds, timed."""

    def __init__(self, url: str, every: float = 0.05, timeout: float = 30.0) -> None:
        self.db = Database.connect(url)
        self.every, self.timeout = every, timeout
        self.waits: list[float] = []
        self.failed: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            started = time.perf_counter()
            try:
                with self.db.write() as s:
                    s.execute(text("UPDATE notify_cursor SET updated_at = updated_at"))
            except Exception as exc:
                self.failed.append(f"{type(exc).__name__}: {exc}"[:100])
            else:
                self.waits.append(time.perf_counter() - started)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self.db.dispose()

    def line(self) -> str:
        worst = max(self.waits, default=0.0)
        return (
            f"concurrent writes: {len(self.waits)} ok, {len(self.failed)} failed, "
            f"longest wait {worst:.3f} s"
        )


def batched(app: App, units_csv: str, people_csv: str, batch: int) -> None:
    phases: dict[str, list[float]] = defaultdict(list)
    with Writer(app.settings.database_url) as w:
        t = time.perf_counter()
        report = org_import_job.apply_in_batches(
            app,
            Actor.system("bench"),
            units_csv,
            people_csv,
            batch_rows=batch,
            on_batch=lambda phase, s: phases[phase].append(s),
        )
        total = time.perf_counter() - t
    every = [s for v in phases.values() for s in v]
    print(f"batched import ({batch} rows a batch): {total:.1f} s, {report.changes} changes")
    print(
        f"  batches: {len(every)}; write lock held per batch: longest {max(every):.3f} s, "
        f"median {statistics.median(every):.3f} s"
    )
    for phase, times in phases.items():
        print(f"  {phase}: {len(times)} batches, longest {max(times):.3f} s")
    print(f"  {w.line()}")


def baseline(app: App, units_csv: str, people_csv: str) -> None:
    with Writer(app.settings.database_url) as w:
        t = time.perf_counter()
        report = org.import_org(app, Actor.system("bench"), units_csv, people_csv)
        total = time.perf_counter() - t
    print(f"one transaction (org.import_org): {total:.1f} s, {report.changes} changes")
    print(f"  {w.line()}")


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--units", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--baseline", action="store_true", help="also time the one-transaction path")
    args = p.parse_args()
    units_csv, people_csv = org_csv(args.units, departments=max(20, args.units // 500))
    print(f"{machine()}; {args.units} units, {people_csv.count(chr(10)) - 1} people rows")
    app = fresh_app(args.db)
    with app.db.write() as s:  # the row the concurrent writer touches
        s.execute(
            text("INSERT INTO notify_cursor (name, at, updated_at) VALUES ('bench', :t, :t)"),
            {"t": app.clock.now()},
        )
    batched(app, units_csv, people_csv, args.batch)
    if args.baseline:
        fresh = fresh_app(None if args.db is None else args.db)
        with fresh.db.write() as s:
            s.execute(
                text("INSERT INTO notify_cursor (name, at, updated_at) VALUES ('bench', :t, :t)"),
                {"t": fresh.clock.now()},
            )
        baseline(fresh, units_csv, people_csv)
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
