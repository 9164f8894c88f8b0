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
from typing import Any

from engine.context import Actor, App, Progress, Tx, no_progress
from engine.db import queries
from engine.db.audit_store import Pending, append_many, chunks
from engine.domain.audit.chain import EventContent, canonical_json, time_text
from engine.domain.clock import as_utc, local_date
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.escalation import (
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
    from engine.workflow import recovery

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
    """One batch, set-based: the due tasks read through the partial index, each one's step
    decided (pure ladder rules, one step per task and sweep, so reminders and escalations
    come in ladder order), all steps written by one guarded ``UPDATE ... FROM (VALUES ...)
    RETURNING`` per 2,000 tasks, and the audit events of the steps that were written
    appended in bulk (the chains computed in one pass). A task changed by someone else
    since it was read (completed, reassigned) fails the version guard and is left for the
    next sweep: no event for a step not taken."""
    s = tx.session
    rows = queries.due_for_check(s, tx.now, batch)
    if not rows:
        return 0
    org: OrgSnapshot | None = None
    ladders: dict[tuple[int, str], Ladder] = {}
    targets: dict[tuple[Any, ...], Address | None] = {}
    steps: list[tuple[Any, Any, Address | None]] = []
    changes: list[tuple[Any, ...]] = []
    for r in rows:
        lk = (r.template_id, r.key)
        ladder = ladders.get(lk)
        if ladder is None:
            ladder = ladders[lk] = templates.by_id(app, s, r.template_id).ladder_for(r.key)
        pos = Position(r.due_at, r.reminders_sent, r.escalation_level)
        action = step(pos, ladder, tx.now)
        new = apply(pos, action) if action is not None else pos
        target: Address | None = None
        moved = False
        if isinstance(action, Escalate):
            if org is None:
                org = queries.ancestry_snapshot(
                    s,
                    {x.unit_id for x in rows} | {x.role_unit_id for x in rows if x.role_unit_id},
                    local_date(tx.now),
                )
            place = (action.level, lk, r.role, r.role_unit_id, r.unit_id)
            if place in targets:
                target = targets[place]
            else:
                target = targets[place] = _target(action.level, ladder, r, org)
            moved = target is not None
        changes.append(
            (
                r.id,
                r.version,
                new.reminders_sent,
                new.escalation_level,
                next_check(new, ladder, tx.now, escalated=isinstance(action, Escalate)),
                1 if moved else 0,
                target.role.value if target is not None else None,
                target.unit_id if target is not None else None,
            )
        )
        steps.append((r, action, target))
    written = _write(tx, changes)
    events: list[Pending] = []
    texts: dict[tuple[Any, ...], tuple[str, str]] = {}  # (kind, data) per distinct step
    for r, action, target in steps:
        if r.id not in written or action is None:
            continue
        if isinstance(action, Escalate):
            report.escalated += 1
            report.escalations.append((r.id, action.level, str(target)))
            tk: tuple[Any, ...] = ("e", action.level, target, action.to, r.due_at)
        else:
            report.reminded += 1
            tk = ("r", action.level, r.due_at)
        known = texts.get(tk)
        if known is None:
            if isinstance(action, Escalate):
                data: dict[str, Any] = {
                    "level": action.level,
                    "to": str(target) if target else None,
                    "rule": str(action.to),
                    "due_at": r.due_at,
                }
                known = ("task.escalated", canonical_json(data))
            else:
                data = {"reminder": action.level, "due_at": r.due_at}
                known = ("task.reminded", canonical_json(data))
            texts[tk] = known
        events.append(
            Pending(
                chain(r.cycle_id),
                EventContent(
                    action=known[0],
                    subject_type="task",
                    subject_id=str(r.id),
                    at=tx.now,
                    actor_id=SWEEP_ACTOR.person_id,
                    actor_label=SWEEP_ACTOR.label,
                    on_behalf_of_id=None,
                    unit_id=r.unit_id,
                    data_json=known[1],
                ),
            )
        )
    append_many(tx.audit, events)
    report.checked += len(rows)
    return len(rows)


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
    sqlite = conn.dialect.name == "sqlite"
    written: set[int] = set()
    times: dict[datetime, str] = {}
    for part in chunks(changes, _CHUNK):
        if sqlite:
            marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(part))
            sql = (
                f"WITH v(vid, vv, r, e, n, moved, er, eu) AS (VALUES {marks}) "
                f"UPDATE task SET {_SET} FROM v WHERE {_WHERE} RETURNING task.id"
            )
            params: list[Any] = [x for c in part for x in (*c[:4], _stored(c[4], times), *c[5:])]
        else:
            row = (
                "(%s::bigint, %s::int, %s::int, %s::int, %s::timestamp, %s::int, %s::text, %s::int)"
            )
            marks = ", ".join([row] * len(part))
            sql = (
                f"UPDATE task SET {_SET} FROM (VALUES {marks}) "
                f"AS v(vid, vv, r, e, n, moved, er, eu) WHERE {_WHERE} RETURNING task.id"
            )
            params = [
                x
                for c in part
                for x in (*c[:4], as_utc(c[4]).replace(tzinfo=None) if c[4] else None, *c[5:])
            ]
        written.update(i for (i,) in conn.exec_driver_sql(sql, tuple(params)))
    return written


def _stored(at: datetime | None, seen: dict[datetime, str]) -> str | None:
    """An instant as SQLite stores it (the text SQLAlchemy writes), once per instant."""
    if at is None:
        return None
    text = seen.get(at)
    if text is None:
        text = seen[at] = time_text(at)
    return text
