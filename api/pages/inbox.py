"""Pages: the inbox (filters, counts, claim, bulk approval with a result per task)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, PageUser, PostedForm, as_id
from api.rendering import render
from engine.context import Actor
from engine.views import inbox as reports
from engine.workflow import tasks

router = APIRouter()


@router.get("/inbox")
async def inbox_page(
    request: Request,
    engine: Engine,
    user: PageUser,
    overdue: str = "",
    week: str = "",
    stage: str = "",
    unit: str = "",
) -> Response:
    return _inbox(request, engine, user.actor, overdue, week, stage, unit)


def _inbox(
    request: Request,
    engine: Engine,
    actor: Actor,
    overdue: str = "",
    week: str = "",
    stage: str = "",
    unit: str = "",
    **extra: Any,
) -> Response:
    unit_id = as_id(unit)
    box = reports.inbox(
        engine,
        actor,
        overdue_only=bool(overdue),
        within_days=7 if week else None,
        stage=stage or None,
        unit_id=unit_id,
    )
    units = sorted(box.units.items(), key=lambda u: u[1])
    filters = {"overdue": bool(overdue), "week": bool(week), "stage": stage, "unit": unit_id}
    extra.setdefault("results", None)
    extra.setdefault("problem", None)
    return render(
        request,
        "inbox.html",
        box=box,
        filters=filters,
        units=units,
        stages=[(k, sv, en) for k, (sv, en) in box.stages.items()],
        **extra,
    )


@router.post("/inbox/approve")
def bulk_approve(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Approve the ticked approval tasks; the inbox shows each task's own result."""
    ids = [i for v in posted.form.getlist("task_ids") if isinstance(v, str) and (i := as_id(v))]
    result = tasks.bulk_approve(engine, posted.principal.actor, ids, posted.get("comment"))
    return _inbox(request, engine, posted.principal.actor, results=result.outcomes)
