"""Pages: a cycle (timeline, sign-off checklist, risks, the action plan, the audit
history), signing off a stage, judging a risk's seriousness, cancelling."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, as_id, lang_of
from api.errors import problem
from api.pages import redirect, render
from engine.domain.errors import SamflowError
from engine.services import cycles, plans, views
from engine.services.accounts import Principal

router = APIRouter()


@router.get("/cycles/{cycle_id}")
def cycle_page(request: Request, engine: Engine, user: PageUser, cycle_id: Id) -> Response:
    return _page(request, engine, user, cycle_id)


def _page(
    request: Request,
    engine: Engine,
    user: Principal,
    cycle_id: Id,
    exc: SamflowError | None = None,
) -> Response:
    c = views.cycle_detail(engine, user.actor, cycle_id)
    prob = problem(exc, lang_of(request)) if exc is not None else None
    points = [(r.probability, r.consequence, str(r.position)) for r in c.view.risks]
    return render(
        request,
        "cycle.html",
        status=int(prob["status"]) if prob else 200,
        c=c,
        problem=prob,
        matrix_points=points,
    )


def _act(
    request: Request,
    engine: Engine,
    posted: PostedForm,
    cycle_id: Id,
    work: Callable[[], None],
    done: str,
) -> Response:
    """Act on a visible cycle; a refusal (e.g. every unmet reason) shows on its page."""
    views.see_cycle(engine, posted.principal.actor, cycle_id)
    try:
        work()
    except SamflowError as exc:
        return _page(request, engine, posted.principal, cycle_id, exc)
    return redirect(f"/cycles/{cycle_id}", done=done)


@router.post("/cycles/{cycle_id}/sign-off")
def sign_off(request: Request, engine: Engine, posted: PostedForm, cycle_id: Id) -> Response:
    def work() -> None:
        cycles.sign_off_stage(engine, posted.principal.actor, cycle_id, posted.get("stage"))

    return _act(request, engine, posted, cycle_id, work, "signed_off")


@router.post("/cycles/{cycle_id}/cancel")
def cancel(request: Request, engine: Engine, posted: PostedForm, cycle_id: Id) -> Response:
    def work() -> None:
        cycles.cancel_cycle(engine, posted.principal.actor, cycle_id, posted.get("reason"))

    return _act(request, engine, posted, cycle_id, work, "cancelled")


@router.post("/risks/{risk_id}/serious")
def risk_serious(request: Request, engine: Engine, posted: PostedForm, risk_id: Id) -> Response:
    cycle = posted.get("cycle")
    cycle_id = as_id(cycle) or 0

    def work() -> None:
        serious = posted.get("serious") == "true"
        plans.set_risk_seriousness(engine, posted.principal.actor, risk_id, serious)

    return _act(request, engine, posted, cycle_id, work, "assessed")
