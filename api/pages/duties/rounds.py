"""Pages of the safety rounds (issue 12 §2), made for a phone: the rounds one may see, one
round with its checklist, a finding with a photo from the camera, a finding into the
action plan, the review of the earlier open findings, and closing the round. Planning a
round is the generic case form (``/cases/safety_round/new``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import Engine, Id, PageUser, PostedForm, lang_of
from api.errors import problem
from api.rendering import redirect, render
from api.routers.duties.rounds import photo_response
from engine.accounts.signin import Principal
from engine.cases import doors
from engine.domain.clock import local_date
from engine.domain.errors import SamflowError
from engine.domain.risk import SCALE
from engine.rounds import rounds

router = APIRouter()


@router.get("/rounds")
def rounds_page(request: Request, engine: Engine, user: PageUser) -> Response:
    """The rounds of the units one may see, and a link to plan one."""
    rows = rounds.list_rounds(engine, user.actor)
    return render(
        request,
        "rounds/rounds.html",
        rows=rows,
        may_plan=bool(doors.register_units(engine, user.actor, rounds.KIND)),
    )


def _page(
    request: Request,
    engine: Engine,
    user: Principal,
    case_id: int,
    exc: SamflowError | None = None,
    posted: dict[str, Any] | None = None,
) -> Response:
    shown = rounds.show(engine, user.actor, case_id)
    prob = problem(exc, lang_of(request)) if exc else None
    return render(
        request,
        "rounds/round.html",
        status=int(prob["status"]) if prob else 200,
        r=shown,
        c=shown.detail,
        s=shown.detail.summary,
        problem=prob,
        scale=list(SCALE),
        posted=posted or {},
        today=local_date(engine.clock.now()),
        photo_most=engine.settings.round_photos_max,
        photo_mb=engine.settings.round_photo_max_bytes // 1_000_000,
    )


@router.get("/rounds/{case_id}")
def round_page(request: Request, engine: Engine, user: PageUser, case_id: Id) -> Response:
    return _page(request, engine, user, case_id)


def _act(request: Request, engine: Engine, posted: PostedForm, case_id: int, work: Any) -> Response:
    try:
        return work()  # type: ignore[no-any-return]
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        fields = {k: v for k, v in posted.form.items() if isinstance(v, str)}
        return _page(request, engine, posted.principal, case_id, exc, fields)


@router.post("/rounds/{case_id}/findings")
def add_finding(request: Request, engine: Engine, posted: PostedForm, case_id: Id) -> Response:
    def work() -> Response:
        largest = engine.settings.round_photo_max_bytes
        photos = [
            rounds.Photo(f.filename or "foto", f.file.read(largest + 1))
            for f in posted.form.getlist("photos")
            if isinstance(f, UploadFile) and f.filename
        ]
        data: dict[str, str | None] = {k: posted.get(k) for k in ("point", "place", "description")}
        data |= {k: posted.get(k) or None for k in ("probability", "consequence")}
        rounds.add_finding(engine, posted.principal.actor, case_id, data, photos)
        return redirect(f"/rounds/{case_id}", done="finding_added")

    return _act(request, engine, posted, case_id, work)


@router.post("/rounds/{case_id}/findings/{finding_id}/plan")
def to_plan(
    request: Request, engine: Engine, posted: PostedForm, case_id: Id, finding_id: Id
) -> Response:
    def work() -> Response:
        measure = {
            "what": posted.get("what"),
            "responsible": posted.get("responsible"),
            "due_date": posted.get("due_date") or None,
        }
        rounds.to_plan(engine, posted.principal.actor, finding_id, {"measure": measure})
        return redirect(f"/rounds/{case_id}", done="finding_to_plan")

    return _act(request, engine, posted, case_id, work)


@router.post("/rounds/{case_id}/reviews/{finding_id}")
def review(
    request: Request, engine: Engine, posted: PostedForm, case_id: Id, finding_id: Id
) -> Response:
    def work() -> Response:
        data = {"outcome": posted.get("outcome"), "note": posted.get("note")}
        rounds.review(engine, posted.principal.actor, case_id, finding_id, data)
        return redirect(f"/rounds/{case_id}", done="finding_reviewed")

    return _act(request, engine, posted, case_id, work)


@router.post("/rounds/{case_id}/close")
def close(request: Request, engine: Engine, posted: PostedForm, case_id: Id) -> Response:
    def work() -> Response:
        rounds.close(engine, posted.principal.actor, case_id)
        return redirect(f"/rounds/{case_id}", done="round_closed")

    return _act(request, engine, posted, case_id, work)


@router.get("/rounds/photos/{attachment_id}")
def photo(engine: Engine, user: PageUser, attachment_id: Id) -> Response:
    return photo_response(*rounds.photo(engine, user.actor, attachment_id))
