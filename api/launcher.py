"""Who runs long work started from the web app (starting the year, evidence packages, large
organisation and plan imports).

The page creates a job (``engine.workflow.batch.jobs.create``) and hands its id to a launcher; the
launcher has the job done somewhere (``engine.background.run``: the same function for every
runner) and the page polls the job's progress. A launcher is anything with a ``name`` and
``submit(job_id)``; ``SAMFLOW_RUNNER`` picks one by name: ``thread`` (the embedded default)
does the work in this process, ``prefect`` starts a run of a deployment and a Prefect
worker does it, so a restart of the web server loses nothing.
``prefect`` is loaded only when asked for: importing Prefect reconfigures logging (it
silences uvicorn's), so the web app must not import it unless it runs on Prefect.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from engine import background
from engine.context import App
from engine.domain.errors import InvalidInput
from engine.workflow.batch import job_queue, recovery

log = logging.getLogger("samflow.launcher")


class Launcher(Protocol):
    name: str

    def start(self) -> None:
        """When the server starts: recover what a previous process left, start what waits."""
        ...

    def submit(self, job_id: int) -> str | None:
        """Start the job, or leave it queued for its turn (``job_queue``); returns an
        external reference (e.g. a flow run id) when it started, or None."""
        ...


class ThreadLauncher:
    """Runs jobs in daemon threads of the web server (the embedded setup, the demo), as
    many at once as the queue admits (``job_queue``): a submitted job starts now or waits
    its turn; each job that ends, and a watcher while jobs wait, let the next ones in.
    ``start`` (when the server starts) fails jobs a previous process left running
    (``recovery``) and picks up the jobs it left queued."""

    name = "thread"

    def __init__(self, app: App, *, poll: float = 2.0) -> None:
        self.app = app
        self.poll = poll
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        recovery.fail_stale_jobs(self.app)
        self.pump()

    def submit(self, job_id: int) -> str | None:
        self.pump()
        return None

    def pump(self) -> list[int]:
        """Start the queued jobs the limits admit; watch the queue while jobs still wait."""
        with self._lock:
            admitted = job_queue.admit(self.app, self.name)
            for job_id in admitted:
                self._thread(self._run, f"samflow-job-{job_id}", job_id)
            alive = self._watcher is not None and self._watcher.is_alive()
            if not alive and job_queue.waiting(self.app, self.name):
                self._watcher = self._thread(self._watch, "samflow-job-queue")
            return admitted

    def _thread(self, target: Callable[..., None], name: str, *args: int) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread

    def _run(self, job_id: int) -> None:
        try:
            run_job(self.app, job_id)
        except Exception:  # the job row holds the outcome; the thread must just end
            log.exception("job %s failed", job_id)
        finally:
            self._pump_quietly()

    def _watch(self) -> None:
        """Jobs of other runners (a Prefect worker) free places too: look again now and
        then while jobs of ours wait."""
        while True:
            time.sleep(self.poll)
            with self._lock:
                if not job_queue.waiting(self.app, self.name):
                    self._watcher = None
                    return
            self._pump_quietly()

    def _pump_quietly(self) -> None:
        try:
            self.pump()
        except Exception:
            log.exception("starting queued jobs failed")

    def join(self, timeout: float | None = None) -> None:
        """Wait for the jobs started so far, and those they let in (tests, shutdown)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            alive = [t for t in list(self.threads) if t.is_alive()]
            if not alive:
                return
            for thread in alive:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                thread.join(left)
            if deadline is not None and time.monotonic() >= deadline:
                return


def run_job(app: App, job_id: int) -> None:
    """Do a job here, whatever its kind (``engine.background``)."""
    background.run(app, job_id)


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
