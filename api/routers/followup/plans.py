"""API: action plans in their own right (issue 11) — a plan with its own scope (a unit, a
department, the whole administration, a theme across units) and header, its measures
imported from a spreadsheet, and where it stands (decided, established at a cooperation
meeting, followed up); and the organisation's positions and groups, as a measure's
responsible names them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, UploadFile
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.downloads import read_upload
from api.middleware.form_checks import MULTIPART
from api.schemas import reply
from api.schemas.docs import PlanImportOut, inline_schema
from api.schemas.plans import (
    GroupOut,
    MemberOut,
    ParticipantOut,
    PlanCreatedOut,
    PlanOut,
    PlanRowOut,
    PlanTaskOut,
    PositionOut,
)
from engine.org import positions
from engine.plans import importer as plan_import
from engine.plans import own
from forms.schemas.plan_header import ActionPlanHeader, PlanRhythm

router = APIRouter(tags=["plans"])
HEADER = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(ActionPlanHeader)}},
    }
}
Year = Annotated[int | None, Query(ge=2000, le=2100)]
UnitCode = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("/plans", response_model=list[PlanRowOut])
def list_plans(user: ApiUser, engine: Engine, year: Year = None) -> Response:
    """The plans you may see: plans in their own right and the annual cycles' plans that
    have a header, newest first."""
    return reply([PlanRowOut.model_validate(r) for r in own.list_plans(engine, user.actor, year)])


@router.post("/plans", response_model=PlanCreatedOut, status_code=201, openapi_extra=HEADER)
def create_plan(body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine) -> Response:
    """A plan in its own right (a manager, HR or a director at the unit or above): drawing
    it up becomes the unit's manager's task; no survey or risk assessment is asked for."""
    made = own.create(engine, user.actor, own.parse(body))
    return reply(PlanCreatedOut.model_validate(made), 201)


@router.get("/plans/{plan_id}", response_model=PlanOut)
def get_plan(plan_id: Id, user: ApiUser, engine: Engine) -> Response:
    """One plan (404 for a plan you may not see)."""
    return reply(_plan_out(own.show(engine, user.actor, plan_id)))


def _plan_out(p: own.Shown) -> PlanOut:
    return PlanOut(
        plan=PlanRowOut.model_validate(p.row),
        responsible_manager=p.responsible_manager,
        follow_up_months=p.follow_up_months,
        review_dates=p.review_dates,
        next_review=p.next_review,
        participants=[ParticipantOut(name=n, organisation=o) for n, o in p.participants],
        not_yet_established=p.unmet,
        tasks=[PlanTaskOut.model_validate(t) for t in p.tasks],
        importable=p.importable,
    )


RHYTHM = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(PlanRhythm)}},
    }
}


@router.put("/plans/{plan_id}/rhythm", response_model=PlanOut, openapi_extra=RHYTHM)
def change_rhythm(
    plan_id: Id, body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine
) -> Response:
    """Change a plan's review rhythm (months from its plan date and/or named dates; a
    manager at or above its unit, HR or a director); the open review is re-dated by the
    rhythm's rules. The plan as it is now."""
    own.change_rhythm(engine, user.actor, plan_id, own.parse_rhythm(body))
    return reply(_plan_out(own.show(engine, user.actor, plan_id)))


@router.post("/plans/{plan_id}/import", response_model=PlanImportOut, dependencies=MULTIPART)
def import_into_plan(
    plan_id: Id,
    file: Annotated[UploadFile, File(description="The plan, .csv or .xlsx, one measure a row")],
    user: ApiUser,
    engine: Engine,
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """The plan's measures from a spreadsheet (as ``/cycles/{id}/plan-import``): every bad
    cell answers 422 as ``file:line: column``, and nothing is imported."""
    shown = own.show(engine, user.actor, plan_id)  # 404 for a plan you cannot see
    name, content = read_upload(file, engine.settings.max_upload_bytes)
    r = plan_import.import_plan(
        engine, user.actor, shown.row.cycle_id, name, content, dry_run=dry_run
    )
    return reply(PlanImportOut.model_validate(r))


# --- positions and groups -----------------------------------------------------------------
@router.get("/positions", response_model=list[PositionOut])
def list_positions(user: ApiUser, engine: Engine, unit: UnitCode = None) -> Response:
    """The positions (befattningar) at the units you administer (HR or a director), each
    with who holds it today and every holder's span."""
    found = positions.overview(engine, user.actor, unit_code=unit)
    return reply([PositionOut.model_validate(p) for p in found.positions])


@router.get("/groups", response_model=list[GroupOut])
def list_groups(user: ApiUser, engine: Engine, unit: UnitCode = None) -> Response:
    """The named groups at the units you administer, with the convener and members today
    (a management team's: the unit's manager and the managers of the units below)."""
    found = positions.overview(engine, user.actor, unit_code=unit)
    return reply(
        [
            GroupOut(
                name=g.name,
                unit_code=g.unit_code,
                unit_name=g.unit_name,
                kind=g.kind,
                convener=g.convener,
                members=[MemberOut(name=n, email=e) for n, e in g.members],
            )
            for g in found.groups
        ]
    )
