"""Pages: action plans in their own right (issue 11) — the list of the plans a person may
see (plans in their own right and the annual cycles' plans with a header), a new plan (its
scope and header), and one plan: its header, where it stands, what still keeps it from
being established (fastställd), its tasks, the printed plan (HTML, PDF, XLSX) and the
import of its measures (on its cycle's page, previewed first)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, lang_of
from api.errors import field_messages, problem
from api.rendering import redirect, render
from engine.accounts.signin import Principal
from engine.cases import doors
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput, SamflowError
from engine.org import positions
from engine.plans import own
from forms.fields import build, describe, field_id, known_paths
from forms.formdata import apply_row_action, clean, unflatten
from forms.schemas.plan_header import SCOPES, ActionPlanHeader

router = APIRouter()


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
    errors = field_messages(exc, lang) if isinstance(exc, InvalidInput) else {}
    fields = build(ActionPlanHeader, data, errors)
    prob = problem(exc, lang) if exc else None
    if prob:
        known = known_paths(fields)
        for e in prob["errors"]:
            if e["path"] in known:
                e["anchor"], e["label"] = (
                    field_id(e["path"]),
                    describe(ActionPlanHeader, e["path"], lang),
                )
    return render(
        request,
        "plan_new.html",
        status=int(prob["status"]) if prob else 200,
        title=ActionPlanHeader,
        fields=fields,
        units=units,
        problem=prob,
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
    shown = own.show(engine, user.actor, plan_id)
    return render(request, "plan_own.html", p=shown, r=shown.row, scopes=SCOPES)


@router.get("/org/positions")
def positions_page(request: Request, engine: Engine, user: PageUser) -> Response:
    """The positions with their holders (and when each held it) and the groups with their
    members, at the units the person administers (HR or a director)."""
    found = positions.overview(engine, user.actor)
    return render(request, "positions.html", positions=found.positions, groups=found.groups)
