"""Shared helpers for the benchmarks: a fresh database, a generated organisation, timing.

Benchmarks are scripts that print figures; they are not tests. Run them from the repository
root, e.g. ``.venv/bin/python bench/start_cycles.py``. ``--db URL`` picks the database
(default: a new SQLite file under /tmp).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from engine.context import Actor, App
from engine.db.migrate import upgrade
from engine.db.session import Database
from engine.domain.clock import FrozenClock
from engine.org import admin as org
from engine.settings import Settings

T0 = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    return p


def fresh_app(url: str | None = None, at: datetime = T0) -> App:
    if url is None:
        path = os.path.join(tempfile.mkdtemp(prefix="samflow-bench-"), "bench.db")
        url = f"sqlite:///{path}"
    elif url.startswith("postgresql"):
        _reset_pg(url)
    upgrade(url)
    return App(Database.connect(url), FrozenClock(at), Settings(database_url=url))


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    from engine.db.session import normalise_url

    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def org_csv(units: int, departments: int = 20) -> tuple[str, str]:
    """An administration with departments and ``units`` units; every unit has a manager,
    every department a manager and a safety representative."""
    u = ["code,name,parent_code,level,headcount", "ADM,Förvaltningen,,administration,10"]
    p = [
        "email,name,role,unit_code,valid_from,valid_to",
        "dir@bench.se,Direktör,director,ADM,2020-01-01,",
        "hr@bench.se,HR,hr,ADM,2020-01-01,",
        "hso@bench.se,HSO,chief_safety_rep,ADM,2020-01-01,",
    ]
    for d in range(departments):
        u.append(f"D{d},Avdelning {d},ADM,department,5")
        p.append(f"dm{d}@bench.se,Avdelningschef {d},manager,D{d},2020-01-01,")
        p.append(f"so{d}@bench.se,Skyddsombud {d},safety_rep,D{d},2020-01-01,")
    for i in range(units):
        u.append(f"U{i},Enhet {i},D{i % departments},unit,{10 + i % 50}")
        p.append(f"m{i}@bench.se,Chef {i},manager,U{i},2020-01-01,")
    return "\n".join(u) + "\n", "\n".join(p) + "\n"


def build_org(app: App, units: int) -> None:
    units_csv, people_csv = org_csv(units)
    org.import_org(app, Actor.system("bench"), units_csv, people_csv)


@contextmanager
def timed(label: str) -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    t, cpu = time.perf_counter(), time.process_time()
    yield out
    out["seconds"] = time.perf_counter() - t
    out["cpu_seconds"] = time.process_time() - cpu
    print(f"{label}: {out['seconds']:.3f} s ({out['cpu_seconds']:.3f} s CPU)")


def percentiles(samples: list[float]) -> str:
    s = sorted(samples)
    q = statistics.quantiles(s, n=100) if len(s) > 1 else s * 99
    return (
        f"p50 {q[49] * 1000:.2f} ms, p95 {q[94] * 1000:.2f} ms, p99 {q[98] * 1000:.2f} ms, "
        f"max {s[-1] * 1000:.2f} ms (n={len(s)})"
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {os.sys.version.split()[0]}"


def synthetic_tasks(
    app: App,
    total: int,
    *,
    open_share: float,
    overdue: int = 0,
    seed: int = 7,
    annual_only: bool = False,
) -> None:
    """Add ``total`` task rows spread over the started cycles (bulk SQL, not use cases):
    a share open, the rest completed; ``overdue`` of the open ones due for escalation now.
    Rows look like real ones: routed to the unit's manager, with due dates and ladder state.
    ``annual_only``: only over the units' yearly cycles (not over cases' cycles)."""
    import random
    from datetime import timedelta

    from sqlalchemy import select, true

    from engine.db.models import Cycle, Stage, Task, table

    rng = random.Random(seed)
    now = app.clock.now()
    with app.read() as s:
        stages = s.execute(
            select(Stage.id, Stage.cycle_id, Cycle.unit_id)
            .join(Cycle, Cycle.id == Stage.cycle_id)
            .where(Cycle.instance == "" if annual_only else true())
        ).all()
    t = table(Task)
    batch: list[dict[str, object]] = []
    n_open = int(total * open_share)
    overdue_ids = set(rng.sample(range(n_open), overdue)) if overdue else set()
    for i in range(total):
        stage_id, cycle_id, unit_id = stages[rng.randrange(len(stages))]
        is_open = i < n_open
        late = i in overdue_ids
        due = now - timedelta(days=2) if late else now + timedelta(days=rng.randint(20, 300))
        batch.append(
            {
                "cycle_id": cycle_id,
                "stage_id": stage_id,
                "unit_id": unit_id,
                "key": "employee_survey",
                "form_key": "survey_results",
                "required": True,
                "status": "open" if is_open else "completed",
                "round": 1,
                "role": "manager",
                "role_unit_id": unit_id,
                "assignee_id": None,
                "due_at": due,
                "reminders_sent": 2 if late else 0,
                "escalation_level": 0,
                "escalation_role": None,
                "escalation_unit_id": None,
                "next_check_at": (due if late else due - timedelta(days=14)) if is_open else None,
                "measure_id": None,
                "returned_from_id": None,
                "data": None if is_open else "{}",
                "draft": None,
                "created_at": now,
                "closed_at": None if is_open else now,
                "closed_by": None,
                "on_behalf_of": None,
                "reason": None,
                "version": 1,
            }
        )
        if len(batch) == 20000:
            with app.db.write() as s:
                s.connection().execute(t.insert(), batch)
            batch = []
    if batch:
        with app.db.write() as s:
            s.connection().execute(t.insert(), batch)
    if app.db.dialect == "postgresql":
        with app.db.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
    else:
        with app.db.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
