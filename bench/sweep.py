"""The sweep over 1,000,000 open tasks of which 10,000 are overdue (target ≤ 1 s on SQLite).

The open tasks carry ``next_check_at``; the sweep reads the 10,000 that are due through the
partial index, decides each step (pure ladder rules), escalates them to the manager above
with guarded updates, and writes 10,000 audit events into their cycles' hash chains.
A second sweep right after finds nothing to do.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.common import build_org, fresh_app, machine, parser, synthetic_tasks
from engine.audit import log as audit
from engine.context import Actor
from engine.db import queries
from engine.db.audit_store import chunks, pg_arrays
from engine.db.models import AuditEvent, Task
from engine.db.session import normalise_url
from engine.domain.audit.chain import time_text
from engine.workflow import cycles, sweeps


def measure(
    db: str | None = None,
    tasks: int = 1_000_000,
    overdue: int = 10_000,
    reference: bool = True,
) -> dict[str, Any]:
    """The sweep through the engine; with ``reference``, then the raw driver's same
    statements on a copy of the same prepared database (``raw`` in the result)."""
    app = fresh_app(db)
    build_org(app, 3000)
    cycles.start_cycles(app, Actor.system("bench"), 2027)
    with app.db.write() as s:  # the real tasks of the start are not due; keep them out
        s.execute(Task.__table__.update().values(next_check_at=None))  # type: ignore[attr-defined]
    synthetic_tasks(app, tasks, open_share=1.0, overdue=overdue)
    with app.read() as s:
        open_ = s.scalar(select(func.count()).select_from(Task).where(Task.status == "open"))
        events_before = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
        last_event = s.scalar(select(func.max(AuditEvent.id))) or 0
    with copied(app) if reference else _nothing() as copy:
        t, cpu = time.perf_counter(), time.process_time()
        report = sweeps.sweep(app)
        first, cpu = time.perf_counter() - t, time.process_time() - cpu
        raw = raw_sweep(app, copy, last_event) if copy is not None else None
    t = time.perf_counter()
    again = sweeps.sweep(app)
    second = time.perf_counter() - t
    with app.read() as s:
        events = (s.scalar(select(func.count()).select_from(AuditEvent)) or 0) - events_before
    print(
        f"sweep over {open_} open tasks: {first:.3f} s ({cpu:.3f} s CPU of this process) — "
        f"{report.escalated} escalated, "
        f"{report.reminded} reminded, {events} audit events; second sweep {second:.3f} s, "
        f"{again.escalated + again.reminded} steps  [{app.db.dialect}, {machine()}]"
    )
    if raw is not None:
        print(
            f"  same run, raw {raw['driver']} on a copy, the same statements: "
            f"{raw['seconds']:.3f} s ({raw['cpu_seconds']:.3f} s CPU of this process); "
            f"the sweep {first / raw['seconds']:.2f}x its time; the reference by part: "
            + ", ".join(f"{k} {v:.3f} s" for k, v in raw["phases_seconds"].items())
        )
    result = audit.verify(app)
    out: dict[str, Any] = {
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
    if raw is not None:
        out["raw"] = raw
    return out


# --- the reference: the raw driver, the same statements, parameters ready-made -------------
@contextmanager
def _nothing() -> Iterator[None]:
    yield None


@contextmanager
def copied(app: Any) -> Iterator[str]:
    """A copy of the app's database as it is now (SQLite: a file, its WAL checkpointed
    into it first; PostgreSQL: a database made from it as a template); removed after."""
    url = app.settings.database_url
    app.db.dispose()  # no connection left open on the source (a template must have none)
    if app.db.dialect == "sqlite":
        path = str(make_url(url).database)
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        copy = os.path.join(os.path.dirname(path), "reference.db")
        shutil.copyfile(path, copy)
        _warm(app)
        try:
            yield copy
        finally:
            for suffix in ("", "-wal", "-shm"):
                with suppress(FileNotFoundError):
                    os.remove(copy + suffix)
        return
    source = make_url(normalise_url(url))
    name = f"{source.database}_raw"
    admin = create_engine(source, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
        _warm(app)
        try:
            yield source.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _warm(app: Any) -> None:
    """The app's connections open again (the sweep is measured on warm ones, as before)."""
    with app.db.write() as s:
        s.execute(select(func.max(AuditEvent.id)))
    with app.read() as s:
        s.execute(select(func.max(AuditEvent.id)))


_TASK_STATE = (
    "id", "version", "reminders_sent", "escalation_level", "next_check_at",
    "escalation_role", "escalation_unit_id",
)  # fmt: skip
_EVENT_COLUMNS = (
    "chain", "seq", "at", "actor_id", "on_behalf_of_id", "actor_label", "action",
    "subject_type", "subject_id", "unit_id", "data", "prev_hash", "hash",
)  # fmt: skip
_SET_SQLITE = (
    "WITH v(vid, vv, r, e, n, er, eu) AS (VALUES {marks}) UPDATE task SET reminders_sent = v.r, "
    "escalation_level = v.e, next_check_at = v.n, escalation_role = v.er, "
    "escalation_unit_id = v.eu, version = task.version + 1 FROM v "
    "WHERE task.id = v.vid AND task.version = v.vv AND task.status = 'open' RETURNING task.id"
)
_SET_PG = (
    "UPDATE task SET reminders_sent = v.r, escalation_level = v.e, next_check_at = v.n, "
    "escalation_role = v.er, escalation_unit_id = v.eu, version = task.version + 1 "
    "FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[], %s::timestamp[], %s::text[], "
    "%s::int[]) AS v(vid, vv, r, e, n, er, eu) WHERE task.id = v.vid AND task.version = v.vv "
    "AND task.status = 'open' AND task.id BETWEEN %s::bigint AND %s::bigint RETURNING task.id"
)
_INSERT_PG = (
    f"INSERT INTO audit_event ({', '.join(_EVENT_COLUMNS)}) "
    f"SELECT {', '.join(_EVENT_COLUMNS)} FROM unnest("
    "%s::text[], %s::int[], %s::timestamp[], %s::int[], %s::int[], %s::text[], %s::text[], "
    "%s::text[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[]"
    f") WITH ORDINALITY AS u({', '.join(_EVENT_COLUMNS)}, n) ORDER BY n"
)


def raw_sweep(app: Any, copy: str, last_event: int, batch: int = sweeps.BATCH) -> dict[str, Any]:
    """The database's part of the sweep just made, again with the raw driver on ``copy``
    (the database as it was before the sweep): what the sweep wrote (read back from the
    app's database) is the ready-made parameters. Checks that the copy ends up with the
    same task rows and events."""
    sqlite = app.db.dialect == "sqlite"
    conn = _raw_connect(app, copy)
    try:
        now = app.clock.now()
        due = _due_order(conn, sqlite, now)  # (id, version), in the sweep's order
        ids = [i for i, _ in due]
        with app.read() as s:  # what the sweep wrote, as stored
            swept: Any = s.connection().connection.driver_connection
            after = {r[0]: r for r in _select_in(swept, sqlite, _TASK_STATE, ids)}
            events = _events_after(swept, sqlite, last_event)
        batches = []
        for part in chunks(due, batch):
            changes = sorted(
                (i, v, *after[i][2:]) for i, v in part if after[i][1] == v + 1
            )  # the tasks the sweep wrote, in id order
            written = {str(c[0]) for c in changes}
            rows = [e[1:] for e in events if e[9] in written]  # in id order
            batches.append((changes, rows, sorted({e[0] for e in rows})))
        due_sql, due_params = _due_statement(app, now, batch)
        if not sqlite:
            conn.rollback()
        t, cpu = time.perf_counter(), time.process_time()
        run = _run_sqlite if sqlite else _run_pg
        updated, phases = run(conn, batches, due_sql, due_params)
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        assert updated == sum(len(c) for c, _, _ in batches), updated
        same_tasks = after == {r[0]: r for r in _select_in(conn, sqlite, _TASK_STATE, ids)}
        same_events = events == _events_after(conn, sqlite, last_event)
        assert same_tasks and same_events, ("raw reference differs", same_tasks, same_events)
        return {
            "driver": "sqlite3" if sqlite else "psycopg",
            "seconds": seconds,
            "cpu_seconds": cpu,
            "tasks": updated,
            "events": len(events),
            "batches": len(batches),
            "phases_seconds": {k: round(v, 4) for k, v in phases.items()},
        }
    finally:
        if not sqlite:
            conn.rollback()
        conn.close()


def _raw_connect(app: Any, copy: str) -> Any:
    if app.db.dialect == "sqlite":
        db = sqlite3.connect(copy, isolation_level=None)
        for pragma in (  # as engine.db.engine's connections
            "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-65536",
            "temp_store=MEMORY", "wal_autocheckpoint=10000",
        ):  # fmt: skip
            db.execute(f"PRAGMA {pragma}")
        return db
    import psycopg

    return psycopg.connect(make_url(copy).set(drivername="postgresql").render_as_string(False))


def _due_statement(app: Any, now: Any, batch: int) -> tuple[str, Any]:
    """The engine's own read of the due tasks (``queries.due_for_check``), as the driver
    gets it."""
    with app.read() as s:
        dialect = s.connection().dialect
    prepared = queries._DUE_CLAIMED if app.db.dialect == "postgresql" else queries._DUE
    c = prepared.compiled(dialect)
    return c.sql, c.params({"now": now, "limit": batch})


def _due_order(conn: Any, sqlite: bool, now: Any) -> list[tuple[int, int]]:
    mark = "?" if sqlite else "%s"
    at = time_text(now) if sqlite else now.astimezone(UTC).replace(tzinfo=None)
    cur = conn.execute(
        f"SELECT id, version FROM task WHERE status = 'open' AND next_check_at <= {mark} "
        "ORDER BY next_check_at, id",
        (at,),
    )
    return [tuple(r) for r in cur.fetchall()]


def _select_in(
    conn: Any, sqlite: bool, columns: tuple[str, ...], ids: list[int]
) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for part in chunks(ids, 500):
        marks = ", ".join(["?" if sqlite else "%s"] * len(part))
        cur = conn.execute(
            f"SELECT {', '.join(columns)} FROM task WHERE id IN ({marks})", tuple(part)
        )
        out += [tuple(r) for r in cur.fetchall()]
    return out


def _events_after(conn: Any, sqlite: bool, last_event: int) -> list[tuple[Any, ...]]:
    """The events after ``last_event`` as stored: (id, the columns ...), in id order."""
    mark = "?" if sqlite else "%s"
    cur = conn.execute(
        f"SELECT id, {', '.join(_EVENT_COLUMNS)} FROM audit_event WHERE id > {mark} ORDER BY id",
        (last_event,),
    )
    return [tuple(r) for r in cur.fetchall()]


#: The reference's wall time by part of the batch (read: the due tasks; events: the chain
#: heads, the inserts and the bulk check; commit: with any checkpoint that falls in it).
PHASES = ("read", "update", "events", "commit")


def _run_sqlite(
    db: sqlite3.Connection, batches: list[Any], due_sql: str, due_params: Any
) -> tuple[int, dict[str, float]]:
    updated = 0
    took = dict.fromkeys(PHASES, 0.0)
    clock = time.perf_counter
    heads = "SELECT key, last_seq, last_hash FROM audit_chain WHERE key IN ({})"
    head = f"INSERT INTO audit_event ({', '.join(_EVENT_COLUMNS)}) VALUES "
    one = f"({', '.join(['?'] * len(_EVENT_COLUMNS))})"
    for changes, rows, chains in batches:
        t0 = clock()
        db.execute("BEGIN IMMEDIATE")
        db.execute(due_sql, due_params).fetchall()
        t1 = clock()
        for part in chunks(changes, 2000):
            sql = _SET_SQLITE.format(marks=", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(part)))
            updated += len(db.execute(sql, [x for c in part for x in c]).fetchall())
        t2 = clock()
        for part in chunks(chains, 500):
            db.execute(heads.format(", ".join(["?"] * len(part))), part).fetchall()
        db.execute("INSERT INTO audit_bulk (from_id) SELECT coalesce(max(id), 0) FROM audit_event")
        for part in chunks(rows, 2000):
            db.execute(head + ", ".join([one] * len(part)), [x for r in part for x in r])
        db.execute("DELETE FROM audit_bulk")
        t3 = clock()
        db.execute("COMMIT")
        t4 = clock()
        for k, a, b in zip(PHASES, (t0, t1, t2, t3), (t1, t2, t3, t4), strict=True):
            took[k] += b - a
    return updated, took


def _run_pg(
    conn: Any, batches: list[Any], due_sql: str, due_params: Any
) -> tuple[int, dict[str, float]]:
    # the literals are made before the clock starts: they are the parameters
    ready = [
        (
            (*pg_arrays(changes), changes[0][0], changes[-1][0]) if changes else None,
            pg_arrays(rows) if rows else None,
            pg_arrays([(k,) for k in chains]) if chains else None,
        )
        for changes, rows, chains in batches
    ]
    updated = 0
    took = dict.fromkeys(PHASES, 0.0)
    clock = time.perf_counter
    heads = (
        "SELECT key, last_seq, last_hash FROM audit_chain WHERE key = ANY(%s::text[]) "
        "ORDER BY key FOR UPDATE"
    )
    with conn.cursor() as cur:
        for update, events, keys in ready:
            t0 = clock()
            cur.execute(due_sql, due_params)
            cur.fetchall()
            t1 = clock()
            if update is not None:
                cur.execute(_SET_PG, update)
                updated += len(cur.fetchall())
            t2 = clock()
            if keys is not None:
                cur.execute(heads, keys)
                cur.fetchall()
            cur.execute("SELECT set_config('samflow.audit_bulk', 'on', true)")
            if events is not None:
                cur.execute(_INSERT_PG, events)
            cur.execute("SELECT set_config('samflow.audit_bulk', 'off', true)")
            t3 = clock()
            conn.commit()
            t4 = clock()
            for k, a, b in zip(PHASES, (t0, t1, t2, t3), (t1, t2, t3, t4), strict=True):
                took[k] += b - a
    return updated, took


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--tasks", type=int, default=1_000_000)
    p.add_argument("--overdue", type=int, default=10_000)
    args = p.parse_args()
    measure(args.db, args.tasks, args.overdue)


if __name__ == "__main__":
    main()
