"""Notifications by e-mail: new tasks, reminders and escalations, and a weekly digest.

The audit log is the transactional outbox: every task.created / task.reminded /
task.escalated event was written in the same transaction as the change itself, so reading
the events after a stored cursor finds exactly what happened, whoever made it happen (a
person, the sweep, the start of the year). Each run first *expands* the new events into one
``Notification`` row per recipient (status ``pending``), resolving recipients then: the
task's assignee or the holders of its role today; for an escalation the holders of the
address it climbed to. So a new manager gets the mail, not the one who left. Then
``delivery`` sends the pending rows, one mail per person and kind.

The cursor trails the last run by ``LOOKBACK``: on PostgreSQL a transaction that began
earlier may commit after a later one, and its events must not be skipped. An event that
already has rows is never expanded again (whoever holds the role later), and the
unique (event, person) key makes two notifiers at once insert each row once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from engine.context import App
from engine.db.audit_store import chunks
from engine.db.models import AuditEvent, Person, RoleAssignment, Task
from engine.db.models.workflow.notify import Notification, NotifyCursor
from engine.db.queries import valid_on
from engine.domain.clock import local_date
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus
from engine.notify import delivery
from engine.notify.delivery import Report, insert_ignoring_duplicates
from engine.notify.mailer import Mailer

CURSOR = "mail"
LOOKBACK = timedelta(hours=1)
KIND_OF = {"task.created": "created", "task.reminded": "reminded", "task.escalated": "escalated"}
EVENT_KINDS = tuple(KIND_OF.values())


def send_pending(app: App, mailer: Mailer) -> Report:
    """Mail everyone concerned by the task events since the last run (and anything a
    failed run left pending, or a notifier that died left sending)."""
    now = app.clock.now()
    requeued = delivery.requeue_stale(app)
    expanded, nobody = expand_events(app, now)
    report = delivery.send(app, mailer, now, EVENT_KINDS)
    report.expanded, report.skipped, report.requeued = expanded, nobody, requeued
    return report


def send_digest(app: App, mailer: Mailer, *, week: str | None = None) -> Report:
    """One mail per person with all their open tasks, once per ISO week (``2027-W03``)."""
    now = app.clock.now()
    week = week or iso_week(local_date(now))
    requeued = delivery.requeue_stale(app)
    report_rows = expand_digest(app, now, week)
    report = delivery.send(app, mailer, now, ("digest",))
    report.expanded, report.requeued = report_rows, requeued
    return report


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- events -> pending rows ---------------------------------------------------------------
def expand_events(app: App, now: datetime) -> tuple[int, int]:
    """Turn events not yet expanded into pending rows; (rows written, events for nobody)."""
    with app.db.write() as s:
        start = _lock_cursor(s, now) - LOOKBACK
        handled = exists().where(Notification.event_id == AuditEvent.id)
        events = list(
            s.execute(
                select(AuditEvent.id, AuditEvent.action, AuditEvent.subject_id, AuditEvent.data)
                .where(AuditEvent.action.in_(list(KIND_OF)), AuditEvent.at > start, ~handled)
                .order_by(AuditEvent.id)
            )
        )
        targets = _targets(s, events)
        wanted = {a for ts in targets.values() for a in ts if isinstance(a, Address)}
        holders = holders_of(s, wanted, local_date(now))
        rows, nobody = [], 0
        for e in events:
            people = {
                p
                for t in targets.get(e.id, [])
                for p in (holders.get(t, []) if isinstance(t, Address) else [t])
            }
            nobody += not people
            rows += [
                _row(KIND_OF[e.action], p, now, event_id=e.id, task_id=int(e.subject_id))
                for p in sorted(people)
            ]
        insert_ignoring_duplicates(s, rows)
        s.get_one(NotifyCursor, CURSOR).at = now
        return len(rows), nobody


def _lock_cursor(s: Session, now: datetime) -> datetime:
    """The cursor's time, locked for this run (two notifiers expand one after the other)."""
    insert_ignoring_duplicates(
        s, [{"name": CURSOR, "at": now, "updated_at": now}], model=NotifyCursor
    )
    cursor = s.get_one(NotifyCursor, CURSOR, with_for_update=True)
    cursor.updated_at = now
    return cursor.at


def _targets(s: Session, events: list[Any]) -> dict[int, list[Address | int]]:
    """Per event: a person id (the assignee) or a role address (resolved to its holders).
    Events of tasks no longer open have no targets: there is nothing left to do."""
    tasks: dict[int, Any] = {}
    for batch in chunks(sorted({int(e.subject_id) for e in events})):
        tasks.update(
            (r.id, r)
            for r in s.execute(
                select(Task.id, Task.assignee_id, Task.role, Task.role_unit_id).where(
                    Task.id.in_(batch), Task.status == TaskStatus.OPEN.value
                )
            )
        )
    out: dict[int, list[Address | int]] = {}
    for e in events:
        task = tasks.get(int(e.subject_id))
        if task is None:
            continue
        if e.action == "task.escalated":
            to = json.loads(e.data).get("to")
            role, _, unit = str(to or "").partition("@")
            out[e.id] = [Address(Role(role), int(unit))] if to else []
        elif task.assignee_id is not None:
            out[e.id] = [int(task.assignee_id)]
        elif task.role is not None and task.role_unit_id is not None:
            out[e.id] = [Address(Role(task.role), task.role_unit_id)]
    return out


def holders_of(s: Session, addresses: Iterable[Address], day: date) -> dict[Address, list[int]]:
    """The active people holding each role address on ``day``."""
    out: dict[Address, list[int]] = defaultdict(list)
    for batch in chunks(sorted(set(addresses)), 300):
        roles: dict[int, set[str]] = defaultdict(set)
        for a in batch:
            roles[a.unit_id].add(a.role.value)
        rows = s.execute(
            select(RoleAssignment.role, RoleAssignment.unit_id, RoleAssignment.person_id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.unit_id.in_(list(roles)),
                valid_on(day),
                Person.active.is_(True),
            )
            .order_by(RoleAssignment.id)
        )
        for role, unit, person in rows:
            if role in roles[unit]:
                out[Address(Role(role), unit)].append(person)
    return dict(out)


# --- the weekly digest -> pending rows ----------------------------------------------------
def expand_digest(app: App, now: datetime, week: str) -> int:
    """A pending digest row for everyone with an open task who has none for the week."""
    with app.db.write() as s:
        people = {p for p, _, _ in delivery.open_task_holders(s, local_date(now))}
        rows = [_row("digest", p, now, week=week) for p in sorted(people)]
        return insert_ignoring_duplicates(s, rows)


def _row(
    kind: str,
    person: int,
    now: datetime,
    *,
    event_id: int | None = None,
    task_id: int | None = None,
    week: str | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "digest_week": week,
        "person_id": person,
        "kind": kind,
        "email": "",  # filled in when sent (the address then)
        "task_id": task_id,
        "status": "pending",
        "created_at": now,
        "sent_at": None,
        "error": None,
    }
