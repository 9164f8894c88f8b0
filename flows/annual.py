"""Starting the year as a Prefect flow: plan once, then one retried task per batch.

A batch is a few hundred units started in one transaction (``cycles.start_batch``), never
one task run per unit: Prefect costs ~10-20 ms per task run, the engine well under that per
unit. ``start_batch`` skips units already running, so a retried batch (or a second run of
the whole flow) starts nothing twice. A batch that still fails after its retries is reported
and the others go on; the flow then fails, naming it, and running it again finishes the job.
Refusals (not permitted, bad input) are not retried: they would only fail again.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from engine import background
from engine.context import Actor, App
from engine.domain.errors import ConcurrentChange, SamflowError
from engine.workflow import cycles
from engine.workflow.batch import job_queue, jobs
from flows import runtime
from flows.work import BATCH, Progress, Request, request_for, start_in_batches

PROGRESS_SECONDS = 2.0


def _retry_unless_refused(_task: Any, _run: Any, state: Any) -> bool:
    exc = state.result(raise_on_failure=False)
    return not (isinstance(exc, SamflowError) and not isinstance(exc, ConcurrentChange))


@task(name="start-batch", cache_policy=NONE, task_run_name="batch-{number}")
def start_batch(
    number: int, year: int, template_text: str, unit_ids: list[int], actor: Actor
) -> cycles.BatchResult:
    rt = runtime.current()
    if rt.before_batch is not None:
        rt.before_batch(number, unit_ids)
    result = cycles.start_batch(rt.app, actor, year, template_text, unit_ids)
    if rt.after_batch is not None:
        rt.after_batch(number, unit_ids)
    return result


def job_stopped(flow: Any, flow_run: Any, state: Any) -> None:
    """A crashed or cancelled run (the worker lost, someone pressed cancel) must not leave
    its job "running" for ever: the page would wait on it."""
    job_id = (flow_run.parameters or {}).get("job_id")
    if job_id is not None:
        reason = f"the flow run was {state.name.lower()}: {state.message or ''}".strip(": ")
        jobs.fail(runtime.current().app, int(job_id), reason)


@flow(name="start-annual-cycles", on_crashed=[job_stopped], on_cancellation=[job_stopped])
def start_annual_cycles(
    year: int | None = None,
    template: str | None = None,
    root: str | None = None,
    job_id: int | None = None,
    batch_size: int = BATCH,
) -> dict[str, Any]:
    """Start the SAM year for every unit (or a subtree): idempotent, in retried batches.
    With ``job_id`` (the web app's start button) the job row shows progress and result."""
    rt = runtime.current()
    app, log = rt.app, get_run_logger()
    req = request_for(app, year, template, root, job_id)
    if job_id is not None and flow_run.id:
        jobs.set_external_ref(app, job_id, str(flow_run.id))
    batch = start_batch.with_options(
        retries=len(rt.retry_delays),
        retry_delay_seconds=rt.retry_delays,
        retry_condition_fn=_retry_unless_refused,
    )

    def run_batch(number: int, text: str, units: list[int]) -> cycles.BatchResult:
        return batch(number, req.year, text, units, req.actor)

    beating: AbstractContextManager[None] = (
        jobs.heartbeat(app, job_id) if job_id is not None else nullcontext()
    )
    try:
        with beating:
            outcome = start_in_batches(
                app, req, batch_size=batch_size, run_batch=run_batch, progress=_progress(app, req)
            )
    except Exception as exc:
        if job_id is not None:
            jobs.fail(app, job_id, _text(exc))
            submit_waiting(app)
        raise
    summary = outcome.summary()
    create_markdown_artifact(_markdown(summary), description="Starting the year")
    log.info(
        "year %s: %s started, %s already running, %s gaps, %s of %s batches failed",
        req.year,
        summary["started"],
        summary["already_running"],
        len(summary["gaps"]),
        len(outcome.failed),
        outcome.batches,
    )
    if outcome.failed:
        if job_id is not None:
            jobs.fail(app, job_id, f"{len(outcome.failed)} batch(es) failed", _job_result(summary))
            submit_waiting(app)
        raise RuntimeError(f"batches failed (run the flow again to finish): {outcome.failed}")
    if job_id is not None:
        jobs.finish(app, job_id, _job_result(summary))
        submit_waiting(app)
    return summary


def submit_waiting(app: App) -> list[int]:
    """A job's place came free: run the next queued ``prefect`` jobs the limits admit
    (``job_queue``), each as a run of its kind's deployment (``background.deployment_for``).
    The web app's launcher does the same when a job is asked for; the sweep flow does it
    too, in case a run died first."""
    from prefect.deployments import run_deployment

    admitted = job_queue.admit(app, "prefect")
    for job_id in admitted:
        run = run_deployment(  # type: ignore[call-arg]  # _sync: the sync path
            background.deployment_for(app.settings, jobs.get(app, job_id).kind),
            parameters={"job_id": job_id},
            timeout=0,
            as_subflow=False,
            _sync=True,
        )
        jobs.set_external_ref(app, job_id, str(getattr(run, "id", "")))
    return admitted


def _progress(app: App, req: Request, every: float = PROGRESS_SECONDS) -> Progress:
    """Progress to the Prefect UI (an artifact and a log line) and, for a job, its row; at
    most every few seconds, since each is a round trip the batches would wait for."""
    log = get_run_logger()
    artifact: list[Any] = []
    last = [-every]
    job_sink = jobs.progress_sink(app, req.job_id, every) if req.job_id is not None else None

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] < every and 0 < done < total:
            return
        last[0] = now
        percent = 100.0 * done / total if total else 100.0
        if not artifact:
            artifact.append(create_progress_artifact(percent, description="Units started"))
        else:
            update_progress_artifact(artifact[0], percent)
        log.info("%s/%s units handled", done, total)
        if job_sink is not None:
            job_sink(done, total, "starting")

    return report


def _job_result(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k != "cycle_ids"}


def _text(exc: BaseException) -> str:
    if isinstance(exc, SamflowError):
        return exc.message("en")
    return f"{type(exc).__name__}: {exc}"


def _markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"# Year {summary['year']} ({summary['template']})",
        "",
        f"* started: {summary['started']}",
        f"* already running: {summary['already_running']}",
        f"* batches: {summary['batches']}, failed: {len(summary['failed_batches'])}",
    ]
    if summary["gaps"]:
        lines += ["", "## Units that could not start", "", "| unit | missing |", "|---|---|"]
        lines += [
            f"| {g['code']} {g['name']} | {', '.join(g['missing'])} |" for g in summary["gaps"]
        ]
    return "\n".join(lines)
