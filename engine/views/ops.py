"""What an operator's monitoring asks of samflow: is it ready to serve, and how much work is
waiting. Read-only, a handful of indexed counts; the doors (``/readyz``, ``/metrics``) decide
who may ask and how often.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text

from engine.context import App
from engine.db import migrate
from engine.db.models import Job, Task
from engine.db.models.workflow.notify import Notification


@dataclass(frozen=True)
class Check:
    """One readiness check: its name, whether it holds, and what is wrong if not."""

    name: str
    ok: bool
    detail: str = ""


def database_checks(app: App) -> list[Check]:
    """The database answers, and its schema is at the head revision of this code."""
    try:
        with app.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as e:  # any driver error: the database is not there for us
        return [Check("database", False, type(e).__name__)]
    head = migrate.head_revision()
    try:
        current = migrate.current_revision(app.db.engine)
    except Exception as e:
        return [Check("database", True), Check("migrations", False, type(e).__name__)]
    if head is None or current != head:
        detail = f"database at {current or 'none'}, code at {head or 'several heads'}"
        return [Check("database", True), Check("migrations", False, detail)]
    return [Check("database", True), Check("migrations", True, head)]


@dataclass(frozen=True)
class Backlog:
    """Work waiting, as gauges: open tasks, those past their deadline, those escalated,
    mail not yet sent, and background jobs not finished."""

    open_tasks: int
    overdue_tasks: int
    escalated_tasks: int
    outbox_pending: int
    jobs_queued: int
    jobs_running: int


def backlog(app: App) -> Backlog:
    now = app.clock.now()
    open_ = Task.status == "open"
    with app.db.read_sessions() as s:
        open_count, overdue, escalated = s.execute(
            select(
                func.count(),
                func.count().filter(Task.due_at < now),
                func.count().filter(Task.escalation_level > 0),
            ).where(open_)
        ).one()
        outbox = s.scalar(
            select(func.count()).where(Notification.status.in_(("pending", "sending")))
        )
        rows = s.execute(
            select(Job.status, func.count())
            .where(Job.status.in_(("queued", "running")))
            .group_by(Job.status)
        ).all()
        jobs = {str(status): int(n) for status, n in rows}
    return Backlog(
        open_tasks=int(open_count),
        overdue_tasks=int(overdue),
        escalated_tasks=int(escalated),
        outbox_pending=int(outbox or 0),
        jobs_queued=int(jobs.get("queued", 0)),
        jobs_running=int(jobs.get("running", 0)),
    )
