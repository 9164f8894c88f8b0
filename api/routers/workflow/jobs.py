"""API: start the annual cycle as a background job, and follow its progress."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.launcher import Launcher
from api.schemas import reply
from api.schemas.cycles import JobOut, StartPreviewOut, StartYearIn
from engine.context import Actor, App
from engine.views import detail as views
from engine.workflow import yearstart
from engine.workflow.batch import jobs

router = APIRouter(tags=["jobs"])


@router.post("/jobs/start-year", response_model=JobOut, status_code=202)
def start_year(body: StartYearIn, request: Request, user: ApiUser, engine: Engine) -> Response:
    """Start the year for the organisation (or one unit's subtree); poll the job."""
    job_id = launch(request, engine, user.actor, body.year, body.template, body.root)
    return reply(JobOut.model_validate(views.job(engine, user.actor, job_id)), 202)


@router.post("/jobs/start-year/dry-run", response_model=StartPreviewOut)
def start_year_dry_run(body: StartYearIn, user: ApiUser, engine: Engine) -> Response:
    """What starting the year would do, nothing started: the units that would start, those
    held back (with the roles they lack), those that already have a cycle. The same checks
    and rights as starting it."""
    shown = yearstart.preview_start(engine, user.actor, body.year, body.template, body.root)
    return reply(StartPreviewOut.model_validate(shown))


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: Id, user: ApiUser, engine: Engine) -> Response:
    return reply(JobOut.model_validate(views.job(engine, user.actor, job_id)))


def launch(
    request: Request,
    engine: App,
    actor: Actor,
    year: int,
    template: str | None,
    root: str | None,
) -> int:
    """Record the job, hand it to the launcher, remember the launcher's reference."""
    launcher: Launcher = request.app.state.launcher
    yearstart.check_request(engine, actor, year, template, root)  # (a case process refused)
    job_id = yearstart.request_start(engine, actor, year, template, root, launcher.name)
    ref = launcher.submit(job_id)
    if ref:
        jobs.set_external_ref(engine, job_id, ref)
    return job_id
