"""API: importing an existing action plan (last year's spreadsheet, CSV or XLSX) into a
cycle; a dry run checks the file and shows what it holds without changing anything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.downloads import read_upload
from api.schemas import reply
from api.schemas.docs import PlanImportOut
from engine.plans import importer as plan_import
from engine.views import detail as views

router = APIRouter(tags=["cycles"])


@router.post("/cycles/{cycle_id}/plan-import", response_model=PlanImportOut)
def import_plan(
    cycle_id: Id,
    file: Annotated[UploadFile, File(description="The plan, .csv or .xlsx, one measure a row")],
    user: ApiUser,
    engine: Engine,
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """Every bad cell answers 422, each as ``file:line: column`` in ``errors[].path`` (and
    ``line``, ``column``), and nothing is imported. Until the plan goes to approval."""
    views.see_cycle(engine, user.actor, cycle_id)  # 404 for a cycle you cannot see
    name, content = read_upload(file, engine.settings.max_upload_bytes)
    r = plan_import.import_plan(engine, user.actor, cycle_id, name, content, dry_run=dry_run)
    return reply(PlanImportOut.model_validate(r))
