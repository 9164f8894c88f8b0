"""Sending pending notifications: take, send, record the outcome; at least once.

Pending rows (``notify.expand_*``) are grouped into one mail per person and kind. A mail's
rows are *taken* before it is sent, with a guarded update (``status = 'pending'`` ->
``sending``, with the time taken as the rows' heartbeat) in a small transaction of their
own: only the run whose update went through sends it, so a retried flow or two notifiers at
once never mail twice. The take also gives the rows the mail's Message-ID
(``<notification-{id}.{hash}@{host}>``), kept for good. After sending the rows turn
``sent``, or ``refused`` (the server's reason kept, never retried), or ``dropped`` (the task
closed or the person left before the mail went). When the server cannot be reached the
rows go back to ``pending`` and the run stops: the next run sends them.

A notifier killed between taking and recording leaves rows ``sending``. Once they are older
than ``SAMFLOW_OUTBOX_STALE_SECONDS`` the next run puts them back to ``pending``
(``requeue_stale``) and sends them again as the same mail, under the same Message-ID: if the
first copy did reach the server, the receiver sees a duplicate Message-ID and can drop it;
if it did not, the mail is not lost.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, literal, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.context import App
from engine.db.audit_store import chunks
from engine.db.models import Base, Cycle, OrgUnit, Person, RoleAssignment, Stage, Task
from engine.db.models.workflow.notify import Notification
from engine.db.queries import valid_on
from engine.domain.clock import local_date
from engine.domain.workflow.states import TaskStatus
from engine.notify.mailer import Mailer, MailRefused, MailUnavailable
from engine.workflow import templates
from forms.mail import Letter, MailTask, compose

DIGEST_MAX = 100  # tasks listed in one digest; the rest are counted and linked


@dataclass
class Report:
    expanded: int = 0  # rows made from events (or digests) this run
    mails: int = 0
    notifications: int = 0  # rows sent
    already: int = 0  # mails another run took first
    skipped: int = 0  # events with nobody to tell (task closed, role not held)
    requeued: int = 0  # rows a notifier that died left sending, put back to pending
    dropped: int = 0  # rows not sent: task closed or person gone by then
    refused: list[str] = field(default_factory=list)
    failed: str | None = None  # why this run stopped early; the rest stays pending

    def summary(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items()}


@dataclass(frozen=True)
class Addressee:
    name: str
    email: str


def send(app: App, mailer: Mailer, now: datetime, kinds: Sequence[str]) -> Report:
    report = Report()
    with app.read() as s:
        pending = list(
            s.execute(
                select(Notification.id, Notification.person_id, Notification.kind)
                .add_columns(
                    Notification.digest_week, Notification.task_id, Notification.message_id
                )
                .where(Notification.status == "pending", Notification.kind.in_(list(kinds)))
                .order_by(Notification.person_id, Notification.kind, Notification.id)
            )
        )
        # a mail sent before (requeued after a crash) goes again as itself: same rows, same id
        groups: dict[tuple[int, str, str | None, str | None], list[Any]] = defaultdict(list)
        for r in pending:
            groups[(r.person_id, r.kind, r.digest_week, r.message_id)].append(r)
        people = _people(s, {p for p, _, _, _ in groups})
        lines = task_lines(app, s, {r.task_id for r in pending if r.task_id is not None}, now)
        digests = _digest_tasks(app, s, now) if "digest" in kinds and groups else {}
    try:
        for (person, kind, week, _), rows in groups.items():
            won, message_id = _take(app, [r.id for r in rows], now)
            if not won:
                report.already += 1
                continue
            tasks = _tasks(kind, [r for r in rows if r.id in won], person, lines, digests)
            who = people.get(person)
            if who is None or not tasks:
                _finish(app, won, "dropped", now)
                report.dropped += len(won)
                continue
            letter = _letter(app, kind, who, tasks, week)
            try:
                mailer.send(_message(app, letter, now, message_id))
            except MailRefused as exc:
                _finish(app, won, "refused", now, who.email, str(exc)[:500])
                report.refused.append(who.email)
            except MailUnavailable as exc:
                _finish(app, won, "pending", now)
                report.failed = str(exc)
                break
            else:
                _finish(app, won, "sent", now, who.email)
                report.mails += 1
                report.notifications += len(won)
    finally:
        mailer.close()
    return report


def _tasks(
    kind: str,
    rows: list[Any],
    person: int,
    lines: dict[int, MailTask],
    digests: dict[int, list[MailTask]],
) -> list[MailTask]:
    if kind == "digest":
        return digests.get(person, [])
    found = {r.task_id: lines[r.task_id] for r in rows if r.task_id in lines}
    if kind == "escalated":
        return [replace(t, escalated=True) for t in found.values()]
    return list(found.values())


def _letter(app: App, kind: str, who: Addressee, tasks: list[MailTask], week: str | None) -> Letter:
    shown = tasks[:DIGEST_MAX] if kind == "digest" else tasks
    return Letter(
        kind=kind,
        to_name=who.name,
        to_email=who.email,
        tasks=shown,
        inbox_url=app.settings.base_url.rstrip("/") + "/inbox",
        week=week or "",
        more=len(tasks) - len(shown),
    )


def _message(app: App, letter: Letter, now: datetime, message_id: str) -> EmailMessage:
    settings = app.settings
    msg = compose(letter, sender=settings.smtp_from, stamp=now, primary=settings.lang)
    msg.replace_header("Message-ID", message_id)
    return msg


def message_id_of(app: App, ids: Sequence[int]) -> str:
    """The Message-ID of the mail for these notification rows: the same rows, the same id,
    whichever run sends them (``<notification-12.3f9a0c1d2e4b5a67@sam.example.se>``)."""
    digest = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]
    host = urlsplit(app.settings.base_url).hostname or "localhost"
    return f"<notification-{min(ids)}.{digest}@{host}>"


# --- rows ---------------------------------------------------------------------------------
def insert_ignoring_duplicates(
    s: Session, rows: Sequence[dict[str, Any]], model: type[Base] = Notification
) -> int:
    """Insert, skipping rows whose unique key exists; returns how many went in."""
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    done = 0
    for batch in chunks(list(rows), 500):
        stmt = insert(model).values(list(batch)).on_conflict_do_nothing()
        done += len(s.execute(stmt.returning(literal(1))).all())
    return done


def _take(app: App, ids: list[int], now: datetime) -> tuple[set[int], str]:
    """Take the rows still pending; returns them and the mail's Message-ID (the one they
    had from an earlier take, else a new one made from them)."""
    with app.db.write() as s:
        stmt = (
            update(Notification)
            .where(Notification.id.in_(ids), Notification.status == "pending")
            .values(status="sending", heartbeat_at=now)
            .returning(Notification.id, Notification.message_id)
        )
        taken = s.execute(stmt).all()
        won = {row_id for row_id, _ in taken}
        if not won:
            return won, ""
        known = {mid for _, mid in taken if mid}
        message_id = min(known) if known else message_id_of(app, sorted(won))
        if not known:
            s.execute(
                update(Notification)
                .where(Notification.id.in_(list(won)))
                .values(message_id=message_id)
            )
        return won, message_id


def requeue_stale(app: App) -> int:
    """Put rows left ``sending`` by a notifier that died back to ``pending`` (they keep their
    Message-ID); returns how many. Rows taken before heartbeats existed count as stale."""
    with app.db.write() as s:
        cutoff = app.clock.now() - timedelta(seconds=app.settings.outbox_stale_seconds)
        stale = (Notification.heartbeat_at < cutoff) | Notification.heartbeat_at.is_(None)
        stmt = (
            update(Notification)
            .where(Notification.status == "sending", stale)
            .values(status="pending")
            .returning(Notification.id)
        )
        return len(s.scalars(stmt).all())


def _finish(
    app: App, ids: set[int], status: str, now: datetime, email: str = "", error: str | None = None
) -> None:
    values: dict[str, Any] = {"status": status, "error": error}
    if status != "pending":
        values |= {"sent_at": now if status == "sent" else None, "email": email}
    with app.db.write() as s:
        s.execute(update(Notification).where(Notification.id.in_(list(ids))).values(**values))


# --- what the mails say -------------------------------------------------------------------
def task_lines(app: App, s: Session, task_ids: set[int], now: datetime) -> dict[int, MailTask]:
    """Open tasks as mail lines: title, unit, stage, due date, link."""
    base = app.settings.base_url.rstrip("/")
    today = local_date(now)
    out: dict[int, MailTask] = {}
    for batch in chunks(sorted(task_ids)):
        rows = s.execute(
            select(Task.id, Task.key, Task.due_at, Task.version, Task.escalation_level)
            .add_columns(Cycle.template_id, Cycle.year, Stage.key, OrgUnit.name)
            .join(Cycle, Cycle.id == Task.cycle_id)
            .join(Stage, Stage.id == Task.stage_id)
            .join(OrgUnit, OrgUnit.id == Task.unit_id)
            .where(Task.id.in_(batch), Task.status == TaskStatus.OPEN.value)
        )
        for task_id, key, due_at, version, level, template_id, year, stage_key, unit in rows:
            template = templates.by_id(app, s, template_id)
            title, stage = template.task(key).title, template.stage(stage_key).title
            due = local_date(due_at)
            out[task_id] = MailTask(
                task_id=task_id,
                title_sv=title.sv,
                title_en=title.en,
                stage_sv=stage.sv,
                stage_en=stage.en,
                unit_name=unit,
                year=year,
                due_date=due,
                url=f"{base}/tasks/{task_id}",
                version=version,
                level=level,
                overdue_days=max(0, (today - due).days),
            )
    return out


def _digest_tasks(app: App, s: Session, now: datetime) -> dict[int, list[MailTask]]:
    """Each person's open tasks, earliest due first (escalated ones marked)."""
    holders = open_task_holders(s, local_date(now))
    lines = task_lines(app, s, {t for _, t, _ in holders}, now)
    mine: dict[int, dict[int, MailTask]] = defaultdict(dict)
    for person, task_id, why in holders:
        if task_id in lines and (task_id not in mine[person] or why == "escalated"):
            mine[person][task_id] = replace(lines[task_id], escalated=why == "escalated")
    return {p: sorted(ts.values(), key=lambda t: (t.due_date, t.task_id)) for p, ts in mine.items()}


def open_task_holders(s: Session, day: date) -> list[tuple[int, int, str]]:
    """(person, task, why) for every open task: its assignee, the holders of its role, the
    holders of the address it has been escalated to. One query."""
    open_ = Task.status == TaskStatus.OPEN.value

    def held(role: Any, unit: Any, why: str, *cond: Any) -> Any:
        return (
            select(RoleAssignment.person_id, Task.id, literal(why))
            .join(RoleAssignment, and_(RoleAssignment.role == role, RoleAssignment.unit_id == unit))
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(open_, valid_on(day), Person.active.is_(True), *cond)
        )

    query = union_all(
        select(Task.assignee_id, Task.id, literal("assigned")).where(
            open_, Task.assignee_id.is_not(None)
        ),
        held(Task.role, Task.role_unit_id, "role", Task.assignee_id.is_(None)),
        held(Task.escalation_role, Task.escalation_unit_id, "escalated"),
    )
    return [(int(p), int(t), str(w)) for p, t, w in s.execute(query)]


def _people(s: Session, ids: set[int]) -> dict[int, Addressee]:
    out: dict[int, Addressee] = {}
    for batch in chunks(sorted(ids)):
        rows = s.execute(
            select(Person.id, Person.name, Person.email).where(
                Person.id.in_(batch), Person.active.is_(True)
            )
        )
        out.update({pid: Addressee(name, email) for pid, name, email in rows})
    return out
