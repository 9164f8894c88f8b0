"""The queue of background jobs: how many run at once, who waits, and in what order.

Ten evidence packages laid out at once cost +470 MB and 157 s; so at most
``SAMFLOW_JOBS_MAX_RUNNING`` jobs run at once overall and ``..._PER_PERSON`` per person.
A new job is ``queued``; a runner (a launcher in the web app, the Prefect flow that just
finished) calls ``admit`` to move the oldest queued jobs it can run to ``running``, as far
as the limits allow, and starts exactly those. A person may have at most
``SAMFLOW_JOBS_MAX_QUEUED_PER_PERSON`` jobs waiting: one more is refused (429) before
anything is recorded.

Admission is one short transaction under the queue's lock (SQLite's write lock; an advisory
transaction lock on PostgreSQL), so two runners at once never admit past the limits.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db.models import Job
from engine.domain.errors import TooManyJobs

QUEUE_LOCK = 0x5A_4D_4A_51  # pg_advisory_xact_lock key of the job queue ("ZMJQ")


def lock(s: Session) -> None:
    """Serialise queue decisions. SQLite writers already hold the database's write lock."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": QUEUE_LOCK})


def make_room(tx: Tx, actor: Actor, cap: int) -> None:
    """Refuse a new job from a person who already has ``cap`` jobs waiting."""
    lock(tx.session)
    if actor.person_id is None:
        return
    waiting = tx.session.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.status == "queued", Job.created_by == actor.person_id)
    )
    if (waiting or 0) >= cap:
        raise TooManyJobs(cap)


def admit(app: App, runner: str) -> list[int]:
    """Move the oldest queued jobs of ``runner`` to running, as far as the limits allow;
    returns their ids (the caller starts them). Jobs of other runners keep their place but
    do not hold this one up: each runner admits its own."""
    limits = app.settings

    def work(tx: Tx) -> list[int]:
        s = tx.session
        lock(s)
        running = Counter(s.scalars(select(Job.created_by).where(Job.status == "running")))
        total = sum(running.values())
        queued = s.execute(
            select(Job.id, Job.created_by)
            .where(Job.status == "queued", Job.runner == runner)
            .order_by(Job.id)
        ).all()
        chosen: list[int] = []
        for job_id, person in queued:
            if total >= limits.jobs_max_running:
                break
            if person is not None and running[person] >= limits.jobs_max_running_per_person:
                continue
            chosen.append(job_id)
            running[person] += 1
            total += 1
        if chosen:
            s.execute(
                update(Job)
                .where(Job.id.in_(chosen), Job.status == "queued")
                .values(status="running", started_at=tx.now, heartbeat_at=tx.now)
            )
            for job_id in chosen:
                tx.record("jobs", "job.started", "job", job_id, Actor.system("job-queue"))
        return chosen

    return app.run(work)


def waiting(app: App, runner: str) -> int:
    """How many jobs of ``runner`` wait for a place."""
    with app.read() as s:
        count = s.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.status == "queued", Job.runner == runner)
        )
        return int(count or 0)


def position(s: Session, job: Job) -> int:
    """A queued job's place in the queue: 1 + the queued jobs older than it."""
    ahead = s.scalar(
        select(func.count()).select_from(Job).where(Job.status == "queued", Job.id < job.id)
    )
    return int(ahead or 0) + 1


def put_back(app: App, job_id: int, reason: str) -> None:
    """A runner admitted the job but could not start it (the Prefect server did not take
    the flow run): back to ``queued`` in its old place, so the next ``admit`` (the sweep,
    the next job to end) starts it; a ``job.requeued`` audit event says why."""

    def work(tx: Tx) -> None:
        lock(tx.session)
        moved = tx.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running")
            .values(status="queued", started_at=None, heartbeat_at=None)
        )
        if getattr(moved, "rowcount", 0):
            tx.record(
                "jobs",
                "job.requeued",
                "job",
                job_id,
                Actor.system("job-queue"),
                data={"reason": reason[:500]},
            )

    app.run(work)
