"""Talking about a task: comments (whoever may see the task may read and write them) and
a nudge that reminds the task's holder now, at most once a day per task.

Both are audited in the task's cycle chain in the same transaction as the row. The nudge
is a ``task.reminded`` event, so the mail goes out through the outbox like every other
reminder (``engine.notify``): to the task's assignee, or the holders of its role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Task
from engine.db.models.workflow.inbox import TaskComment, TaskNudge
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted, TaskNotOpen
from engine.domain.workflow.states import TaskStatus
from engine.org.rules import may_nudge
from engine.org.visibility import require_task, scope_of
from engine.workflow.cycles import chain

MAX_COMMENT = 4000


@dataclass(frozen=True)
class CommentView:
    id: int
    person_id: int
    name: str
    body: str
    at: datetime


def comments(app: App, actor: Actor, task_id: int) -> list[CommentView]:
    """The task's comments, oldest first (NotFound unless the person may see the task)."""
    with app.read() as s:
        _visible_task(s, app, actor, task_id)
        rows = list(
            s.scalars(
                select(TaskComment).where(TaskComment.task_id == task_id).order_by(TaskComment.id)
            )
        )
        names = queries.person_names(s, {r.person_id for r in rows})
    return [
        CommentView(r.id, r.person_id, names.get(r.person_id, ("", ""))[0], r.body, r.created_at)
        for r in rows
    ]


def add_comment(app: App, actor: Actor, task_id: int, body: str) -> int:
    text = (body or "").strip()
    if not text:
        raise InvalidInput.field("text", "write a comment", "skriv en kommentar")
    if len(text) > MAX_COMMENT:
        raise InvalidInput.field(
            "text",
            f"a comment is at most {MAX_COMMENT} characters",
            f"en kommentar är högst {MAX_COMMENT} tecken",
        )

    def work(tx: Tx) -> int:
        task = _visible_task(tx.session, app, actor, task_id)
        row = TaskComment(task_id=task.id, person_id=actor.person_id, body=text, created_at=tx.now)
        tx.session.add(row)
        tx.session.flush()
        tx.record(
            chain(task.cycle_id),
            "task.commented",
            "task",
            task.id,
            actor,
            unit_id=task.unit_id,
            data={"comment": row.id, "text": text},
        )
        return row.id

    return app.run(work)


def nudge(app: App, actor: Actor, task_id: int) -> None:
    """Remind the holder of an open task now (a ``task.reminded`` event the outbox mails);
    once a day per task, by the line above, whom it was escalated to, or the unit's
    manager (not by its own holder)."""

    def work(tx: Tx) -> None:
        task = _visible_task(tx.session, app, actor, task_id)
        if task.status != TaskStatus.OPEN.value:
            raise TaskNotOpen(task.id, task.status)
        day = local_date(tx.now)
        auth = queries.authority(tx.session, actor.person_id or 0, day)
        org = queries.ancestry_snapshot(tx.session, [task.unit_id], day)
        if not may_nudge(auth, task, org):
            raise NotPermitted(
                "only the line above, whom the task was escalated to or the unit's manager "
                "may remind its holder",
                "bara chefen ovanför, den uppgiften eskalerats till eller enhetens chef får "
                "påminna den som har uppgiften",
            )
        if task.id in nudged_today(tx.session, [task.id], day):
            raise _already()
        tx.session.add(
            TaskNudge(task_id=task.id, day=day, person_id=actor.person_id, created_at=tx.now)
        )
        try:
            tx.session.flush()
        except IntegrityError:  # someone else pressed at the same moment
            raise _already() from None
        tx.record(
            chain(task.cycle_id),
            "task.reminded",
            "task",
            task.id,
            actor,
            unit_id=task.unit_id,
            data={"nudge": True},
        )

    app.run(work)


def nudged_today(s: Session, task_ids: Iterable[int], day: date) -> set[int]:
    ids = sorted(set(task_ids))
    if not ids:
        return set()
    return set(
        s.scalars(select(TaskNudge.task_id).where(TaskNudge.task_id.in_(ids), TaskNudge.day == day))
    )


def _already() -> Conflict:
    return Conflict(
        "the holder was already reminded of this task today",
        "den som har uppgiften har redan påmints i dag",
    )


def _visible_task(s: Session, app: App, actor: Actor, task_id: int) -> Task:
    scope = scope_of(s, actor, app)
    task = s.get(Task, task_id)
    if task is None:
        raise NotFound("task", task_id)
    require_task(s, app, scope, task)
    return task
