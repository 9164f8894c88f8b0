"""Starting background jobs through Prefect (``SAMFLOW_RUNNER=prefect``).

The web app records the job (``jobs.create``) and hands its id to a launcher. This one asks
the Prefect server to run the job's deployment with that id (``engine.background.
deployment_for``: ``start-annual-cycles/annual`` for the year's start, ``run-job/jobs`` for
evidence packages and large imports) and returns at once (``timeout=0``, ~0.2 s): a worker
(or ``samflow flows serve``) picks the run up, and the flow writes progress and the result
to the job row the page reads. The app never runs a flow itself (a sync flow in a request
would block it for the whole run), so restarting the web server loses no job.

Prefect is imported only when a job is submitted. Its logging config then takes over
uvicorn's loggers, silencing the app's access log, so ``PREFECT_LOGGING_SETTINGS_PATH``
points at a copy that leaves them alone (``prefect_logging.yaml``) unless set already.
"""

from __future__ import annotations

import os
from collections.abc import Coroutine
from pathlib import Path

from engine import background
from engine.context import App
from engine.domain.errors import NotReady
from engine.settings import Settings
from engine.workflow.batch import job_queue, jobs

DEFAULT_DEPLOYMENT = "start-annual-cycles/annual"
LOGGING = Path(__file__).with_name("prefect_logging.yaml")


def keep_uvicorn_logs() -> None:
    """Before Prefect is first imported: its logging config must leave uvicorn's alone."""
    os.environ.setdefault("PREFECT_LOGGING_SETTINGS_PATH", str(LOGGING))


class PrefectLauncher:
    name = "prefect"

    def __init__(self, app: App | None = None, *, deployment: str | None = None) -> None:
        """The deployments come from ``SAMFLOW_ANNUAL_DEPLOYMENT`` and
        ``SAMFLOW_JOBS_DEPLOYMENT`` (the app's settings); ``deployment`` overrides both."""
        self.app = app
        self.deployment = deployment

    def start(self) -> None:
        """Nothing runs here: the sweep flow recovers stale jobs and submits waiting ones."""

    def submit(self, job_id: int) -> str | None:
        """Create flow runs for the queued jobs the limits admit (``job_queue``), this one
        among them if its turn has come; returns its flow run id then, else None (it waits;
        the run that frees a place, or the sweep flow, submits it)."""
        if self.app is None:
            return run_job_deployment(self.deployment or DEFAULT_DEPLOYMENT, job_id)
        refs, unreachable = {}, None
        for admitted in job_queue.admit(self.app, self.name):
            try:
                refs[admitted] = self._run(self.app, admitted)
            except Exception as exc:  # the server is down or the deployment is missing
                unreachable = f"{type(exc).__name__}: {exc}"
                job_queue.put_back(self.app, admitted, unreachable)
                continue
            jobs.set_external_ref(self.app, admitted, refs[admitted])
        if job_id not in refs and unreachable is not None:
            raise NotReady(
                f"the job is recorded and waits: Prefect did not take its flow run "
                f"({unreachable[:200]}); it starts when Prefect answers (the next sweep)",
                f"jobbet är registrerat och väntar: Prefect tog inte emot körningen "
                f"({unreachable[:200]}); det startar när Prefect svarar (nästa svepning)",
            )
        return refs.get(job_id)

    def _run(self, app: App, job_id: int) -> str:
        kind = jobs.get(app, job_id).kind
        return run_job_deployment(self.deployment or deployment_for(app.settings, kind), job_id)


def deployment_for(settings: Settings, kind: str) -> str:
    return background.deployment_for(settings, kind)


def run_job_deployment(deployment: str, job_id: int) -> str:
    """Create a run of ``deployment`` for the job and return its id without waiting."""
    keep_uvicorn_logs()
    from prefect.deployments import run_deployment

    run = run_deployment(  # type: ignore[call-arg]  # _sync: the sync path, even in async code
        deployment,
        parameters={"job_id": job_id},
        timeout=0,
        as_subflow=False,
        _sync=True,
    )
    if isinstance(run, Coroutine):  # not with _sync=True; keeps the types honest
        run.close()
        raise TypeError("run_deployment returned a coroutine")
    return str(run.id)
