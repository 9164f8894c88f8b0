"""Completions through the use case against raw sqlite3 doing the same statements, in the
same run on the same database file (target: the use case ≥ 0.25× the raw rate, p95 ≤ 1 ms).

The raw side is what the database itself costs: per completion ``BEGIN IMMEDIATE``, the
task read (with its chain head, the same SQL the engine sends), the task update, the audit
insert (its trigger advances the chain head) and ``COMMIT``, with the parameters ready-made
— no validation, no access check, no hashing. The two sides take turns in blocks on
different tasks (different chains), so load on the machine falls on both alike. Figures are
wall-clock rates and CPU per completion (``time.process_time``) for each side, and their
ratio.

    .venv/bin/python -m bench.complete_vs_sqlite [--units 3000] [--n 3000] [--block 250]
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import make_url

from bench.common import build_org, fresh_app, machine, parser, percentiles
from bench.complete_tasks import DATA
from engine.context import Actor
from engine.db import queries
from engine.db.models import AuditEvent, OrgUnit, Person, Task, table
from engine.db.unit import Prepared
from engine.workflow import cycles, tasks


def _jobs(app: Any) -> list[tuple[int, Actor]]:
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
    return jobs


EVENT_COLUMNS = (
    "chain", "seq", "at", "actor_id", "on_behalf_of_id", "actor_label", "action",
    "subject_type", "subject_id", "unit_id", "data", "prev_hash", "hash",
)  # fmt: skip


def _prepared(stmt: Any) -> Prepared:
    return stmt if isinstance(stmt, Prepared) else Prepared(stmt)


class Raw:
    """The same four statements and the commit, with sqlite3 alone."""

    def __init__(self, path: str, dialect: Any, now: datetime) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "cache_size=-65536",
            "temp_store=MEMORY",
            "wal_autocheckpoint=10000",
        ):  # the engine's own settings (engine.db.session)
            self.db.execute(f"PRAGMA {pragma}")
        self.load = _prepared(queries._LOAD_TASK).compiled(dialect)
        columns = ("closed_at", "closed_by", "data", "draft", "next_check_at", "on_behalf_of")
        self.update = _prepared(queries._task_update((*columns, "status"))).compiled(dialect)
        self.insert = _prepared(
            table(AuditEvent).insert().values({c: bindparam(c) for c in EVENT_COLUMNS})
        ).compiled(dialect)
        self.payload = json.dumps({"input": DATA, "key": "employee_survey"})
        self.now = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    @staticmethod
    def _args(names: tuple[str, ...], values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[n] for n in names)

    def complete(self, task_id: int, person_id: int) -> None:
        db, load, update, insert = self.db, self.load, self.update, self.insert
        db.execute("BEGIN IMMEDIATE")
        values = {"me": person_id, "day": self.now[:10], "param_1": "cycle:", "id": task_id}
        row = db.execute(load.sql, self._args(load.names, values)).fetchone()
        version, cycle_id, unit_id = row[18], row[1], row[3]
        seq, head = row[21] or 0, row[22] or "0" * 64
        values = {
            "status": "completed", "next_check_at": None, "data": self.payload, "draft": None,
            "closed_at": self.now, "closed_by": person_id, "on_behalf_of": None,
            "_next": version + 1, "_id": task_id, "_seen": version,
        }  # fmt: skip
        assert db.execute(update.sql, self._args(update.names, values)).rowcount == 1
        values = {
            "chain": f"cycle:{cycle_id}", "seq": seq + 1, "at": self.now, "actor_id": person_id,
            "on_behalf_of_id": None, "actor_label": f"p{person_id}", "action": "task.completed",
            "subject_type": "task", "subject_id": str(task_id), "unit_id": unit_id,
            "data": self.payload, "prev_hash": head,
            "hash": hashlib.sha256(head.encode()).hexdigest(),
        }  # fmt: skip
        db.execute(insert.sql, self._args(insert.names, values))
        db.execute("COMMIT")


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--units", type=int, default=3000)
    p.add_argument("--n", type=int, default=3000, help="completions to time, per side")
    p.add_argument("--block", type=int, default=250, help="completions per turn")
    p.add_argument("--schema", help="migrate down to this revision first (e.g. 0012)")
    args = p.parse_args()
    app = fresh_app(args.db)
    if args.schema:
        from engine.db import migrate

        migrate.downgrade(str(app.db.engine.url), args.schema)
    if app.db.dialect != "sqlite":
        raise SystemExit("the raw reference is sqlite3: run on SQLite (no --db)")
    build_org(app, args.units)
    cycles.start_cycles(app, Actor.system("bench"), 2027)
    jobs = _jobs(app)
    warm, jobs = jobs[:50], jobs[50:]
    n = min(args.n, len(jobs) // 2)
    ours, theirs = jobs[0 : 2 * n : 2], jobs[1 : 2 * n : 2]
    path = make_url(str(app.db.engine.url)).database
    assert path is not None
    raw = Raw(path, app.db.engine.dialect, app.clock.now())
    for task_id, actor in warm[:25]:
        tasks.complete_task(app, actor, task_id, DATA)
    for task_id, actor in warm[25:]:
        assert actor.person_id is not None
        raw.complete(task_id, actor.person_id)
    load_before = os.getloadavg()
    samples: dict[str, list[float]] = {"engine": [], "sqlite3": []}
    cpu = {"engine": 0.0, "sqlite3": 0.0}
    for start in range(0, n, args.block):
        c = time.process_time()
        for task_id, actor in ours[start : start + args.block]:
            t = time.perf_counter()
            tasks.complete_task(app, actor, task_id, DATA)
            samples["engine"].append(time.perf_counter() - t)
        cpu["engine"] += time.process_time() - c
        c = time.process_time()
        for task_id, actor in theirs[start : start + args.block]:
            assert actor.person_id is not None
            t = time.perf_counter()
            raw.complete(task_id, actor.person_id)
            samples["sqlite3"].append(time.perf_counter() - t)
        cpu["sqlite3"] += time.process_time() - c
    load_after = os.getloadavg()
    rate = {k: len(v) / sum(v) for k, v in samples.items()}
    for k, v in samples.items():
        print(
            f"{k:8} {rate[k]:7.0f}/s, CPU {cpu[k] / len(v) * 1000:.3f} ms per completion; "
            f"{percentiles(v)}"
        )
    print(
        f"ratio engine/sqlite3: {rate['engine'] / rate['sqlite3']:.2f}× by wall clock, "
        f"{cpu['sqlite3'] / cpu['engine']:.2f}× by CPU  "
        f"[{machine()}, SQLite {sqlite3.sqlite_version}, load {load_before[0]:.1f} → "
        f"{load_after[0]:.1f}]"
    )


if __name__ == "__main__":
    main()
