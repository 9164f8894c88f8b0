"""API: the inbox, due first, with counts for its filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import MAX_ID, ApiUser, Engine
from api.schemas import InboxOut, reply
from engine.views import inbox as reports

router = APIRouter(tags=["inbox"])


@router.get("/inbox", response_model=InboxOut)
async def inbox(
    user: ApiUser,
    engine: Engine,
    overdue: bool = False,
    due_within_days: Annotated[int | None, Query(ge=0, le=366)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    after: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """My tasks, my roles' tasks, those I act on as substitute and those escalated to me,
    due first; ``after`` (the previous page's ``next_after``) gives the next page."""
    box = reports.inbox(
        engine,
        user.actor,
        overdue_only=overdue,
        within_days=due_within_days,
        stage=stage,
        unit_id=unit_id,
        limit=limit,
        after=reports.parse_cursor(after) if after is not None else None,
    )
    return reply(InboxOut.model_validate(box))
