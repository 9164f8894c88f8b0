"""API: inspections by Arbetsmiljöverket: register one (JSON, or a YAML/JSON/CSV file), the
list, one inspection with each requirement and who holds it, and the reply (a preview while
answers come in; drafted and recorded once every requirement is answered)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, UploadFile
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.downloads import content_doc, document, read_upload, safe_name
from api.middleware.form_checks import MULTIPART
from api.schemas import reply
from api.schemas.docs import (
    DocFormat,
    DocLang,
    InspectionOut,
    InspectionSummaryOut,
    RegisteredOut,
    inline_schema,
)
from engine.context import Actor, App
from engine.domain.errors import NotFound
from engine.inspections import cases as inspections
from engine.workflow.process import cases as processes
from forms.exports import case_docs
from forms.schemas.duties.inspection import InspectionRegistration

router = APIRouter(tags=["inspections"])
REGISTRATION = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(InspectionRegistration)}},
    }
}
REPLY_DOC = content_doc("pdf", "html", "json", json_schema={"type": "object"})


@router.post(
    "/inspections", response_model=RegisteredOut, status_code=201, openapi_extra=REGISTRATION
)
def register(body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine) -> Response:
    """Register an inspection: each requirement becomes a task for the responsible unit's
    manager, due before the reply date. HR or a director over the unit."""
    reg = inspections.parse_registration(body)
    return reply(RegisteredOut.model_validate(inspections.register(engine, user.actor, reg)), 201)


@router.post(
    "/inspections/file", response_model=RegisteredOut, status_code=201, dependencies=MULTIPART
)
def register_file(
    file: Annotated[UploadFile, File(description="inspection.yaml / .json, or krav.csv")],
    user: ApiUser,
    engine: Engine,
    unit: Annotated[str | None, Form(max_length=64)] = None,
    inspected_on: Annotated[date | None, Form()] = None,
    reply_by: Annotated[date | None, Form()] = None,
    reference: Annotated[str | None, Form(max_length=64)] = None,
    inspector: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    """The same from a file; the form fields fill in (or override) what a CSV of
    requirements (``krav,enheter,senast``) does not say. Errors name the file's lines."""
    name, content = read_upload(file, engine.settings.max_upload_bytes)
    overrides = {
        "unit": unit,
        "inspected_on": inspected_on,
        "reply_by": reply_by,
        "reference": reference,
        "inspector": inspector,
    }
    out = register_upload(engine, user.actor, name, content, overrides)
    return reply(RegisteredOut.model_validate(out), 201)


def register_upload(
    engine: App, actor: Actor, name: str, content: bytes, overrides: dict[str, Any]
) -> inspections.Registered:
    reg = inspections.read_registration(name, content, overrides)
    return inspections.register(engine, actor, reg)


@router.get("/inspections", response_model=list[InspectionSummaryOut])
def list_inspections(
    user: ApiUser,
    engine: Engine,
    unit: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """The inspections you may see (of your units and those below), newest first."""
    rows = inspections.list_inspections(engine, user.actor, unit_code=unit, year=year)
    return reply([InspectionSummaryOut.model_validate(r) for r in rows])


@router.get("/inspections/{inspection_id}", response_model=InspectionOut)
def get_inspection(inspection_id: Id, user: ApiUser, engine: Engine) -> Response:
    """Each requirement with every responsible unit's answer: done, or who holds it."""
    return reply(InspectionOut.model_validate(detail(engine, user.actor, inspection_id)))


def detail(engine: App, actor: Actor, inspection_id: int) -> dict[str, Any]:
    """The inspection's page data: its summary and the reply as it stands."""
    data = inspections.preview_reply(engine, actor, inspection_id).data
    i = data["inspection"]
    rows = inspections.list_inspections(engine, actor, unit_code=i["unit"]["code"])
    summary = next((r for r in rows if r.id == inspection_id), None)
    if summary is None:  # (both reads ask the same rule; a role may end in between)
        raise NotFound("inspection", inspection_id)
    return {
        "summary": summary,
        "inspector": i["inspector"],
        "note": i["note"],
        "requirements": data["requirements"],
        "complete": data["complete"],
        "open": data["open"],
    }


@router.get("/inspections/{inspection_id}/reply", response_class=Response, responses=REPLY_DOC)
def preview_reply(
    inspection_id: Id,
    user: ApiUser,
    engine: Engine,
    lang: DocLang = "sv",
    format: DocFormat = "html",
) -> Response:
    """The reply as it stands now, complete or not; nothing is recorded."""
    draft = inspections.preview_reply(engine, user.actor, inspection_id)
    return reply_document(draft, lang, format, download=False, preview=True)


@router.post("/inspections/{inspection_id}/reply", response_class=Response, responses=REPLY_DOC)
def draft_reply(
    inspection_id: Id,
    user: ApiUser,
    engine: Engine,
    lang: DocLang = "sv",
    format: DocFormat = "pdf",
) -> Response:
    """Draw up the reply (recorded with its digest); 409 while a requirement is open."""
    draft = inspections.draft_reply(engine, user.actor, inspection_id)
    return reply_document(draft, lang, format, download=False, preview=False)


def reply_document(
    draft: processes.Draft, lang: str, fmt: str, *, download: bool, preview: bool
) -> Response:
    doc = draft.document()
    ref = doc["data"]["inspection"]
    stem = f"svar-{safe_name(ref['reference'] or str(ref['unit']['code']))}"
    name = f"{stem}{'-utkast' if preview else ''}.{fmt}"
    content: bytes | str
    if fmt == "json":
        content = json.dumps(doc, ensure_ascii=False)
    elif fmt == "html":
        content = case_docs.html(doc, draft.template, draft.title, lang)
    else:
        content = case_docs.pdf(doc, draft.template, draft.title, lang)
    return document(content, fmt, name, download=download)
