"""API: the organisation you can see, substitutes, and importing the organisation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.schemas import DoneOut, reply
from api.schemas.cycles import (
    ConfirmImportIn,
    ImportIn,
    ImportOut,
    JobOut,
    PendingImportOut,
    PersonOut,
    RefuseImportIn,
    SubstituteIn,
    SubstituteOut,
    UnitPageOut,
)
from engine.org import admin as org
from engine.org import pending as org_pending
from engine.org import view as orgview
from engine.org.admin import ImportReport
from engine.views import detail as views
from engine.workflow.batch import org_import as org_import_job

router = APIRouter(tags=["organisation"])


@router.get("/org/units", response_model=UnitPageOut)
def top_units(user: ApiUser, engine: Engine) -> Response:
    """The units at the top of what you can see."""
    return reply(UnitPageOut.model_validate(orgview.unit_page(engine, user.actor)))


@router.get("/org/units/{unit_id}", response_model=UnitPageOut)
def unit(unit_id: Id, user: ApiUser, engine: Engine) -> Response:
    """A unit: the units under it, who holds which role there, its cycles."""
    return reply(UnitPageOut.model_validate(orgview.unit_page(engine, user.actor, unit_id)))


@router.get("/org/people", response_model=list[PersonOut])
def find_people(
    user: ApiUser, engine: Engine, q: Annotated[str, Query(min_length=2, max_length=100)]
) -> Response:
    """Active people whose name or e-mail contains the text (to pick a substitute)."""
    found = orgview.find_people(engine, user.actor, q)
    return reply([PersonOut(name=n, email=e) for n, e in found])


@router.get("/org/substitutes", response_model=list[SubstituteOut])
def substitutes(user: ApiUser, engine: Engine) -> Response:
    return reply([SubstituteOut.model_validate(r) for r in orgview.substitutes(engine, user.actor)])


@router.post("/org/substitutes", response_model=DoneOut, status_code=201)
def set_substitute(body: SubstituteIn, user: ApiUser, engine: Engine) -> Response:
    """Someone acts for a person between two dates (by that person, the line above or HR)."""
    out = org.set_substitute(
        engine,
        user.actor,
        body.person_email,
        body.for_email,
        body.valid_from,
        body.valid_to,
        body.reason,
    )
    return reply(DoneOut(detail=str(out.id)), 201)


@router.delete("/org/substitutes/{substitute_id}", response_model=DoneOut)
def end_substitute(substitute_id: Id, user: ApiUser, engine: Engine) -> Response:
    org.end_substitute(engine, user.actor, substitute_id)
    return reply(DoneOut())


@router.post(
    "/org/import",
    response_model=ImportOut,
    responses={
        202: {
            "model": ImportOut | JobOut,
            "description": "Held for a second HR person (`held`), or a large import queued as "
            "a job",
        }
    },
)
def import_org(body: ImportIn, request: Request, user: ApiUser, engine: Engine) -> Response:
    """Units and people from CSV text; `dry_run` (the default) only says what would change.
    Only what you administer may change (403 names each row that goes outside it). An
    import that would end too many roles is held (202, `held`) until a second HR person
    confirms it. An import of more than `SAMFLOW_ORG_IMPORT_JOB_ROWS` lines is checked at
    once (422 for any bad row, nothing written) and then applied by a job in batches: 202,
    follow `GET /api/jobs/{id}`."""
    if not body.dry_run and org_import_job.needs_job(engine, body.units_csv, body.people_csv):
        launcher = request.app.state.document_launcher
        queued = org_import_job.request(
            engine, user.actor, body.units_csv, body.people_csv, launcher.name
        )
        if queued.held is not None:
            return _import_reply(queued.held)
        assert queued.job_id is not None
        launcher.submit(queued.job_id)
        return reply(JobOut.model_validate(views.job(engine, user.actor, queued.job_id)), 202)
    report = org.import_org(
        engine, user.actor, body.units_csv, body.people_csv, dry_run=body.dry_run
    )
    return _import_reply(report)


def _import_reply(report: ImportReport) -> Response:
    out = ImportOut.model_validate({**report.__dict__, "changes": report.changes})
    return reply(out, 202 if report.held else 200)


@router.get("/org/import/pending", response_model=list[PendingImportOut])
def pending_imports(user: ApiUser, engine: Engine) -> Response:
    """Held imports you asked for, or may confirm as HR over every unit they change."""
    return reply(
        [PendingImportOut.model_validate(p) for p in org_pending.pending(engine, user.actor)]
    )


@router.post("/org/import/pending/{pending_id}/confirm", response_model=ImportOut)
def confirm_import(
    pending_id: Id, body: ConfirmImportIn, user: ApiUser, engine: Engine
) -> Response:
    """Apply a held import as a second HR person (not the one who asked), naming its hash."""
    return _import_reply(org.confirm_import(engine, user.actor, pending_id, body.content_hash))


@router.post("/org/import/pending/{pending_id}/refuse", response_model=DoneOut)
def refuse_import(pending_id: Id, body: RefuseImportIn, user: ApiUser, engine: Engine) -> Response:
    """Refuse a held import (or withdraw your own); nothing of it is applied."""
    org_pending.refuse(engine, user.actor, pending_id, body.reason)
    return reply(DoneOut())
