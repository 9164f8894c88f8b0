"""The sweep: reminders before deadlines, escalation up the line after them.

Set-based and idempotent. Each task carries ``next_check_at`` (when its ladder next needs a
look), so the sweep reads only the tasks due now through a partial index, however many
open tasks there are. Each step is written with a guarded update (``WHERE version =
:seen``) and, on PostgreSQL, rows are claimed with ``FOR UPDATE SKIP LOCKED``: two sweeps
running at once never take the same step twice, and a sweep run twice finds nothing left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, update

from engine.context import Actor, App, Progress, Tx, no_progress
from engine.db import queries
from engine.db.models import Task, table
from engine.domain.clock import local_date
from engine.domain.errors import ConcurrentChange
from engine.domain.escalation import (
    Escalate,
    Ladder,
    Position,
    Remind,
    apply,
    next_check,
    step,
)
from engine.domain.org import OrgSnapshot
from engine.domain.routing import Address, resolve
from engine.domain.states import Role
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
    report = SweepReport(jobs_failed=recovery.fail_stale_jobs(app))
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
    s = tx.session
    rows = queries.due_for_check(s, tx.now, batch)
    if not rows:
        return 0
    org: OrgSnapshot | None = None
    updates: list[dict[str, Any]] = []
    for r in rows:
        template = templates.by_id(app, s, r.template_id)
        ladder = template.ladder_for(r.key)
        pos = Position(r.due_at, r.reminders_sent, r.escalation_level)
        action = step(pos, ladder, tx.now)
        new = apply(pos, action) if action is not None else pos
        change: dict[str, Any] = {
            "_id": r.id,
            "_v": r.version,
            "reminders_sent": new.reminders_sent,
            "escalation_level": new.escalation_level,
            "next_check_at": next_check(
                new, ladder, tx.now, escalated=isinstance(action, Escalate)
            ),
        }
        if isinstance(action, Escalate):
            if org is None:
                org = queries.ancestry_snapshot(
                    s,
                    {x.unit_id for x in rows} | {x.role_unit_id for x in rows if x.role_unit_id},
                    local_date(tx.now),
                )
            target = _target(action.level, template.ladder_for(r.key), r, org)
            if target is not None:
                change["escalation_role"] = target.role.value
                change["escalation_unit_id"] = target.unit_id
            tx.record(
                chain(r.cycle_id),
                "task.escalated",
                "task",
                r.id,
                SWEEP_ACTOR,
                unit_id=r.unit_id,
                data={
                    "level": action.level,
                    "to": str(target) if target else None,
                    "rule": str(action.to),
                    "due_at": r.due_at,
                },
            )
            report.escalated += 1
            report.escalations.append((r.id, action.level, str(target)))
        elif isinstance(action, Remind):
            tx.record(
                chain(r.cycle_id),
                "task.reminded",
                "task",
                r.id,
                SWEEP_ACTOR,
                unit_id=r.unit_id,
                data={"reminder": action.level, "due_at": r.due_at},
            )
            report.reminded += 1
        updates.append(change)
    _write(tx, updates)
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


def _write(tx: Tx, updates: list[dict[str, Any]]) -> None:
    t = table(Task)
    plain = [u for u in updates if "escalation_role" not in u]
    moved = [u for u in updates if "escalation_role" in u]
    guard = (t.c.id == bindparam("_id")) & (t.c.version == bindparam("_v"))
    values: dict[str, Any] = {
        "reminders_sent": bindparam("reminders_sent"),
        "escalation_level": bindparam("escalation_level"),
        "next_check_at": bindparam("next_check_at"),
        "version": t.c.version + 1,
    }
    conn = tx.session.connection()
    sane = conn.dialect.supports_sane_multi_rowcount
    variants: tuple[tuple[list[dict[str, Any]], dict[str, Any]], ...] = (
        (plain, {}),
        (
            moved,
            {
                "escalation_role": bindparam("escalation_role"),
                "escalation_unit_id": bindparam("escalation_unit_id"),
            },
        ),
    )
    for rows, extra in variants:
        if not rows:
            continue
        result = conn.execute(update(t).where(guard).values(**values, **extra), rows)
        if (sane or len(rows) == 1) and result.rowcount != len(rows):
            raise ConcurrentChange("tasks being swept")
