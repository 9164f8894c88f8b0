"""API: the annual follow-up rolls up (issue 12 §5). Start the year's levels (a
department's in February, the administration's in March), every level with the summary
of the level below, one level, HR's waiver for a missing sub-unit, and the committee's
tjänsteskrivelse (preview, or drawn up and recorded)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from api.deps import ApiUser, Engine, Id
from api.downloads import content_doc
from api.routers.duties.cases import case_document
from api.schemas import In, reply
from api.schemas.docs import DocFormat, DocLang
from api.schemas.rollup import LevelOut, StartedOut
from engine.reports import rollup
from engine.workflow.process import cases as processes

router = APIRouter(tags=["rollup"])
Year = Annotated[int, Query(ge=2000, le=2100)]
Root = Annotated[str | None, Query(min_length=1, max_length=64)]
REPORT = "committee_report"
DOC = content_doc("pdf", "html", "json", json_schema={"type": "object"})


class StartIn(In):
    year: int = Field(ge=2000, le=2100)
    root: str | None = Field(None, min_length=1, max_length=64)


class WaiverIn(In):
    unit: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=rollup.MAX_REASON)


@router.post("/rollup/start", response_model=StartedOut, status_code=201)
def start(body: StartIn, user: ApiUser, engine: Engine) -> Response:
    """A level for every unit with units below it (HR or a director over the root); a
    unit that already has its level for the year is left as it is."""
    out = rollup.start(engine, user.actor, body.year, body.root)
    return reply(StartedOut.model_validate(out), 201)


@router.get("/rollup", response_model=list[LevelOut])
def levels(user: ApiUser, engine: Engine, year: Year, root: Root = None) -> Response:
    """Every level under the root with each sub-unit's state, figures and what it said."""
    return reply(
        [LevelOut.model_validate(lv) for lv in rollup.levels(engine, user.actor, year, root)]
    )


@router.get("/rollup/{case_id}", response_model=LevelOut)
def level(case_id: Id, user: ApiUser, engine: Engine) -> Response:
    """One level; 404 for a level you may not see."""
    return reply(LevelOut.model_validate(rollup.level(engine, user.actor, case_id)))


@router.post("/rollup/{case_id}/waivers", status_code=204)
def waive(case_id: Id, body: WaiverIn, user: ApiUser, engine: Engine) -> Response:
    """HR lets the level close without a missing sub-unit's follow-up, with the reason
    (recorded in the level's audit chain)."""
    rollup.waive(engine, user.actor, case_id, body.unit, body.reason)
    return Response(status_code=204)


@router.get("/rollup/{case_id}/report", response_class=Response, responses=DOC)
def report(
    case_id: Id,
    user: ApiUser,
    engine: Engine,
    lang: DocLang = "sv",
    format: DocFormat = "pdf",
) -> Response:
    """The tjänsteskrivelse as it stands (nothing recorded)."""
    draft = processes.preview_document(engine, user.actor, rollup.KIND, case_id, REPORT)
    return case_document(draft, lang, format, download=False)


@router.post("/rollup/{case_id}/report", response_class=Response, responses=DOC)
def draw_up(
    case_id: Id,
    user: ApiUser,
    engine: Engine,
    lang: DocLang = "sv",
    format: DocFormat = "pdf",
) -> Response:
    """Draw the tjänsteskrivelse up for the committee (recorded with its digest); 409 while
    the level is not closed."""
    draft = processes.draw_up(engine, user.actor, rollup.KIND, case_id, REPORT)
    return case_document(draft, lang, format, download=False)
