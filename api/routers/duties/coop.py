"""API: cooperation (samverkan). Bodies and their members (HR, or a file of them), meetings
and their agenda, each item's outcome, MBL negotiations, the protocol signed (justerat) by a
union representative and printed, a plan established at a meeting, and change cases whose
decision waits for their risk assessment and cooperation. Representatives see their own
bodies; anything else answers 404."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Path, Query, UploadFile
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.downloads import content_doc, document, read_upload
from api.middleware.form_checks import MULTIPART
from api.schemas import reply
from api.schemas.coop import (
    BodyImportOut,
    BodyIn,
    BodyOut,
    ChangeOut,
    ChangeRegisteredOut,
    ChangeSummaryOut,
    DecideIn,
    EstablishedOut,
    IdOut,
    ItemIn,
    MblEndIn,
    MeetingIn,
    MeetingOut,
    MeetingRowOut,
    MemberEndIn,
    MemberIn,
    OutcomeIn,
    SignedOut,
)
from api.schemas.docs import DocFormat, DocLang, inline_schema
from engine.coop import bodies, changes, meetings
from engine.domain.imports.text import decode
from forms.exports import case_docs
from forms.schemas.duties.change import ChangeRegistration

router = APIRouter(tags=["cooperation"])
PROTOCOL_DOC = content_doc("pdf", "html", "json", json_schema={"type": "object"})
PROTOCOL_TITLE = {"sv": "Protokoll", "en": "Minutes"}
CHANGE = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(ChangeRegistration)}},
    }
}
Code = Annotated[str, Query(min_length=1, max_length=64)]
BodyCode = Annotated[str, Path(min_length=1, max_length=64)]


# --- bodies -------------------------------------------------------------------------------
@router.get("/coop/bodies", response_model=list[BodyOut])
def list_bodies(user: ApiUser, engine: Engine) -> Response:
    """The bodies you may see: yours as a member, and those at or below your units."""
    return reply([BodyOut.model_validate(b) for b in bodies.list_bodies(engine, user.actor)])


@router.post("/coop/bodies", response_model=IdOut, status_code=201)
def create_body(body: BodyIn, user: ApiUser, engine: Engine) -> Response:
    """A new body at a unit (HR or a director over it); ``kind`` is a configured kind."""
    new = bodies.create_body(
        engine, user.actor, code=body.code, unit_code=body.unit, kind=body.kind, name=body.name
    )
    return reply(IdOut(id=new), 201)


@router.post("/coop/bodies/import", response_model=BodyImportOut, dependencies=MULTIPART)
def import_bodies(
    file: Annotated[UploadFile, File(description="organ;enhet;typ;namn;epost;roll;organisation")],
    user: ApiUser,
    engine: Engine,
    dry_run: bool = False,
) -> Response:
    """Bodies and their members from a CSV, one member a row; every row checked first."""
    name, content = read_upload(file, engine.settings.max_upload_bytes)
    text = decode(name, content)
    out = bodies.import_bodies(engine, user.actor, text, filename=name, dry_run=dry_run)
    return reply(BodyImportOut.model_validate(out))


@router.get("/coop/bodies/{code}", response_model=BodyOut)
def get_body(code: BodyCode, user: ApiUser, engine: Engine) -> Response:
    return reply(BodyOut.model_validate(bodies.show_body(engine, user.actor, code)))


@router.post("/coop/bodies/{code}/members", response_model=IdOut, status_code=201)
def add_member(code: BodyCode, member: MemberIn, user: ApiUser, engine: Engine) -> Response:
    """Seat a person (chair, employer, union_rep, safety_rep) in the body."""
    new = bodies.add_member(
        engine,
        user.actor,
        code,
        member.email,
        member.role,
        organisation=member.organisation,
        valid_from=member.valid_from,
    )
    return reply(IdOut(id=new), 201)


@router.post("/coop/bodies/{code}/members/end", status_code=204)
def end_member(code: BodyCode, member: MemberEndIn, user: ApiUser, engine: Engine) -> Response:
    """End a person's seat (valid to yesterday); the seat stays on record."""
    bodies.end_member(engine, user.actor, code, member.email, member.role)
    return Response(status_code=204)


# --- meetings -----------------------------------------------------------------------------
@router.get("/coop/meetings", response_model=list[MeetingRowOut])
def list_meetings(user: ApiUser, engine: Engine, body: Code | None = None) -> Response:
    rows = meetings.list_meetings(engine, user.actor, body)
    return reply([MeetingRowOut.model_validate(r) for r in rows])


@router.post("/coop/meetings", response_model=IdOut, status_code=201)
def create_meeting(meeting: MeetingIn, user: ApiUser, engine: Engine) -> Response:
    """Call a meeting of a body (its chair or employer member, HR or a director)."""
    new = meetings.create_meeting(engine, user.actor, meeting.body, meeting.held_on, meeting.title)
    return reply(IdOut(id=new), 201)


@router.get("/coop/meetings/{meeting_id}", response_model=MeetingOut)
def get_meeting(meeting_id: Id, user: ApiUser, engine: Engine) -> Response:
    return reply(MeetingOut.model_validate(meetings.show_meeting(engine, user.actor, meeting_id)))


@router.post("/coop/meetings/{meeting_id}/items", response_model=IdOut, status_code=201)
def add_item(meeting_id: Id, item: ItemIn, user: ApiUser, engine: Engine) -> Response:
    """An agenda item, linked to what it decides on (plan and annual follow-up: a cycle id;
    change and incident: a case id; risk assessment: its task id)."""
    new = meetings.add_item(
        engine, user.actor, meeting_id, item.title, item.subject_type, item.subject_id
    )
    return reply(IdOut(id=new), 201)


@router.post("/coop/items/{item_id}/outcome", status_code=204)
def record_outcome(item_id: Id, body: OutcomeIn, user: ApiUser, engine: Engine) -> Response:
    meetings.record_outcome(
        engine, user.actor, item_id, body.outcome, body.decision, body.disagreement
    )
    return Response(status_code=204)


@router.post("/coop/items/{item_id}/mbl", response_model=IdOut, status_code=201)
def request_mbl(item_id: Id, user: ApiUser, engine: Engine) -> Response:
    """A union representative of the body asks for negotiation (at the first meeting)."""
    return reply(IdOut(id=meetings.request_mbl(engine, user.actor, item_id)), 201)


@router.post("/coop/items/{item_id}/mbl/end", status_code=204)
def end_mbl(item_id: Id, body: MblEndIn, user: ApiUser, engine: Engine) -> Response:
    meetings.end_mbl(engine, user.actor, item_id, body.result, body.protocol)
    return Response(status_code=204)


@router.post("/coop/meetings/{meeting_id}/sign", response_model=SignedOut)
def sign_protocol(meeting_id: Id, user: ApiUser, engine: Engine) -> Response:
    """Check and sign (justera) the protocol: a union representative of the body; 409 while
    an item has no outcome. Plans it handled that the manager decided become fastställda."""
    return reply(SignedOut.model_validate(meetings.sign_protocol(engine, user.actor, meeting_id)))


@router.get("/coop/meetings/{meeting_id}/protocol", response_class=Response, responses=PROTOCOL_DOC)
def protocol(
    meeting_id: Id, user: ApiUser, engine: Engine, lang: DocLang = "sv", format: DocFormat = "pdf"
) -> Response:
    """The protocol to print (PDF with its data attached), or as HTML or JSON."""
    return protocol_response(
        meetings.protocol_document(engine, user.actor, meeting_id), lang, format
    )


def protocol_response(doc: dict[str, Any], lang: str, fmt: str) -> Response:
    name = f"protokoll-{doc['data']['meeting']['held_on']}.{fmt}"
    content: bytes | str
    if fmt == "json":
        content = json.dumps(doc, ensure_ascii=False)
    elif fmt == "html":
        content = case_docs.html(doc, meetings.PROTOCOL_TEMPLATE, PROTOCOL_TITLE, lang)
    else:
        content = case_docs.pdf(doc, meetings.PROTOCOL_TEMPLATE, PROTOCOL_TITLE, lang)
    return document(content, fmt, name, download=False)


@router.post("/coop/plans/{cycle_id}/establish", response_model=EstablishedOut)
def establish_plan(cycle_id: Id, user: ApiUser, engine: Engine) -> Response:
    """Establish a plan whose protocol was signed before the manager decided it; 409 names
    every missing step."""
    head = meetings.establish_plan(engine, user.actor, cycle_id)
    return reply(
        EstablishedOut(
            body=head.body,
            on=head.on,
            mbl=head.mbl,
            text_sv=head.text("sv"),
            text_en=head.text("en"),
        )
    )


# --- changes ------------------------------------------------------------------------------
@router.post("/changes", response_model=ChangeRegisteredOut, status_code=201, openapi_extra=CHANGE)
def register_change(
    body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine
) -> Response:
    """Register a change (HR or a director over the unit): the risk assessment and the
    safety representative's participation become tasks."""
    out = changes.register(engine, user.actor, changes.parse_registration(body))
    return reply(ChangeRegisteredOut.model_validate(out), 201)


@router.get("/changes", response_model=list[ChangeSummaryOut])
def list_changes(user: ApiUser, engine: Engine) -> Response:
    rows = changes.list_changes(engine, user.actor)
    return reply([ChangeSummaryOut.model_validate(r) for r in rows])


@router.get("/changes/{change_id}", response_model=ChangeOut)
def get_change(change_id: Id, user: ApiUser, engine: Engine) -> Response:
    return reply(ChangeOut.model_validate(changes.show(engine, user.actor, change_id)))


@router.post("/changes/{change_id}/decide", status_code=204)
def decide_change(change_id: Id, body: DecideIn, user: ApiUser, engine: Engine) -> Response:
    """Mark the change decided; 409 names every missing step (assessment done, the safety
    representative's participation, approval, the cooperation item closed or MBL ended)."""
    changes.decide(engine, user.actor, change_id, body.note)
    return Response(status_code=204)
