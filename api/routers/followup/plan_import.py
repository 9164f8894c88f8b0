"""API: importing an existing action plan (last year's spreadsheet, CSV or XLSX) into a
cycle; a dry run checks the file and shows what it holds without changing anything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.downloads import read_upload
from api.launcher import Launcher
from api.middleware.form_checks import MULTIPART
from api.schemas import reply
from api.schemas.cycles import JobOut
from api.schemas.docs import PlanImportOut
from engine.plans import import_job as plan_import_job
from engine.plans import importer as plan_import
from engine.views import detail as views

router = APIRouter(tags=["cycles"])


@router.post(
    "/cycles/{cycle_id}/plan-import",
    response_model=PlanImportOut,
    responses={202: {"model": JobOut, "description": "A large plan, queued as a job"}},
    dependencies=MULTIPART,
)
def import_plan(
    cycle_id: Id,
    file: Annotated[UploadFile, File(description="The plan, .csv or .xlsx, one measure a row")],
    request: Request,
    user: ApiUser,
    engine: Engine,
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """Every bad cell answers 422, each as ``file:line: column`` in ``errors[].path`` (and
    ``line``, ``column``), and nothing is imported. Until the plan goes to approval. A file
    of more than ``SAMFLOW_PLAN_IMPORT_JOB_ROWS`` rows is checked at once (the same 422s)
    and then imported by a background job: 202, follow ``GET /api/jobs/{id}``."""
    views.see_cycle(engine, user.actor, cycle_id)  # 404 for a cycle you cannot see
    name, content = read_upload(file, engine.settings.max_upload_bytes)
    if not dry_run and plan_import_job.needs_job(engine, content):
        launcher: Launcher = request.app.state.launcher
        job_id = plan_import_job.request(engine, user.actor, cycle_id, name, content, launcher.name)
        launcher.submit(job_id)
        return reply(JobOut.model_validate(views.job(engine, user.actor, job_id)), 202)
    r = plan_import.import_plan(engine, user.actor, cycle_id, name, content, dry_run=dry_run)
    return reply(PlanImportOut.model_validate(r))
