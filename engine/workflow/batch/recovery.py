"""Recovering from processes that died mid-way (kill -9, a lost worker, a power cut).

A job whose process died would stay "running 9000/20000" for ever; notifications a killed
notifier had taken would stay ``sending`` and never go out. Whatever runs work writes
heartbeats (``jobs.heartbeat`` and the progress it reports; a notifier when it takes a
mail), and this step, run by the sweep, the notifier and each job runner when it starts,

* fails running jobs whose heartbeat is older than ``SAMFLOW_JOB_STALE_SECONDS``, with a
  reason the person reads ("stopped: the process ended unexpectedly; start it again") and a
  ``job.failed`` audit event in the same transaction; and
* (in the notifier, ``delivery.requeue_stale``, which lives with the mail it requeues) puts
  notifications left ``sending`` longer than ``SAMFLOW_OUTBOX_STALE_SECONDS`` back to
  ``pending``: delivery is at least once, and the mail keeps its Message-ID, so a receiver
  drops the copy if the first one did arrive.

Every update is guarded by the staleness it acts on, so a second recovery at the same time,
or a job that beats again just before, changes nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, update

from engine.context import Actor, App, Tx
from engine.db.models import Job
from engine.workflow.batch.jobs import JOBS_CHAIN, STOPPED


def fail_stale_jobs(app: App) -> list[int]:
    """Fail running jobs without a heartbeat for ``SAMFLOW_JOB_STALE_SECONDS``."""
    actor = Actor.system("recovery")

    def work(tx: Tx) -> list[int]:
        cutoff = tx.now - timedelta(seconds=app.settings.job_stale_seconds)
        last = func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at)
        stale = (
            update(Job)
            .where(Job.status == "running", last < cutoff)
            .values(status="failed", finished_at=tx.now, error=STOPPED[1])
            .returning(Job.id, last)
        )
        failed = sorted(tx.session.execute(stale).all())
        for job_id, beat in failed:
            data = {"result": None, "error": STOPPED[1], "last_heartbeat": beat}
            tx.record(JOBS_CHAIN, "job.failed", "job", job_id, actor, data=data)
        return [job_id for job_id, _ in failed]

    return app.run(work)
