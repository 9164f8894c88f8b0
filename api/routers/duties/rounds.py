"""API: safety rounds (issue 12 §2). Plan a round, the rounds you may see, one round with
its checklist, findings and the earlier open findings it must review, a finding with its
photos (multipart; limits checked before any work), a finding into the action plan, the
review of an earlier finding, closing the round, a photo, and the checklists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Query, UploadFile
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.middleware.form_checks import MULTIPART
from api.schemas import reply
from api.schemas.cases import CaseDetailOut, CaseOpenedOut, CaseSummaryOut
from api.schemas.docs import inline_schema
from api.schemas.rounds import ChecklistOut, FindingAddedOut, FindingOut, RoundOut, ToPlanOut
from engine.domain.errors import InvalidInput
from engine.rounds import rounds
from forms import checklists
from forms.schemas.duties.rounds import FindingReview, FindingToPlan, SafetyRoundPlan

router = APIRouter(tags=["rounds"])


def _schema(model: Any) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(model)}},
        }
    }


def finding_out(r: rounds.FindingRow) -> FindingOut:
    return FindingOut.model_validate({**vars(r), "risk_level": r.level.key})


def round_out(shown: rounds.RoundDetail) -> RoundOut:
    listed = shown.checklist
    return RoundOut(
        case=CaseDetailOut.model_validate({**vars(shown.detail), "plan_links": shown.plan_links}),
        checklist=listed.key if listed else "",
        checklist_title={"sv": listed.title.sv, "en": listed.title.en} if listed else {},
        findings=[finding_out(f) for f in shown.findings],
        earlier=[finding_out(f) for f in shown.earlier],
        unmet=[
            {"gate": u.gate, "message_sv": u.message_sv, "message_en": u.message_en}
            for u in shown.unmet
        ],
        may_record=shown.may_record,
    )


@router.get("/rounds/checklists", response_model=list[ChecklistOut])
def list_checklists(user: ApiUser) -> Response:
    """The checklists a round may follow (data: forms/checklists/*.yaml)."""
    return reply(
        [
            ChecklistOut(
                key=c.key,
                title={"sv": c.title.sv, "en": c.title.en},
                points=[{"key": p.key, "sv": p.sv, "en": p.en} for p in c.points],
            )
            for c in checklists.all_checklists().values()
        ]
    )


@router.post(
    "/rounds", response_model=CaseOpenedOut, status_code=201, openapi_extra=_schema(SafetyRoundPlan)
)
def plan_round(body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine) -> Response:
    """Plan a round at a unit on a checklist: the unit's manager (or the line above, HR, a
    director). The manager leads it; the unit's safety representative gets a task to take
    part."""
    return reply(CaseOpenedOut.model_validate(rounds.plan(engine, user.actor, body)), 201)


@router.get("/rounds", response_model=list[CaseSummaryOut])
def list_rounds(
    user: ApiUser,
    engine: Engine,
    unit: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """The rounds of the units you may see, newest first, with their findings counted."""
    rows = rounds.list_rounds(engine, user.actor, unit_code=unit, year=year)
    return reply([CaseSummaryOut.model_validate(r) for r in rows])


@router.get("/rounds/{case_id}", response_model=RoundOut)
def get_round(case_id: Id, user: ApiUser, engine: Engine) -> Response:
    """One round; 404 for a round of a unit you may not see."""
    return reply(round_out(rounds.show(engine, user.actor, case_id)))


@router.post(
    "/rounds/{case_id}/findings",
    response_model=FindingAddedOut,
    status_code=201,
    dependencies=MULTIPART,
)
def add_finding(
    case_id: Id,
    user: ApiUser,
    engine: Engine,
    place: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=4000)],
    probability: Annotated[str, Form(max_length=2)],
    consequence: Annotated[str, Form(max_length=2)],
    point: Annotated[str, Form(max_length=64)] = "",
    photos: list[UploadFile] | None = None,
) -> Response:
    """A finding while the round goes on (the manager leading it or the safety
    representative taking part), with up to ``SAMFLOW_ROUND_PHOTOS_MAX`` photos of at most
    ``SAMFLOW_ROUND_PHOTO_MAX_BYTES`` each (JPEG, PNG, WebP, HEIC, by their content)."""
    data = {
        "point": point,
        "place": place,
        "description": description,
        "probability": probability,
        "consequence": consequence,
    }
    got = read_photos(engine.settings.round_photo_max_bytes, photos or [])
    return reply(
        FindingAddedOut.model_validate(rounds.add_finding(engine, user.actor, case_id, data, got)),
        201,
    )


def read_photos(largest: int, files: list[Any]) -> list[rounds.Photo]:
    """Each uploaded photo, read at most one byte past the limit (the use case refuses it)."""
    out = []
    for i, f in enumerate(files):
        if not isinstance(f, UploadFile) and not hasattr(f, "file"):
            raise InvalidInput.field(f"photos[{i}]", "not a file", "inte en fil")
        if not f.filename:
            continue
        out.append(rounds.Photo(f.filename or "foto", f.file.read(largest + 1)))
    return out


@router.post(
    "/rounds/findings/{finding_id}/plan",
    response_model=ToPlanOut,
    openapi_extra=_schema(FindingToPlan),
)
def finding_to_plan(
    finding_id: Id, body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine
) -> Response:
    """The finding into the unit's action plan as a risk with one measure, in one step."""
    return reply(ToPlanOut.model_validate(rounds.to_plan(engine, user.actor, finding_id, body)))


@router.post(
    "/rounds/{case_id}/reviews/{finding_id}",
    status_code=204,
    openapi_extra=_schema(FindingReview),
)
def review_finding(
    case_id: Id,
    finding_id: Id,
    body: Annotated[dict[str, Any], Body()],
    user: ApiUser,
    engine: Engine,
) -> Response:
    """An earlier round's open finding reviewed in this round: resolved, or remains."""
    rounds.review(engine, user.actor, case_id, finding_id, body)
    return Response(status_code=204)


@router.post("/rounds/{case_id}/close")
def close_round(case_id: Id, user: ApiUser, engine: Engine) -> Response:
    """Sign the round off; 409 naming every earlier finding not yet reviewed."""
    out = rounds.close(engine, user.actor, case_id)
    return reply_json({"cycle_status": out.cycle_status})


def reply_json(body: dict[str, Any]) -> Response:
    import json

    return Response(json.dumps(body).encode(), media_type="application/json")


@router.get(
    "/rounds/photos/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def photo(attachment_id: Id, user: ApiUser, engine: Engine) -> Response:
    """A finding's photo (404 for a round you may not see)."""
    return photo_response(*rounds.photo(engine, user.actor, attachment_id))


def photo_response(info: Any, content: bytes) -> Response:
    """The photo as the image it was checked to be; never run as anything else."""
    return Response(
        content,
        media_type=info.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
