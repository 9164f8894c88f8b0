"""Background jobs: long work a person starts and watches (starting the year).

The job row carries progress and the outcome. Whatever runs the work — a thread in the
embedded setup, a Prefect flow run in production — calls ``run`` with the job id; the
person's page reads ``get``. Progress updates are small transactions of their own, throttled,
so they never hold the work's locks.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from engine.context import Actor, App, Tx
from engine.db.models import Job
from engine.domain.errors import InvalidInput, NotFound, SamflowError
from engine.workflow import cycles

log = logging.getLogger("samflow.jobs")

JOBS_CHAIN = "jobs"
#: ``start_year`` runs here (``run``); the others through ``begin`` / ``finish`` / ``fail``:
#: ``evidence`` is laid out by ``engine.evidence.layout_job``, ``org_import`` is a large
#: organisation import (``org_import``), ``plan_import`` a large plan import
#: (``engine.plans.import_job``). ``engine.background`` maps each kind to its function.
KINDS = ("start_year", "evidence", "org_import", "plan_import")
#: What a job whose process died says (``recovery.fail_stale_jobs``), in both languages.
STOPPED = (
    "avbröts: processen upphörde oväntat; starta det igen",
    "stopped: the process ended unexpectedly; start it again",
)


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    params: dict[str, Any]
    status: str
    done: int
    total: int
    message: str
    result: dict[str, Any] | None
    error: str | None
    runner: str
    external_ref: str | None
    created_by: int | None
    created_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime | None = None
    #: For a queued job: its place in the queue (1 = next to start).
    position: int | None = None

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def reason(self, lang: str) -> str | None:
        """Why it failed, in the person's language when the engine wrote the reason."""
        if self.error == STOPPED[1]:
            return STOPPED[0] if lang == "sv" else STOPPED[1]
        return self.error


def create(app: App, actor: Actor, kind: str, params: dict[str, Any], runner: str) -> int:
    """Record that someone asked for long work; the runner picks it up by id."""
    if kind not in KINDS:
        raise InvalidInput.field("kind", f"unknown job kind {kind!r}", f"okänd jobbtyp {kind!r}")

    def work(tx: Tx) -> int:
        from engine.workflow.batch import job_queue

        job_queue.make_room(tx, actor, app.settings.jobs_max_queued_per_person)
        job = Job(
            kind=kind,
            params=json.dumps(params),
            status="queued",
            done=0,
            total=0,
            message="",
            runner=runner,
            created_by=actor.person_id,
            created_at=tx.now,
        )
        tx.session.add(job)
        tx.session.flush()
        tx.record(
            JOBS_CHAIN,
            "job.requested",
            "job",
            job.id,
            actor,
            data={"kind": kind, "params": params, "runner": runner},
        )
        return job.id

    return app.run(work)


def set_external_ref(app: App, job_id: int, ref: str) -> None:
    with app.db.write() as s:
        s.execute(update(Job).where(Job.id == job_id).values(external_ref=ref))


def get(app: App, job_id: int) -> JobView:
    from engine.workflow.batch import job_queue

    with app.read() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFound("job", job_id)
        position = job_queue.position(s, job) if job.status == "queued" else None
        return _view(job, position)


def recent(app: App, kind: str, limit: int = 10) -> list[JobView]:
    with app.read() as s:
        return [
            _view(j)
            for j in s.scalars(
                select(Job).where(Job.kind == kind).order_by(Job.id.desc()).limit(limit)
            )
        ]


def _view(j: Job, position: int | None = None) -> JobView:
    return JobView(
        j.id,
        j.kind,
        json.loads(j.params),
        j.status,
        j.done,
        j.total,
        j.message,
        json.loads(j.result) if j.result else None,
        j.error,
        j.runner,
        j.external_ref,
        j.created_by,
        j.created_at,
        j.finished_at,
        j.heartbeat_at,
        position,
    )


def _update(app: App, job_id: int, **values: Any) -> None:
    with app.db.write() as s:
        s.execute(update(Job).where(Job.id == job_id).values(**values))


def progress_sink(app: App, job_id: int, every: float = 0.5) -> Callable[[int, int, str], None]:
    last = [0.0]

    def report(done: int, total: int, what: str) -> None:
        now = time.perf_counter()
        if now - last[0] >= every or (total and done >= total):
            last[0] = now
            beat = app.clock.now()
            _update(app, job_id, done=done, total=total, message=what, heartbeat_at=beat)

    return report


@contextmanager
def heartbeat(app: App, job_id: int, every: float | None = None) -> Iterator[None]:
    """While the block runs, a daemon thread writes the job's heartbeat every ``every``
    seconds (``SAMFLOW_JOB_HEARTBEAT_SECONDS``): one small UPDATE, in its own transaction,
    so a long step without progress (laying out one PDF part) still shows the process lives.
    When the process dies the beats stop, and ``recovery`` fails the job."""
    interval = float(every if every is not None else app.settings.job_heartbeat_seconds)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                with app.db.write() as s:
                    s.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.status == "running")
                        .values(heartbeat_at=app.clock.now())
                    )
            except Exception:  # a missed beat is not the work's failure; the next may pass
                log.warning("heartbeat of job %s failed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"samflow-heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run(app: App, job_id: int, *, batch_size: int = cycles.BATCH) -> JobView:
    """Do the job's work, recording progress and the outcome. Safe to run again: the work
    itself is idempotent, so a retried job starts only what is still missing."""
    job = get(app, job_id)
    if job.kind != "start_year":
        raise InvalidInput.field(
            "kind", f"{job.kind} jobs run elsewhere", f"{job.kind}-jobb körs på annat sätt"
        )
    _running(app, job_id)
    try:
        actor = _actor(app, job.created_by)
        with heartbeat(app, job_id):
            result = _start_year(app, actor, job.params, progress_sink(app, job_id), batch_size)
    except SamflowError as exc:
        _finish(app, job_id, "failed", error=exc.message("en"))
        raise
    except Exception as exc:
        _finish(app, job_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    _finish(app, job_id, "done", result=result)
    return get(app, job_id)


def _actor(app: App, person_id: int | None) -> Actor:
    if person_id is None:
        return Actor.system("job")
    from engine.workflow.tasks import person_of

    person = person_of(app, person_id)
    if person is None:
        raise NotFound("person", person_id)
    return Actor(person.id, person.email)


def _start_year(
    app: App,
    actor: Actor,
    params: dict[str, Any],
    progress: Callable[[int, int, str], None],
    batch_size: int,
) -> dict[str, Any]:
    report = cycles.start_cycles(
        app,
        actor,
        int(params["year"]),
        params.get("template"),
        params.get("root"),
        progress=progress,
        batch_size=batch_size,
    )
    return summary(report)


def summary(report: cycles.StartReport) -> dict[str, Any]:
    """A start report as the job's result (JSON)."""
    return {
        "year": report.year,
        "template": report.template_key,
        "started": len(report.started),
        "already_running": report.already_running,
        "gaps": [
            {"unit_id": g.unit_id, "code": g.code, "name": g.name, "missing": list(g.missing)}
            for g in report.gaps
        ],
        "unallocated": [
            {"code": u.code, "name": u.name, "managers": list(u.managers), "held_back": u.held_back}
            for u in report.unallocated
        ],
    }


# --- for runners that do the work themselves (a Prefect flow run in production) -----------
def begin(app: App, job_id: int) -> tuple[JobView, Actor]:
    """Mark the job running; returns it and whom the work acts for (who asked for it)."""
    job = get(app, job_id)
    actor = _actor(app, job.created_by)
    _running(app, job_id)
    return get(app, job_id), actor


def _running(app: App, job_id: int) -> None:
    now = app.clock.now()
    _update(app, job_id, status="running", started_at=now, heartbeat_at=now, error=None)


def finish(app: App, job_id: int, result: dict[str, Any]) -> JobView:
    _finish(app, job_id, "done", result=result)
    return get(app, job_id)


def fail(app: App, job_id: int, error: str, result: dict[str, Any] | None = None) -> JobView:
    """Record a failure (with what was done before it, when known)."""
    _finish(app, job_id, "failed", result=result, error=error)
    return get(app, job_id)


def _finish(
    app: App,
    job_id: int,
    status: str,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    def work(tx: Tx) -> None:
        job = tx.session.get(Job, job_id)
        assert job is not None
        job.status, job.finished_at, job.error = status, tx.now, error
        job.result = json.dumps(result) if result is not None else None
        if status == "done":
            job.done = job.total
        tx.record(
            JOBS_CHAIN,
            f"job.{status}",
            "job",
            job_id,
            Actor.system("job"),
            data={"result": result, "error": error},
        )

    app.run(work)
