"""Pages: action plans in their own right (issue 11) — the list of the plans a person may
see (plans in their own right and the annual cycles' plans with a header), a new plan (its
scope and header), and one plan: its header, where it stands, what still keeps it from
being established (fastställd), its tasks, the printed plan (HTML, PDF, XLSX) and the
import of its measures (on its cycle's page, previewed first)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, as_id, lang_of
from api.refused import form_fields, refused
from api.rendering import redirect, render
from engine.accounts.signin import Principal
from engine.cases import doors
from engine.coop import meetings
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput, SamflowError
from engine.org import positions
from engine.plans import own
from forms.formdata import apply_row_action, clean, unflatten
from forms.i18n import N_, tr
from forms.schemas.plan_header import SCOPES, ActionPlanHeader

router = APIRouter()
#: The agenda form's inputs by the path an error names (the item's matter: the meeting).
AGENDA_FIELDS = {
    "meeting": ("agenda-meeting", N_("Möte")),
    "subject_id": ("agenda-meeting", N_("Möte")),
    "title": ("agenda-title", N_("Punktens rubrik")),
}
#: The rhythm form's inputs by the path an error names.
RHYTHM_FIELDS = {
    "follow_up_months": ("rhythm-months", N_("Följs upp var … månad")),
    "review_dates": ("rhythm-dates", N_("Uppföljningsdatum (ÅÅÅÅ-MM-DD)")),
}


@router.get("/plans")
def plans_page(request: Request, engine: Engine, user: PageUser) -> Response:
    rows = own.list_plans(engine, user.actor)
    return render(
        request,
        "plans.html",
        rows=rows,
        scopes=SCOPES,
        may_create=bool(doors.register_units(engine, user.actor, own.KIND, limit=1)),
    )


@router.get("/plans/new")
def new_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _new(request, engine, user)


def _new(
    request: Request,
    engine: Engine,
    user: Principal,
    data: dict[str, Any] | None = None,
    exc: SamflowError | None = None,
) -> Response:
    lang = lang_of(request)
    units = doors.register_units(engine, user.actor, own.KIND)
    if data is None:
        data = {"plan_date": local_date(engine.clock.now()).isoformat(), "scope": "unit"}
        if len(units) == 1:
            data["unit"] = units[0].code
    fields, no = form_fields(ActionPlanHeader, data, exc, lang)
    return render(
        request,
        "plan_new.html",
        status=no.status,
        title=ActionPlanHeader,
        fields=fields,
        units=units,
        problem=no.problem,
    )


@router.post("/plans/new")
def create(request: Request, engine: Engine, posted: PostedForm) -> Response:
    raw = unflatten((k, v) for k, v in posted.form.multi_items() if isinstance(v, str))
    action = posted.get("_action")
    if action.startswith(("add:", "remove:")):
        return _new(
            request, engine, posted.principal, apply_row_action(ActionPlanHeader, raw, action)
        )
    try:
        made = own.create(engine, posted.principal.actor, own.parse(clean(ActionPlanHeader, raw)))
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        return _new(request, engine, posted.principal, raw, exc)
    return redirect(f"/plans/{made.plan_id}", done="plan_created")


@router.get("/plans/{plan_id}")
def plan_page(request: Request, engine: Engine, user: PageUser, plan_id: Id) -> Response:
    return _plan(request, engine, user, plan_id)


def _plan(
    request: Request,
    engine: Engine,
    user: Principal,
    plan_id: int,
    exc: SamflowError | None = None,
) -> Response:
    lang = lang_of(request)
    shown = own.show(engine, user.actor, plan_id)
    no = refused(exc, lang)
    for e in no.problem["errors"] if no.problem else []:  # beside the form's inputs
        path = e["path"].split("[")[0]
        if path in RHYTHM_FIELDS:
            anchor, text = RHYTHM_FIELDS[path]
        else:
            anchor, text = AGENDA_FIELDS.get(e["path"], AGENDA_FIELDS["meeting"])
        e["anchor"], e["label"] = anchor, tr(lang, text)
    return render(
        request,
        "plan_own.html",
        status=no.status,
        p=shown,
        r=shown.row,
        scopes=SCOPES,
        agenda=meetings.agenda_for(engine, user.actor, "plan", shown.row.cycle_id),
        problem=no.problem,
    )


@router.post("/plans/{plan_id}/rhythm")
def change_rhythm(request: Request, engine: Engine, posted: PostedForm, plan_id: Id) -> Response:
    """Change the plan's review rhythm: months between reviews and/or dates, one a line."""
    own.show(engine, posted.principal.actor, plan_id)  # 404 first
    months = posted.get("follow_up_months").strip()
    dates = [x.strip() for x in posted.get("review_dates").splitlines() if x.strip()]
    try:
        own.change_rhythm(
            engine,
            posted.principal.actor,
            plan_id,
            own.parse_rhythm({"follow_up_months": months or None, "review_dates": dates}),
        )
    except SamflowError as exc:
        return _plan(request, engine, posted.principal, plan_id, exc)
    return redirect(f"/plans/{plan_id}", done="rhythm_changed")


@router.post("/plans/{plan_id}/agenda")
def put_on_agenda(request: Request, engine: Engine, posted: PostedForm, plan_id: Id) -> Response:
    """Put the plan on the agenda of a meeting to come, chosen by its body and date (the
    meetings the plan page offers); the item's title as the person wrote it."""
    shown = own.show(engine, posted.principal.actor, plan_id)  # 404 first
    try:
        meeting = as_id(posted.get("meeting"))
        if meeting is None:
            raise InvalidInput.field("meeting", "choose a meeting", "välj ett möte")
        meetings.add_item(
            engine,
            posted.principal.actor,
            meeting,
            posted.get("title") or shown.row.title,
            "plan",
            shown.row.cycle_id,
        )
    except SamflowError as exc:
        if exc.category == "not_found":
            exc = InvalidInput.field("meeting", "choose a meeting", "välj ett möte")
        return _plan(request, engine, posted.principal, plan_id, exc)
    return redirect(f"/plans/{plan_id}", done="item_added")


@router.get("/org/positions")
def positions_page(request: Request, engine: Engine, user: PageUser) -> Response:
    """The positions with their holders (and when each held it) and the groups with their
    members, at the units the person administers (HR or a director)."""
    found = positions.overview(engine, user.actor)
    return render(request, "positions.html", positions=found.positions, groups=found.groups)
