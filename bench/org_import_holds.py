"""The organisation import holding new managers' open tasks (issue 10 §1): a region's import
that gives every unit a new manager while the year's tasks are open.

    .venv/bin/python -m bench.org_import_holds --units 2000

The year is started for every unit, the clock moves a day, and the same organisation is
imported again with every unit's manager replaced. Timed twice on copies of the same
database: with holding on (the import holds every unit's open manager tasks with the
department manager, in its transaction) and, as the reference in the same run, with
``allocation_hold_new_managers`` off (the import as it was). CPU time beside wall time,
and the statements the holding added.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import timedelta

from sqlalchemy import event, func, select

from bench.common import fresh_app, machine, org_csv, parser, peak_rss_mb
from engine.context import Actor, App
from engine.db.models.duties.alloc import AllocationHold
from engine.db.session import Database
from engine.domain.clock import FrozenClock
from engine.org import admin as org
from engine.settings import Settings
from engine.workflow import cycles


def _replaced(people_csv: str) -> str:
    """Every unit's manager ends yesterday; a new one starts today."""
    out = []
    for line in people_csv.splitlines():
        if line.startswith("m") and ",manager,U" in line:
            email, name, role, unit, start, _end = line.split(",")
            out.append(f"{email},{name},{role},{unit},{start},2027-01-10")
            out.append(f"new.{email},Ny {name},{role},{unit},2027-01-11,")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _copy(app: App, hold: bool) -> App:
    src = app.settings.database_url.removeprefix("sqlite:///")
    dst = src.replace(".db", f"-{'on' if hold else 'off'}.db")
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:  # the WAL's pages too
        a.backup(b)
    url = f"sqlite:///{dst}"
    settings = Settings(database_url=url, allocation_hold_new_managers=hold)
    return App(Database.connect(url), FrozenClock(app.clock.now()), settings)


def run(app: App, units_csv: str, people_csv: str) -> tuple[float, float, int, int, int]:
    statements = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    event.listen(app.db.engine, "before_cursor_execute", count)
    t, cpu = time.perf_counter(), time.process_time()
    report = org.import_org(app, Actor.system("bench"), units_csv, people_csv)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    event.remove(app.db.engine, "before_cursor_execute", count)
    with app.read() as s:
        holds = int(s.scalar(select(func.count()).select_from(AllocationHold)) or 0)
    return wall, cpu, report.tasks_held, holds, statements[0]


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--units", type=int, default=2000)
    args = p.parse_args()
    units_csv, people_csv = org_csv(args.units, departments=max(20, args.units // 100))
    print(f"{machine()}; {args.units} units; load {os.getloadavg()[0]:.1f}")
    app = fresh_app(args.db)
    assert app.settings.database_url.startswith("sqlite"), "copies are made of a SQLite file"
    org.import_org(app, Actor.system("bench"), units_csv, people_csv)
    started = cycles.start_cycles(app, Actor.system("bench"), 2027)
    print(f"year started: {len(started.started)} cycles")
    assert isinstance(app.clock, FrozenClock)
    app.clock.advance(timedelta(days=1))
    again = _replaced(people_csv)
    for hold in (False, True):
        wall, cpu, held, rows, n = run(_copy(app, hold), units_csv, again)
        label = "holding on " if hold else "holding off"
        print(
            f"{label}: import {wall:.2f} s wall, {cpu:.2f} s CPU, {held} tasks held "
            f"({rows} hold rows), {n} statements; load {os.getloadavg()[0]:.1f}"
        )
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
