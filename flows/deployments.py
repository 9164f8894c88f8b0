"""The deployments and their schedules, for ``samflow flows serve`` (Prefect's ``serve()``).

Production declares the same four in ``deploy/prefect.yaml`` for a process work pool;
the names here and there must agree (``tests/flows/test_deploy_files.py`` checks it), since
the web app starts the year by name (``start-annual-cycles/annual``) and every other
background job too (``run-job/jobs``: evidence packages, large imports).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect.schedules import Cron, Interval
from prefect.types.entrypoint import EntrypointType

from engine.settings import Settings
from flows.annual import start_annual_cycles
from flows.jobs import run_job
from flows.sweep import sweep, weekly_digest

TIMEZONE = "Europe/Stockholm"
ANNUAL, SWEEP, DIGEST, JOBS = "annual", "sweep", "digest", "jobs"


def deployments(settings: Settings) -> list[Any]:
    """Flows are loaded by module path in the run's subprocess: samflow is installed, so
    nothing has to be copied or pulled."""
    by_module = EntrypointType.MODULE_PATH
    annual = [Cron(settings.annual_cron, timezone=TIMEZONE)] if settings.annual_cron else []
    return [
        start_annual_cycles.to_deployment(
            ANNUAL,
            schedules=annual,
            description="Start the SAM year for every unit (also started by HR in the web app).",
            entrypoint_type=by_module,
        ),
        run_job.to_deployment(
            JOBS,
            description="One background job a person asked for in the web app (an evidence "
            "package, a large organisation or plan import), by its id.",
            entrypoint_type=by_module,
        ),
        sweep.to_deployment(
            SWEEP,
            schedules=[Interval(timedelta(minutes=settings.sweep_minutes), timezone=TIMEZONE)],
            description="Reminders and escalations, then the e-mails about them.",
            entrypoint_type=by_module,
        ),
        weekly_digest.to_deployment(
            DIGEST,
            schedules=[Cron(settings.digest_cron, timezone=TIMEZONE)],
            description="Each person's open tasks in one mail, once a week.",
            entrypoint_type=by_module,
        ),
    ]


def serve(settings: Settings) -> None:
    from prefect import serve as prefect_serve

    prefect_serve(*deployments(settings))
