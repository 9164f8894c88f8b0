"""Who runs long work started from the web app (starting the year for 3,000 units).

The page creates a job (``engine.services.jobs.create``) and hands its id to a launcher; the
launcher runs ``jobs.run`` somewhere and the page polls the job's progress. A launcher is
anything with a ``name`` and ``submit(job_id)``; ``SAMFLOW_RUNNER`` picks one by name.
``prefect`` is loaded only when asked for: importing Prefect reconfigures logging (it
silences uvicorn's), so the web app must not import it unless it runs on Prefect.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from typing import Protocol

from api import evidence_job
from engine.domain.errors import InvalidInput
from engine.services import evidence_jobs, jobs
from engine.services.context import App

log = logging.getLogger("samflow.launcher")


class Launcher(Protocol):
    name: str

    def submit(self, job_id: int) -> str | None:
        """Start the job; returns an external reference (e.g. a flow run id) or None."""
        ...


class ThreadLauncher:
    """Runs the job in a daemon thread of the web server (the embedded setup, the demo)."""

    name = "thread"

    def __init__(self, app: App) -> None:
        self.app = app
        self.threads: list[threading.Thread] = []

    def submit(self, job_id: int) -> str | None:
        thread = threading.Thread(
            target=self._run, args=(job_id,), name=f"samflow-job-{job_id}", daemon=True
        )
        self.threads.append(thread)
        thread.start()
        return None

    def _run(self, job_id: int) -> None:
        try:
            run_job(self.app, job_id)
        except Exception:  # the job row holds the outcome; the thread must just end
            log.exception("job %s failed", job_id)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the jobs started so far (tests, shutdown)."""
        for thread in list(self.threads):
            thread.join(timeout)


def run_job(app: App, job_id: int) -> None:
    """Do a job here, whatever its kind: an evidence package is laid out by this door (it
    renders documents), everything else by ``jobs.run``."""
    if jobs.get(app, job_id).kind == evidence_jobs.KIND:
        evidence_job.run(app, job_id)
    else:
        jobs.run(app, job_id)


def _prefect(app: App) -> Launcher:
    try:
        module = importlib.import_module("api.prefect_launcher")
    except ModuleNotFoundError as exc:
        raise InvalidInput.field(
            "SAMFLOW_RUNNER",
            f"the prefect runner is not available here ({exc.name} is missing)",
            f"köraren prefect finns inte här ({exc.name} saknas)",
        ) from None
    launcher: Launcher = module.PrefectLauncher(app)
    return launcher


#: Runner name -> how to build its launcher. Add a line here for a new runner.
LAUNCHERS: dict[str, Callable[[App], Launcher]] = {
    "thread": ThreadLauncher,
    "prefect": _prefect,
}


def launcher_for(app: App, name: str | None = None) -> Launcher:
    runner = (name or app.settings.runner).strip().lower()
    factory = LAUNCHERS.get(runner)
    if factory is None:
        raise InvalidInput.field(
            "SAMFLOW_RUNNER",
            f"unknown runner {runner!r} (known: {', '.join(sorted(LAUNCHERS))})",
            f"okänd körare {runner!r} (kända: {', '.join(sorted(LAUNCHERS))})",
        )
    return factory(app)
