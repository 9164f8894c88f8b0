"""Every kind of background job, the function that does it, and where it runs.

A door records a job (``engine.workflow.batch.jobs.create``) and hands its id to a launcher. The
thread launcher of the web app (``api.launcher``) and the Prefect flows (``flows.jobs``,
``flows.annual``) both do the work through ``run`` here, so a job shows the same progress
and result on the same pages whichever runs it. With ``SAMFLOW_RUNNER=prefect``,
``deployment_for`` names the deployment that runs a kind: starting the year has its own
flow (a retried task per batch of units, ``flows.annual``); the others run as one flow run
of ``run-job/jobs`` each (``SAMFLOW_JOBS_DEPLOYMENT``). Never one flow run per unit.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.context import App
from engine.domain.errors import InvalidInput
from engine.evidence import jobs as evidence_jobs
from engine.evidence import layout_job
from engine.plans import import_job as plan_import_job
from engine.settings import Settings
from engine.workflow.batch import jobs
from engine.workflow.batch import org_import as org_import_job


def _start_year(app: App, job_id: int) -> None:
    jobs.run(app, job_id)


def _evidence(app: App, job_id: int) -> None:
    layout_job.run(app, job_id)


def _org_import(app: App, job_id: int) -> None:
    org_import_job.run(app, job_id)


def _plan_import(app: App, job_id: int) -> None:
    plan_import_job.run(app, job_id)


#: Job kind -> the function that does it (records progress and the outcome in the job row).
RUNNERS: dict[str, Callable[[App, int], None]] = {
    "start_year": _start_year,
    evidence_jobs.KIND: _evidence,
    org_import_job.KIND: _org_import,
    plan_import_job.KIND: _plan_import,
}


def run(app: App, job_id: int) -> None:
    """Do a job here, whatever its kind."""
    kind = jobs.get(app, job_id).kind
    runner = RUNNERS.get(kind)
    if runner is None:
        raise InvalidInput.field("kind", f"unknown job kind {kind!r}", f"okänd jobbtyp {kind!r}")
    runner(app, job_id)


def deployment_for(settings: Settings, kind: str) -> str:
    """The Prefect deployment ("flow/deployment") that runs jobs of ``kind``."""
    if kind == "start_year":
        return settings.annual_deployment
    return settings.jobs_deployment
