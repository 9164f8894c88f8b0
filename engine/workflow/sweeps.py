"""The sweep: reminders before deadlines, escalation up the line after them.

Set-based and idempotent. Each task carries ``next_check_at`` (when its ladder next needs a
look), so the sweep reads only the tasks due now through a partial index, however many
open tasks there are. Each step is written with a guarded update (``WHERE version =
:seen``) and, on PostgreSQL, rows are claimed with ``FOR UPDATE SKIP LOCKED``: two sweeps
running at once never take the same step twice, and a sweep run twice finds nothing left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from engine.context import Actor, App, Progress, Tx, no_progress
from engine.db import queries
from engine.db.audit_store import EventRow, append_rows, chunks, pg_arrays
from engine.db.bulk import paused_gc
from engine.domain.audit.chain import canonical_json, time_text
from engine.domain.clock import as_utc, local_date
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.escalation import (
    Action,
    Escalate,
    Ladder,
    Position,
    apply,
    next_check,
    step,
)
from engine.domain.workflow.routing import Address, resolve
from engine.domain.workflow.states import Role
from engine.workflow import templates
from engine.workflow.cycles import chain

SWEEP_ACTOR = Actor.system("sweep")
BATCH = 10_000


@dataclass
class SweepReport:
    checked: int = 0
    reminded: int = 0
    escalated: int = 0
    batches: int = 0
    escalations: list[tuple[int, int, str]] = field(default_factory=list)  # task, level, to
    jobs_failed: list[int] = field(default_factory=list)  # stale jobs failed (recovery)
    #: What the named sweep steps did (``policy.due:reviews`` -> cases opened); not run
    #: in a dry run.
    steps: dict[str, int] = field(default_factory=dict)


def sweep(
    app: App,
    *,
    batch: int = BATCH,
    progress: Progress = no_progress,
    max_batches: int = 10_000,
    dry_run: bool = False,
) -> SweepReport:
    """``dry_run``: what the sweep would do, counted in one transaction that is rolled
    back (nothing is written, no audit event, no job failed)."""
    from engine.workflow.batch import recovery

    if dry_run:
        return app.preview(lambda tx: _dry_run(app, tx, batch, max_batches))
    from engine.workflow.process.registry import registry

    report = SweepReport(jobs_failed=recovery.fail_stale_jobs(app))
    for key, step_fn in registry().sweep_steps().items():  # cases due by date, first
        report.steps |= {f"{key}:{k}": n for k, n in step_fn(app).items() if n}
    for _ in range(max_batches):
        seen = app.run(lambda tx: _sweep_batch(app, tx, batch, report))
        report.batches += 1
        progress(report.checked, report.checked, "sweep")
        if seen < batch:
            break
    return report


def _dry_run(app: App, tx: Tx, batch: int, max_batches: int) -> SweepReport:
    report = SweepReport()
    for _ in range(max_batches):
        seen = _sweep_batch(app, tx, batch, report)
        report.batches += 1
        if seen < batch:
            break
    return report


def _sweep_batch(app: App, tx: Tx, batch: int, report: SweepReport) -> int:
    with paused_gc():
        return _batch(app, tx, batch, report)


def _batch(app: App, tx: Tx, batch: int, report: SweepReport) -> int:
    """One batch, set-based: the due tasks read through the partial index, each one's step
    decided (pure ladder rules, one step per task and sweep, so reminders and escalations
    come in ladder order), all steps written by one guarded ``UPDATE ... FROM (VALUES ...)
    RETURNING`` per 2,000 tasks, and the audit events of the steps that were written
    appended in bulk (the chains computed in one pass). A task changed by someone else
    since it was read (completed, reassigned) fails the version guard and is left for the
    next sweep: no event for a step not taken.

    The ladder rules are pure, so a decision is made once per distinct position (ladder,
    deadline, reminders sent, level) and reused: a region's tasks share a few deadlines."""
    s = tx.session
    rows = queries.due_for_check(s, tx.now, batch)
    if not rows:
        return 0
    now = tx.now
    sqlite = s.connection().dialect.name == "sqlite"
    org: OrgSnapshot | None = None
    ladders: dict[tuple[int, str], Ladder] = {}
    decided: dict[tuple[Any, ...], tuple[Action | None, int, int, datetime | None]] = {}
    #: Per distinct place (position on a ladder, and where the task sits): the change to
    #: write and the event to record, worked out once.
    places: dict[tuple[Any, ...], _Place] = {}
    #: The texts the places share (stored next checks, events' JSON), each made once: the
    #: tasks of a department escalate to the same manager.
    texts: dict[Any, Any] = {}
    picked: list[tuple[int, int, int, _Place]] = []
    changes: list[tuple[Any, ...]] = []
    # rows are plain tuples (queries.DUE_COLUMNS); a row is given names only where a new
    # place is worked out (a few thousand places for any number of tasks)
    for r in rows:
        task_id, cycle_id, unit_id, key, due_at, sent, level, version, _, role, role_unit, tpl = r
        pk = (tpl, key, due_at, sent, level, role, role_unit, unit_id)
        place = places.get(pk)
        if place is None:
            lk = (tpl, key)
            dk = (lk, due_at, sent, level)
            known = decided.get(dk)
            if known is None:
                ladder = ladders.get(lk)
                if ladder is None:
                    ladder = ladders[lk] = templates.by_id(app, s, tpl).ladder_for(key)
                pos = Position(due_at, sent, level)
                action = step(pos, ladder, now)
                new = apply(pos, action) if action is not None else pos
                known = decided[dk] = (
                    action,
                    new.reminders_sent,
                    new.escalation_level,
                    next_check(new, ladder, now, escalated=isinstance(action, Escalate)),
                )
            if isinstance(known[0], Escalate) and org is None:
                org = queries.ancestry_snapshot(
                    s, {x[2] for x in rows} | {x[10] for x in rows if x[10]}, local_date(now)
                )
            place = places[pk] = _place(known, ladders[lk], _Due._make(r), org, sqlite, texts)
        changes.append((task_id, version, *place.change))
        if place.action:
            picked.append((task_id, cycle_id, unit_id, place))
    changes.sort()  # in id order: the updates walk the table's pages in order
    written = _write(tx, changes)
    events: list[EventRow] = []
    actor_id, actor_label = SWEEP_ACTOR.person_id, SWEEP_ACTOR.label
    chains: dict[int, str] = {}
    escalations = report.escalations
    for task_id, cycle_id, unit_id, place in picked:
        if task_id not in written:
            continue
        if place.escalated:
            report.escalated += 1
            escalations.append((task_id, place.level, place.to))
        else:
            report.reminded += 1
        ckey = chains.get(cycle_id)
        if ckey is None:
            ckey = chains[cycle_id] = chain(cycle_id)
        events.append(
            (ckey, now, actor_id, None, actor_label, place.action, "task", str(task_id),
             unit_id, place.data)
        )  # fmt: skip
    # each chain's events together (a stable sort: in its own order): the chain index's
    # inserts walk its pages in order; on PostgreSQL the batch's events are one statement,
    # so its trigger advances each chain's head once
    events.sort(key=itemgetter(0))
    append_rows(tx.audit, events, batch=max(1, len(events)))
    report.checked += len(rows)
    return len(rows)


class _Due(NamedTuple):
    """A due task's row (``queries.DUE_COLUMNS``) by name."""

    id: int
    cycle_id: int
    unit_id: int
    key: str
    due_at: datetime
    reminders_sent: int
    escalation_level: int
    version: int
    assignee_id: int | None
    role: str | None
    role_unit_id: int | None
    template_id: int


@dataclass(frozen=True, slots=True)
class _Place:
    #: (reminders sent, level, next check as stored, moved, escalation role, unit).
    change: tuple[Any, ...]
    action: str  # the event's action; empty: nothing to do now
    escalated: bool
    level: int
    to: str
    data: str


def _place(
    known: tuple[Action | None, int, int, datetime | None],
    ladder: Ladder,
    r: Any,
    org: OrgSnapshot | None,
    sqlite: bool,
    texts: dict[Any, Any],
) -> _Place:
    action, sent, level, check = known
    stored: Any = None
    if check is not None:
        stored = texts.get(check)
        if stored is None:
            stored = texts[check] = (
                time_text(check) if sqlite else as_utc(check).replace(tzinfo=None)
            )
    target: Address | None = None
    if isinstance(action, Escalate):
        assert org is not None
        target = _target(action.level, ladder, r, org)
        change = (
            sent,
            level,
            stored,
            0 if target is None else 1,
            None if target is None else target.role.value,
            None if target is None else target.unit_id,
        )
        to = str(target) if target else None
        tk: tuple[Any, ...] = ("escalated", action.level, to, str(action.to), r.due_at)
        data = texts.get(tk)
        if data is None:
            data = texts[tk] = canonical_json(
                {"level": action.level, "to": to, "rule": tk[3], "due_at": r.due_at}
            )
        return _Place(change, "task.escalated", True, action.level, str(target), data)
    change = (sent, level, stored, 0, None, None)
    if action is None:
        return _Place(change, "", False, 0, "", "")
    tk = ("reminded", action.level, r.due_at)
    data = texts.get(tk)
    if data is None:
        data = texts[tk] = canonical_json({"reminder": action.level, "due_at": r.due_at})
    return _Place(change, "task.reminded", False, action.level, "", data)


def _target(level: int, ladder: Ladder, r: Any, org: OrgSnapshot) -> Address | None:
    """Who a step escalates to. Measured from the unit whose manager holds the task (a
    task returned upward climbs from there); where nobody holds the step's role (the top
    of the tree has no parent manager) the next step's role takes it."""
    base = r.role_unit_id if r.role == Role.MANAGER and r.role_unit_id else r.unit_id
    for step_ in ladder.steps[level - 1 :]:
        found = resolve(step_.to, base, org)
        if found is not None:
            return found
    return None


_CHUNK = 2000
_SET = (
    "reminders_sent = v.r, escalation_level = v.e, next_check_at = v.n, "
    "escalation_role = CASE WHEN v.moved = 1 THEN v.er ELSE task.escalation_role END, "
    "escalation_unit_id = CASE WHEN v.moved = 1 THEN v.eu ELSE task.escalation_unit_id END, "
    "version = task.version + 1"
)
_WHERE = "task.id = v.vid AND task.version = v.vv AND task.status = 'open'"


def _write(tx: Tx, changes: list[tuple[Any, ...]]) -> set[int]:
    """The steps written, guarded by each task's version; returns the ids written."""
    conn = tx.session.connection()
    written: set[int] = set()
    if conn.dialect.name != "sqlite":  # one statement, a column array per field
        for part in chunks(changes, 10 * _CHUNK):
            # the batch's range of ids (``changes`` is in id order): a join that walks the
            # primary key starts at the batch's first task, not at the table's
            bounds = (part[0][0], part[-1][0])
            result = conn.exec_driver_sql(_UPDATE_PG, (*pg_arrays(part), *bounds))
            written.update(i for (i,) in result.all())  # fetched at once, not row by row
        return written
    for part in chunks(changes, _CHUNK):
        marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(part))
        sql = (
            f"WITH v(vid, vv, r, e, n, moved, er, eu) AS (VALUES {marks}) "
            f"UPDATE task SET {_SET} FROM v WHERE {_WHERE} RETURNING task.id"
        )
        params: list[Any] = [x for c in part for x in c]
        written.update(i for (i,) in conn.exec_driver_sql(sql, tuple(params)).all())
    return written


_UPDATE_PG = (
    f"UPDATE task SET {_SET} FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[], "
    "%s::timestamp[], %s::int[], %s::text[], %s::int[]) "
    f"AS v(vid, vv, r, e, n, moved, er, eu) WHERE {_WHERE} "
    "AND task.id BETWEEN %s::bigint AND %s::bigint RETURNING task.id"
)
