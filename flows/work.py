"""The work behind the flows, as plain functions: no Prefect here.

The Prefect flows (``flows.annual``, ``flows.sweep``) wrap these in tasks; tests call them
directly; ``samflow flows run --direct`` runs them without Prefect (a systemd timer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.audit import checkpoint as audit_checkpoint
from engine.context import Actor, App
from engine.db.audit_store import chunks
from engine.domain.clock import local_date
from engine.domain.errors import ConcurrentChange, SamflowError
from engine.notify import notices as notify
from engine.workflow import cycles, sweeps
from engine.workflow.batch import jobs
from flows.runtime import Runtime

BATCH = 300


# --- starting the year -------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    year: int
    template: str | None
    root: str | None
    actor: Actor
    job_id: int | None = None


@dataclass
class Outcome:
    report: cycles.StartReport
    batches: int = 0
    #: Units a batch found running although the plan had them to start: an earlier attempt
    #: of that batch committed them and then failed (a worker lost after its commit), or a
    #: run alongside this one started them.
    recovered: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # batch number, error

    def summary(self) -> dict[str, Any]:
        out = jobs.summary(self.report)
        out["started"] += self.recovered
        return out | {
            "cycle_ids": list(self.report.started),
            "batches": self.batches,
            "failed_batches": [{"batch": n, "error": e} for n, e in self.failed],
        }


RunBatch = Callable[[int, str, list[int]], cycles.BatchResult]
Progress = Callable[[int, int], None]


def request_for(
    app: App, year: int | None, template: str | None, root: str | None, job_id: int | None
) -> Request:
    """What to start and for whom: the job's parameters when a person asked (the web app
    passes only the job id), else the flow's own (a schedule acts as the system)."""
    if job_id is not None:
        job, actor = jobs.begin(app, job_id)
        p = job.params
        return Request(int(p["year"]), p.get("template"), p.get("root"), actor, job_id)
    chosen = year if year is not None else local_date(app.clock.now()).year
    return Request(chosen, template, root, Actor.system("annual-start"))


def start_in_batches(
    app: App, req: Request, *, batch_size: int, run_batch: RunBatch, progress: Progress
) -> Outcome:
    plan = cycles.plan_start(app, req.year, req.template, req.root)
    report = cycles.StartReport(
        plan.year,
        plan.template_key,
        already_running=len(plan.already),
        gaps=list(plan.gaps),
        unallocated=list(plan.unallocated),
    )
    outcome = Outcome(report)
    total, done = len(plan.to_start), 0
    progress(0, total)
    for number, units in enumerate(chunks(plan.to_start, batch_size), start=1):
        outcome.batches += 1
        try:
            result = run_batch(number, plan.template_text, list(units))
        except SamflowError as exc:
            if not isinstance(exc, ConcurrentChange):
                raise  # a refusal: every batch would fail the same way
            outcome.failed.append((number, f"{type(exc).__name__}: {exc}"))
        except Exception as exc:
            outcome.failed.append((number, f"{type(exc).__name__}: {exc}"))
        else:
            report.started += result.started
            outcome.recovered += result.already
            report.gaps += result.gaps
        done += len(units)
        progress(done, total)
    return outcome


# --- sweep and mail ----------------------------------------------------------------------
class MailFailed(RuntimeError):
    """The mail server could not take the mails; what was not sent goes next run."""


def sweep_once(rt: Runtime, batch: int = sweeps.BATCH) -> dict[str, int]:
    r = sweeps.sweep(rt.app, batch=batch)
    return {
        "checked": r.checked,
        "reminded": r.reminded,
        "escalated": r.escalated,
        "jobs_failed": len(r.jobs_failed),
    }


def checkpoint_once(rt: Runtime) -> dict[str, Any]:
    return audit_checkpoint.on_schedule(rt.app)


def notify_once(rt: Runtime) -> dict[str, Any]:
    mailer = rt.mailer()
    if mailer is None:
        return {"disabled": "no SMTP host (SAMFLOW_SMTP_HOST)"}
    report = notify.send_pending(rt.app, mailer)
    if report.failed:
        raise MailFailed(report.failed)
    return report.summary()


def digest_once(rt: Runtime, week: str | None = None) -> dict[str, Any]:
    mailer = rt.mailer()
    if mailer is None:
        return {"disabled": "no SMTP host (SAMFLOW_SMTP_HOST)"}
    report = notify.send_digest(rt.app, mailer, week=week)
    if report.failed:
        raise MailFailed(report.failed)
    return report.summary()
