"""Pages: the inbox (sort, group and filter through the query string, saved views,
counts, claim, bulk approval with a result per task) and the home page of each role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, as_id, lang_of, on_database
from api.errors import field_messages, problem
from api.lean import Lean
from api.rendering import redirect, render
from engine.context import Actor
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput, SamflowError
from engine.reports import overview
from engine.views import home as home_view
from engine.views import inbox as reports
from engine.views import saved_views
from engine.workflow import tasks

router = APIRouter(route_class=Lean)  # GET /inbox and /home: the short way (api.lean)

#: The query parameters the inbox reads (a saved view keeps the same).
KEYS = ("sort", "group", "overdue", "week", "stage", "unit", "kind")


@router.get("/home")
def home_page(request: Request, engine: Engine, user: PageUser) -> Response:
    """What to do next, for each role the person holds."""
    h = home_view.home(engine, user.actor)
    now = engine.clock.now()
    heat = None
    if h.director:
        year = max((w.year for w in h.wheels), default=now.year)
        try:
            heat = Heat(overview.department_overview(engine, user.actor, year))
        except SamflowError:  # a director placed where the overview does not reach
            heat = None
    extend_to = (local_date(now) + timedelta(days=7)).isoformat()
    return render(request, "home.html", h=h, heat=heat, now=now, extend_to=extend_to)


@dataclass(frozen=True)
class Heat:
    """The organisation's heat map: per department, the share of open tasks overdue."""

    o: overview.Overview

    @property
    def year(self) -> int:
        return self.o.year

    @property
    def rows(self) -> list[overview.Row]:
        return self.o.rows

    @staticmethod
    def level(row: overview.Row) -> int:
        if not row.overdue or not row.open_tasks:
            return 0
        share = row.overdue / row.open_tasks
        return 1 if share < 0.1 else 2 if share < 0.25 else 3 if share < 0.5 else 4


@router.get("/inbox")
async def inbox_page(request: Request, engine: Engine, user: PageUser) -> Response:
    params = {k: request.query_params.get(k, "") for k in KEYS}
    return await on_database(engine, _inbox, request, engine, user.actor, params)


def _inbox(
    request: Request,
    engine: Engine,
    actor: Actor,
    params: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    lang = lang_of(request)
    try:
        query = saved_views.normalise(params)
    except InvalidInput as exc:  # a hand-typed query: show the default, say what was wrong
        extra.setdefault("problem", problem(exc, lang))
        query, params = "", {}
    clean = saved_views.as_params(query)
    unit_id = as_id(clean.get("unit"))
    box = reports.inbox(
        engine,
        actor,
        overdue_only=bool(clean.get("overdue")),
        within_days=7 if clean.get("week") else None,
        stage=clean.get("stage") or None,
        unit_id=unit_id,
        kind=clean.get("kind") or None,
        sort=clean.get("sort", "due"),
        group=clean.get("group", ""),
        with_views=True,
    )
    units = sorted(box.units.items(), key=lambda u: u[1])
    filters = {
        "overdue": bool(clean.get("overdue")),
        "week": bool(clean.get("week")),
        "stage": clean.get("stage", ""),
        "unit": unit_id,
        "kind": clean.get("kind", ""),
        "sort": clean.get("sort", "due"),
        "group": clean.get("group", ""),
    }
    extra.setdefault("results", None)
    extra.setdefault("problem", None)
    extra.setdefault("view_errors", {})
    extra.setdefault("titles", {})
    return render(
        request,
        "inbox.html",
        status=status,
        box=box,
        filters=filters,
        query=query,
        units=units,
        stages=[(k, sv, en) for k, (sv, en) in box.stages.items()],
        kinds=sorted(box.kinds.items(), key=lambda k: k[1][0]),
        views=box.views,
        share_units=box.share_units,
        **extra,
    )


@router.post("/inbox/approve")
def bulk_approve(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Approve the ticked approval tasks; the inbox shows each task's own result."""
    ids = [i for v in posted.form.getlist("task_ids") if isinstance(v, str) and (i := as_id(v))]
    actor = posted.principal.actor
    titles = {i.task_id: i for i in reports.inbox(engine, actor, limit=5000).items}
    result = tasks.bulk_approve(engine, actor, ids, posted.get("comment"))
    return _inbox(request, engine, actor, {}, results=result.outcomes, titles=titles)


@router.post("/inbox/views")
def save_view(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Save the inbox's current query under a name (own, or shared with a unit)."""
    actor = posted.principal.actor
    params = {k: posted.get(k) for k in KEYS}
    share = posted.get("share")
    try:
        saved_views.save(engine, actor, posted.get("name"), params, as_id(share) if share else None)
    except InvalidInput as exc:
        lang = lang_of(request)
        return _inbox(
            request,
            engine,
            actor,
            params,
            status=422,
            problem=problem(exc, lang),
            view_errors=field_messages(exc, lang),
        )
    query = saved_views.normalise(params)
    return redirect(f"/inbox?{query}" if query else "/inbox")


@router.post("/inbox/views/{view_id}/remove")
def remove_view(engine: Engine, posted: PostedForm, view_id: Id) -> Response:
    saved_views.remove(engine, posted.principal.actor, view_id)
    return redirect("/inbox", done="view_removed")
