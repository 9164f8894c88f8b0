"""API: the year per department (stage reached, overdue, escalated, span of control)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import MAX_ID, ApiUser, Engine
from api.schemas import reply
from api.schemas.cycles import OverviewOut, OverviewRowOut, StageLabelOut
from engine.reports import overview

router = APIRouter(tags=["overview"])


@router.get("/overview", response_model=OverviewOut)
def year_overview(
    user: ApiUser,
    engine: Engine,
    year: Annotated[int, Query(ge=2000, le=2100)],
    root: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    o = overview.department_overview(engine, user.actor, year, root)
    return reply(
        OverviewOut(
            year=o.year,
            span_threshold=o.span_threshold,
            stages=[StageLabelOut(key=k, title_sv=sv, title_en=en) for k, sv, en in o.stages],
            rows=[OverviewRowOut.model_validate(r) for r in o.rows],
            total=OverviewRowOut.model_validate(o.total),
        )
    )
