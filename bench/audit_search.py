"""Audit search against the cost of its indexes: the same generated log in two databases,
one with the search indexes of migration 0012 (five B-trees) and one with those of 0013h,
in the same run. Figures: the time to append the events (the write the indexes tax) and
the p95 of searches through ``engine.audit.search.search`` (by unit, unit subtree, person,
action, period and combinations; newest first, a page of 50 with the total), as the
director. Target: search p95 ≤ 50 ms over 10 M events (``--events``; the default is
smaller so the run takes minutes, the figure says how many).

    .venv/bin/python -m bench.audit_search [--events 1000000] [--units 300] [--runs 15]
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import statistics
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy.engine import make_url

from bench.common import T0, build_org, fresh_app, machine, parser
from engine.audit.search import AuditQuery, search
from engine.context import App
from engine.db import migrate
from engine.workflow import tasks

ACTIONS = (
    "task.completed", "task.claimed", "task.reminded", "task.escalated", "task.draft_saved",
    "stage.signed_off", "measure.updated", "cycle.started", "task.delegated", "plan.updated",
)  # fmt: skip


def fill(app: App, events: int, units: int, seed: int = 11) -> float:
    """Append ``events`` events (chained per unit, time order) with sqlite3; seconds taken."""
    path = make_url(str(app.db.engine.url)).database
    assert path is not None
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA cache_size=-65536")
    ids = dict(db.execute("SELECT code, id FROM org_unit"))
    people = dict(db.execute("SELECT email, id FROM person"))
    heads = {
        k: (s, h) for k, s, h in db.execute("SELECT key, last_seq, last_hash FROM audit_chain")
    }
    rng = random.Random(seed)
    step = timedelta(days=360) / events
    sql = (
        "INSERT INTO audit_event (chain, seq, at, actor_id, on_behalf_of_id, actor_label, "
        "action, subject_type, subject_id, unit_id, data, prev_hash, hash) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    t = time.perf_counter()
    batch: list[tuple[Any, ...]] = []
    for i in range(events):
        u = rng.randrange(units)
        unit, chain = ids[f"U{u}"], f"bench:{u}"
        seq, prev = heads.get(chain, (0, "0" * 64))
        system = rng.random() < 0.1
        actor = None if system else people[f"m{u}@bench.se"]
        behalf = (
            people[f"m{(u + 1) % units}@bench.se"] if not system and rng.random() < 0.02 else None
        )
        digest = hashlib.sha256(f"{prev}{i}".encode()).hexdigest()
        at = (T0 + step * i).strftime("%Y-%m-%d %H:%M:%S.%f")
        batch.append((
            chain, seq + 1, at, actor, behalf, "system" if system else f"m{u}@bench.se",
            ACTIONS[rng.randrange(len(ACTIONS))], "task", str(rng.randrange(10**6)), unit,
            '{"key":"employee_survey"}', prev, digest,
        ))  # fmt: skip
        heads[chain] = (seq + 1, digest)
        if len(batch) == 10_000:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(sql, batch)
            db.execute("COMMIT")
            batch = []
    if batch:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, batch)
        db.execute("COMMIT")
    took = time.perf_counter() - t
    db.execute("ANALYZE")
    db.close()
    return took


def queries(units: int) -> dict[str, AuditQuery]:
    week = (date(2027, 6, 1), date(2027, 6, 7))
    return {
        "unit": AuditQuery(unit_code=f"U{units // 2}"),
        "department subtree": AuditQuery(unit_code="D3", subtree=True),
        "person": AuditQuery(person_email=f"m{units // 3}@bench.se"),
        "action": AuditQuery(action="task.escalated"),
        "action prefix + week": AuditQuery(action="task.*", date_from=week[0], date_to=week[1]),
        "week": AuditQuery(date_from=week[0], date_to=week[1]),
        "unit + week": AuditQuery(unit_code=f"U{units // 4}", date_from=week[0], date_to=week[1]),
        "person + action": AuditQuery(person_email=f"m{units // 5}@bench.se", action="task.*"),
    }  # fmt: skip


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) > 1 else samples[0]


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--units", type=int, default=300)
    p.add_argument("--runs", type=int, default=15)
    args = p.parse_args()
    apps: dict[str, App] = {}
    print(f"{machine()}, load {os.getloadavg()[0]:.1f}; {args.events:,} events, {args.units} units")
    for label, revision in (("0012 (5 B-trees)", "0012"), ("0013h", None)):
        app = fresh_app(None)
        if revision is not None:
            migrate.downgrade(str(app.db.engine.url), revision)
        build_org(app, args.units)
        took = fill(app, args.events, args.units)
        print(
            f"{label:18} append: {took:6.1f} s, {took / args.events * 1e6:5.1f} µs per event "
            f"[load {os.getloadavg()[0]:.1f}]"
        )
        apps[label] = app
    director = {k: tasks.active_person(a, "dir@bench.se") for k, a in apps.items()}
    results: dict[str, dict[str, list[float]]] = {k: {} for k in apps}
    for q in queries(args.units).values():  # warm both (page cache, statement caches)
        for label, app in apps.items():
            search(app, director[label], q, page=1, page_size=50)
    for name, q in queries(args.units).items():
        for _ in range(args.runs):  # the two schemas take turns
            for label, app in apps.items():
                t = time.perf_counter()
                page = search(app, director[label], q, page=1, page_size=50)
                results[label].setdefault(name, []).append(time.perf_counter() - t)
        print(f"  {name:22} " + "  ".join(
            f"{label}: p95 {p95(results[label][name]) * 1000:6.1f} ms" for label in apps
        ) + f"  ({page.total:,} match)")  # fmt: skip
    for label in apps:
        every = [x for v in results[label].values() for x in v]
        print(
            f"{label:18} all searches: p95 {p95(every) * 1000:.1f} ms, "
            f"max {max(every) * 1000:.1f} ms"
        )
    print(f"[load after {os.getloadavg()[0]:.1f}]")


if __name__ == "__main__":
    main()
