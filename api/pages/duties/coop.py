"""Pages: cooperation (samverkan). The bodies you sit in or oversee and their meetings;
calling a meeting; one meeting's protocol page, where the employer's side sets the agenda
and records each item's outcome, a union representative asks for MBL negotiation or signs
(justerar) the protocol, and which prints as PDF; change cases with what still holds their
decision back."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, lang_of
from api.errors import problem
from api.rendering import redirect, render
from api.routers.duties.coop import protocol_response
from engine.accounts.signin import Principal
from engine.coop import agenda, bodies, changes, meetings
from engine.domain.errors import InvalidInput, SamflowError
from forms.i18n import N_, tr
from forms.labels import words

router = APIRouter()
#: The agenda form's inputs by the path an error names.
ITEM_FIELDS = {
    "subject": ("item-subject", N_("Gäller")),
    "subject_id": ("item-subject", N_("Gäller")),
    "subject_type": ("item-subject", N_("Gäller")),
    "title": ("item-title", N_("Rubrik")),
}
WORDS = {k: words(k) for k in ("coop_seat", "coop_outcome", "coop_subject", "mbl_result")}


def _date(value: str, path: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput.field(path, "a date YYYY-MM-DD", "ett datum ÅÅÅÅ-MM-DD") from None


def _id(value: str, path: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput.field(path, "a number", "ett nummer")
    return int(value)


# --- bodies and meetings ------------------------------------------------------------------
@router.get("/coop")
def coop_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _coop(request, engine, user)


def _coop(
    request: Request, engine: Engine, user: Principal, exc: SamflowError | None = None
) -> Response:
    prob = problem(exc, lang_of(request)) if exc else None
    found = bodies.list_bodies(engine, user.actor)
    return render(
        request,
        "coop.html",
        status=int(prob["status"]) if prob else 200,
        bodies=found,
        managed=[b for b in found if b.manages],
        meetings=meetings.list_meetings(engine, user.actor),
        words=WORDS,
        problem=prob,
    )


@router.post("/coop/meetings")
def create_meeting(request: Request, engine: Engine, posted: PostedForm) -> Response:
    try:
        held = _date(posted.get("held_on"), "held_on")
        new = meetings.create_meeting(
            engine, posted.principal.actor, posted.get("body"), held, posted.get("title")
        )
    except SamflowError as exc:
        return _coop(request, engine, posted.principal, exc)
    return redirect(f"/coop/meetings/{new}", done="meeting_created")


@router.get("/coop/meetings/{meeting_id}")
def meeting_page(request: Request, engine: Engine, user: PageUser, meeting_id: Id) -> Response:
    return _meeting(request, engine, user, meeting_id)


def _meeting(
    request: Request,
    engine: Engine,
    user: Principal,
    meeting_id: int,
    exc: SamflowError | None = None,
) -> Response:
    lang = lang_of(request)
    view = meetings.show_meeting(engine, user.actor, meeting_id)
    prob = problem(exc, lang) if exc else None
    for e in prob["errors"] if prob else []:  # beside the agenda form's inputs
        anchor, text = ITEM_FIELDS.get(e["path"], ITEM_FIELDS["subject"])
        if e["path"] in ITEM_FIELDS:
            e["anchor"], e["label"] = anchor, tr(lang, text)
    return render(
        request,
        "coop_meeting.html",
        status=int(prob["status"]) if prob else 200,
        m=view,
        choices=meetings.agenda_choices(engine, user.actor, meeting_id),
        max_choices=agenda.MAX_CHOICES,
        words=WORDS,
        problem=prob,
    )


def _act(
    request: Request, engine: Engine, posted: PostedForm, meeting_id: int, work: Any, done: str
) -> Response:
    meetings.show_meeting(engine, posted.principal.actor, meeting_id)  # 404 first
    try:
        work()
    except SamflowError as exc:
        return _meeting(request, engine, posted.principal, meeting_id, exc)
    return redirect(f"/coop/meetings/{meeting_id}", done=done)


@router.post("/coop/meetings/{meeting_id}/items")
def add_item(request: Request, engine: Engine, posted: PostedForm, meeting_id: Id) -> Response:
    def work() -> None:
        chosen = posted.get("subject").strip()
        if chosen:  # the picker: what the item is about, chosen by what it is
            try:
                kind, ident = agenda.parse_choice(chosen)
            except ValueError:
                raise InvalidInput.field(
                    "subject", "choose a matter from the list", "välj ett ärende i listan"
                ) from None
        else:  # the form's older fields (a type and a number), still answered
            kind = posted.get("subject_type") or "other"
            ident = _id(posted.get("subject_id"), "subject_id")
        meetings.add_item(
            engine, posted.principal.actor, meeting_id, posted.get("title"), kind, ident
        )

    return _act(request, engine, posted, meeting_id, work, "item_added")


def _item_of(meeting_id: int, posted: PostedForm) -> int:
    item = _id(posted.get("item"), "item")
    if item is None:
        raise InvalidInput.field("item", "which item", "vilken punkt")
    return item


@router.post("/coop/meetings/{meeting_id}/outcome")
def record_outcome(
    request: Request, engine: Engine, posted: PostedForm, meeting_id: Id
) -> Response:
    def work() -> None:
        meetings.record_outcome(
            engine,
            posted.principal.actor,
            _item_of(meeting_id, posted),
            posted.get("outcome"),
            posted.get("decision"),
            posted.get("disagreement"),
        )

    return _act(request, engine, posted, meeting_id, work, "outcome_recorded")


@router.post("/coop/meetings/{meeting_id}/mbl")
def request_mbl(request: Request, engine: Engine, posted: PostedForm, meeting_id: Id) -> Response:
    def work() -> None:
        meetings.request_mbl(engine, posted.principal.actor, _item_of(meeting_id, posted))

    return _act(request, engine, posted, meeting_id, work, "mbl_requested")


@router.post("/coop/meetings/{meeting_id}/mbl/end")
def end_mbl(request: Request, engine: Engine, posted: PostedForm, meeting_id: Id) -> Response:
    def work() -> None:
        meetings.end_mbl(
            engine,
            posted.principal.actor,
            _item_of(meeting_id, posted),
            posted.get("result"),
            posted.get("protocol"),
        )

    return _act(request, engine, posted, meeting_id, work, "mbl_ended")


@router.post("/coop/meetings/{meeting_id}/sign")
def sign(request: Request, engine: Engine, posted: PostedForm, meeting_id: Id) -> Response:
    def work() -> None:
        meetings.sign_protocol(engine, posted.principal.actor, meeting_id)

    return _act(request, engine, posted, meeting_id, work, "protocol_signed")


@router.get("/coop/meetings/{meeting_id}/protocol.{fmt}")
def protocol(
    request: Request, engine: Engine, user: PageUser, meeting_id: Id, fmt: str
) -> Response:
    """The protocol to print: PDF (with its data attached) or HTML."""
    if fmt not in ("pdf", "html"):
        raise InvalidInput.field("format", "pdf or html", "pdf eller html")
    doc = meetings.protocol_document(engine, user.actor, meeting_id)
    return protocol_response(doc, lang_of(request), fmt)


# --- changes ------------------------------------------------------------------------------
@router.get("/changes")
def changes_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return render(request, "changes.html", rows=changes.list_changes(engine, user.actor))


@router.get("/changes/{change_id}")
def change_page(request: Request, engine: Engine, user: PageUser, change_id: Id) -> Response:
    return _change(request, engine, user, change_id)


def _change(
    request: Request,
    engine: Engine,
    user: Principal,
    change_id: int,
    exc: SamflowError | None = None,
) -> Response:
    view = changes.show(engine, user.actor, change_id)
    prob = problem(exc, lang_of(request)) if exc else None
    return render(
        request,
        "change.html",
        status=int(prob["status"]) if prob else 200,
        ch=view,
        kinds=words("change_kind"),
        words=WORDS,
        problem=prob,
    )


@router.post("/changes/{change_id}/decide")
def decide(request: Request, engine: Engine, posted: PostedForm, change_id: Id) -> Response:
    changes.show(engine, posted.principal.actor, change_id)  # 404 first
    try:
        changes.decide(engine, posted.principal.actor, change_id, posted.get("note"))
    except SamflowError as exc:
        return _change(request, engine, posted.principal, change_id, exc)
    return redirect(f"/changes/{change_id}", done="change_decided")
