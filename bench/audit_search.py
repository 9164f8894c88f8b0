"""Audit search against the cost of its indexes: the same generated log in three databases,
one with the search indexes of migration 0012 (five B-trees), one with those of 0015a (the
unit's and the person's index without the action, migration 0016u) and one with the current
schema's, in the same run. Figures, for each: the time to append the events, what a
completion through the use case costs on the filled log (CPU per completion, pages written
to the WAL per commit: the write the indexes tax), and the p95 of searches through
``engine.audit.search.search`` (by unit, unit subtree, person, action, period and
combinations; newest first, a page of 50 with the total), as the director; and, as the
same run's floor, a count by action straight through sqlite3. Target: search p95 ≤ 50 ms
over 10 M events (``--events``; the default is smaller so the run takes minutes).

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
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.common import T0, build_org, fresh_app, machine, parser
from bench.complete_tasks import DATA
from engine.audit import search as audit_search
from engine.audit.search import AuditPage, AuditQuery, search
from engine.context import Actor, App
from engine.db import queries as dbq
from engine.db.models import AuditEvent, OrgUnit, Person, Task
from engine.workflow import cycles, tasks

ACTIONS = (
    "task.completed", "task.claimed", "task.reminded", "task.escalated", "task.draft_saved",
    "stage.signed_off", "measure.updated", "cycle.started", "task.delegated", "plan.updated",
)  # fmt: skip
#: One event in 2,000: a search for it reads far more of an index than it finds.
RARE = "task.returned"


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
    start = T0 - timedelta(days=360)  # the year up to the bench's now, in time order
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
        action = RARE if rng.random() < 0.0005 else ACTIONS[rng.randrange(len(ACTIONS))]
        actor = None if system else people[f"m{u}@bench.se"]
        behalf = (
            people[f"m{(u + 1) % units}@bench.se"] if not system and rng.random() < 0.02 else None
        )
        digest = hashlib.sha256(f"{prev}{i}".encode()).hexdigest()
        at = (start + step * i).strftime("%Y-%m-%d %H:%M:%S.%f")
        batch.append((
            chain, seq + 1, at, actor, behalf, "system" if system else f"m{u}@bench.se",
            action, "task", str(rng.randrange(10**6)), unit,
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
    week = (date(2026, 6, 1), date(2026, 6, 7))
    return {
        "unit": AuditQuery(unit_code=f"U{units // 2}"),
        "department subtree": AuditQuery(unit_code="D3", subtree=True),
        "person": AuditQuery(person_email=f"m{units // 3}@bench.se"),
        "action": AuditQuery(action="task.escalated"),
        "action prefix + week": AuditQuery(action="task.*", date_from=week[0], date_to=week[1]),
        "week": AuditQuery(date_from=week[0], date_to=week[1]),
        "unit + week": AuditQuery(unit_code=f"U{units // 4}", date_from=week[0], date_to=week[1]),
        "person + action": AuditQuery(person_email=f"m{units // 5}@bench.se", action="task.*"),
        "rare action": AuditQuery(action=RARE),
        "person + rare action": AuditQuery(person_email=f"m{units // 6}@bench.se", action=RARE),
        "subtree + action + month": AuditQuery(
            unit_code="D5", subtree=True, action="stage.signed_off",
            date_from=date(2026, 3, 1), date_to=date(2026, 3, 31),
        ),
    }  # fmt: skip


def main_filtered(app: App, s: Session, actor: Actor, q: AuditQuery) -> Select[Any]:
    """Main's filters before this change (one statement: IN, OR, LIKE), rights as today."""
    audit_search.filtered(app, s, actor, q)  # the same checks and refusals
    stmt = select(AuditEvent)
    if q.unit_code:
        root = dbq.unit_by_code(s, q.unit_code).id
        units = dbq.org_snapshot(s, T0.date()).subtree(root) if q.subtree else [root]
        stmt = stmt.where(AuditEvent.unit_id.in_(units), AuditEvent.unit_id.is_not(None))
    if q.person_email:
        pid = dbq.person_by_email(s, q.person_email).id
        stmt = stmt.where(
            or_(
                and_(AuditEvent.actor_id == pid, AuditEvent.actor_id.is_not(None)),
                and_(AuditEvent.on_behalf_of_id == pid, AuditEvent.on_behalf_of_id.is_not(None)),
            )
        )
    if q.action:
        a = q.action.strip()
        stmt = stmt.where(
            AuditEvent.action.like(a[:-1] + "%") if a.endswith("*") else AuditEvent.action == a
        )
    if q.date_from:
        stmt = stmt.where(AuditEvent.at >= audit_search._start_of(q.date_from))
    if q.date_to:
        stmt = stmt.where(AuditEvent.at < audit_search._start_of(q.date_to + timedelta(days=1)))
    return stmt


def exact_search(app: App, actor: Actor, q: AuditQuery, page: int, page_size: int) -> int:
    """Main's search before this change, as the same run's reference: the exact total and
    the page by OFFSET."""
    with app.read() as s:
        stmt = main_filtered(app, s, actor, q)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        events = list(
            s.scalars(
                stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        )
        audit_search._rows(s, events)
    return int(total)


def deep_page(app: App, actor: Actor, q: AuditQuery, hops: int) -> AuditPage:
    """``hops`` pages older than the first, by cursor (as a person pressing "older")."""
    page = search(app, actor, q, page_size=50)
    for _ in range(hops):
        if page.older is None:
            break
        page = search(app, actor, q, page_size=50, before=page.older)
    return page


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) > 1 else samples[0]


def completion_cost(app: App, n: int = 250) -> dict[str, Any]:
    """The other side of the indexes: ``n`` completions through the use case on the filled
    log (its indexes as deep as the search sees them), each with its audit event: CPU per
    completion (SQLite works in this process) and the pages each commit writes to the WAL
    (every index an event goes into is at least one more page per commit)."""
    cycles.start_cycles(app, Actor.system("bench"), 2027)
    with app.read() as s:
        rows = s.execute(
            select(Task.id, OrgUnit.code)
            .join(OrgUnit, OrgUnit.id == Task.unit_id)
            .where(Task.key == "employee_survey", OrgUnit.code.like("U%"))
            .order_by(Task.id)
        ).all()
        people = dict(s.execute(select(Person.email, Person.id)).tuples().all())
    jobs = [(t, Actor(people[f"m{c[1:]}@bench.se"], f"m{c[1:]}@bench.se")) for t, c in rows]
    warm, jobs = jobs[:20], jobs[20 : 20 + n]
    for task_id, actor in warm:
        tasks.complete_task(app, actor, task_id, DATA)
    path = make_url(str(app.db.engine.url)).database
    assert path is not None
    side = sqlite3.connect(path, isolation_level=None)
    side.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cpu = time.process_time()
    for task_id, actor in jobs:
        tasks.complete_task(app, actor, task_id, DATA)
    cpu = time.process_time() - cpu
    frames = side.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    side.close()
    return {
        "completions": len(jobs),
        "cpu_ms": cpu / max(1, len(jobs)) * 1000,
        "wal_pages": frames / max(1, len(jobs)),
    }


def raw_count(app: App, sql: str, args: tuple[Any, ...], runs: int) -> float:
    """The same run's reference: a count straight through sqlite3 (the database's floor for
    the total every page of results shows); p95 seconds."""
    path = make_url(str(app.db.engine.url)).database
    assert path is not None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        db.execute(sql, args).fetchone()
        samples.append(time.perf_counter() - t)
    db.close()
    return p95(samples)


#: (label, statements that turn the current schema's audit indexes into that set). The
#: rest of the schema stays current, so completions run through today's use case.
SCHEMAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "0012 (5 B-trees)",
        (
            "DROP INDEX ix_audit_event_on_behalf_at",
            "DROP INDEX ix_audit_event_actor_at",
            "DROP INDEX ix_audit_event_unit_at",
            "CREATE INDEX ix_audit_event_actor_at ON audit_event (actor_id, at)",
            "CREATE INDEX ix_audit_event_unit_at ON audit_event (unit_id, at)",
            "CREATE INDEX ix_audit_event_subject ON audit_event (subject_type, subject_id)",
        ),
    ),
    (
        "0015a (no action in them)",
        (
            "DROP INDEX ix_audit_event_unit_at",
            "DROP INDEX ix_audit_event_actor_at",
            "CREATE INDEX ix_audit_event_unit_at ON audit_event (unit_id, at) "
            "WHERE unit_id IS NOT NULL",
            "CREATE INDEX ix_audit_event_actor_at ON audit_event (actor_id, at) "
            "WHERE actor_id IS NOT NULL",
        ),
    ),
    ("current", ()),
)


def measure(
    events: int = 1_000_000,
    units: int = 300,
    runs: int = 15,
    schemas: tuple[tuple[str, tuple[str, ...]], ...] = SCHEMAS,
    completions: int = 250,
    *,
    exact: bool = True,
    keep: Path | None = None,
) -> dict[str, Any]:
    """The figures as data (``bench.run`` collects them): per schema the append cost, the
    cost of a completion (CPU, WAL pages), and each search's p95; the last schema is the
    one measured against the target. ``exact``: also main's search before the capped count
    (exact total, OFFSET) on the last schema's file, taking turns. ``keep``: the current
    schema only, its log generated into that file once and searched again on later runs
    (the same seed, events and units; a file of other sizes is made anew); no completions
    are made on a kept file, so it stays what was generated."""
    apps: dict[str, App] = {}
    out: dict[str, Any] = {"events": events, "units": units, "schemas": {}, "exact": {}}
    print(f"{machine()}, load {os.getloadavg()[0]:.1f}; {events:,} events, {units} units")
    if keep is not None:
        app, took = kept_log(keep, events, units)
        out["schemas"]["current"] = {"append_seconds": took, "kept_file": str(keep),
                                     "searches": {}}  # fmt: skip
        apps["current"] = app
        schemas = (("current", ()),)
    for label, statements in schemas if keep is None else ():
        app = fresh_app(None)
        with app.db.engine.begin() as c:
            for sql in statements:
                c.exec_driver_sql(sql)
        build_org(app, units)
        took = fill(app, events, units)
        cost = completion_cost(app, completions)
        print(
            f"{label:18} append: {took:6.1f} s, {took / events * 1e6:5.1f} µs per event; "
            f"a completion: {cost['cpu_ms']:.3f} ms CPU, {cost['wal_pages']:.1f} WAL pages "
            f"[load {os.getloadavg()[0]:.1f}]"
        )
        out["schemas"][label] = {"append_seconds": took, **cost, "searches": {}}
        apps[label] = app
    director = {k: tasks.active_person(a, "dir@bench.se") for k, a in apps.items()}
    last = schemas[-1][0]
    # (label, app): each schema with today's search, and the last one also with main's
    # search before this change (exact total, OFFSET), all taking turns on the same files
    runners = [*apps, "exact"] if exact else [*apps]
    results: dict[str, dict[str, list[float]]] = {k: {} for k in runners}
    cpu: dict[str, float] = dict.fromkeys(runners, 0.0)
    kinds: dict[str, tuple[AuditQuery, int | None]] = {
        name: (q, None) for name, q in queries(units).items()
    }
    middle = events // 2  # an event in the middle of the log: a page reached by cursor
    kinds["action, page in the middle (cursor)"] = (AuditQuery(action="task.*"), middle)
    kinds["person, page in the middle (cursor)"] = (
        AuditQuery(person_email=f"m{units // 7}@bench.se"),
        middle,
    )

    main_page: dict[str, int] = {}  # main had page numbers only: the same page by number
    with apps[last].read() as s:
        for name, (q, before) in kinds.items() if exact else ():
            if before is not None:
                at = s.scalar(select(AuditEvent.at).where(AuditEvent.id == before))
                stmt = main_filtered(apps[last], s, director[last], q).where(AuditEvent.at >= at)
                newer = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
                main_page[name] = newer // 50 + 1

    def run(label: str, name: str) -> tuple[int, bool]:
        q, before = kinds[name]
        if label == "exact":
            number = main_page.get(name, 1)
            return exact_search(apps[last], director[last], q, number, 50), False
        page = search(apps[label], director[label], q, page_size=50, before=before)
        return page.total, page.capped

    for name in kinds:  # warm them all (page cache, statement caches)
        for label in runners:
            run(label, name)
    for name in kinds:
        found: dict[str, tuple[int, bool]] = {}
        for _ in range(runs):  # the schemas and the two searches take turns
            for label in runners:
                c0, t = time.process_time(), time.perf_counter()
                found[label] = run(label, name)
                results[label].setdefault(name, []).append(time.perf_counter() - t)
                cpu[label] += time.process_time() - c0
        for label in runners:
            into = out["schemas"][label]["searches"] if label in apps else out["exact"]
            into[name] = {
                "p95_ms": p95(results[label][name]) * 1000,
                "matches": found[label][0],
                "capped": found[label][1],
            }
        total, capped = found[last]
        print(
            f"  {name:36} "
            + "  ".join(f"{k}: p95 {p95(results[k][name]) * 1000:7.1f} ms" for k in runners)
            + f"  ({'more than ' if capped else ''}{total:,}"
            + (f"; exact {found['exact'][0]:,})" if exact else ")")
        )
    for label in runners:
        every = [x for v in results[label].values() for x in v]
        figures = {
            "p95_ms": p95(every) * 1000,
            "max_ms": max(every) * 1000,
            "cpu_ms_per_search": cpu[label] / len(every) * 1000,
        }
        (out["schemas"][label] if label in apps else out["exact"]).update(figures)
        print(
            f"{label:18} all searches: p95 {figures['p95_ms']:.1f} ms, "
            f"max {figures['max_ms']:.1f} ms, {figures['cpu_ms_per_search']:.1f} ms CPU each"
        )
    out["raw_count_action_p95_ms"] = (
        raw_count(
            apps[last], "SELECT count(*) FROM audit_event WHERE action = ?", ("task.escalated",),
            runs,
        )
        * 1000
    )  # fmt: skip
    print(
        f"same run, raw sqlite3: count by action p95 {out['raw_count_action_p95_ms']:.1f} ms "
        f"[load after {os.getloadavg()[0]:.1f}]"
    )
    for app in apps.values():
        app.db.dispose()
    return out


def kept_log(path: Path, events: int, units: int) -> tuple[App, float | None]:
    """The app on a log kept in ``path`` (made there first when it is missing or of other
    sizes) and the seconds its filling took when it was made now (else None)."""
    url = f"sqlite:///{path}"
    want = f"{events} events, {units} units, seed 11"
    if path.exists():
        with sqlite3.connect(path) as db:
            try:
                (have,) = db.execute("SELECT what FROM bench_kept_log").fetchone()
            except sqlite3.Error:
                have = None
        if have == want:
            print(f"the log kept in {path} ({want})")
            return fresh_app(url), None
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    app = fresh_app(url)
    build_org(app, units)
    took = fill(app, events, units)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE bench_kept_log (what TEXT NOT NULL)")
        db.execute("INSERT INTO bench_kept_log VALUES (?)", (want,))
    print(f"filled {path}: {took:.0f} s ({want}) [load {os.getloadavg()[0]:.1f}]")
    return app, took


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--units", type=int, default=300)
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--completions", type=int, default=250)
    p.add_argument("--no-exact", action="store_true", help="leave out main's search")
    p.add_argument("--keep", type=Path, help="the current schema's log kept in this file")
    args = p.parse_args()
    measure(
        args.events, args.units, args.runs, completions=args.completions,
        exact=not args.no_exact, keep=args.keep,
    )  # fmt: skip


if __name__ == "__main__":
    main()
