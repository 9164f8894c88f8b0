"""API: the annual follow-up across the organisation and the board's status report, as
JSON (the figures), HTML (a page with SVG charts) or PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import ApiUser, Engine
from api.downloads import content_doc, document, safe_name
from api.schemas.docs import BoardOut, DocFormat, DocLang, FollowUpOut
from engine.reports import board as board_report
from engine.reports import followup as followup_report
from engine.reports.board import BoardReport
from engine.reports.followup import FollowUpReport
from forms.exports import report_docs

router = APIRouter(tags=["reports"])
Year = Annotated[int, Query(ge=2000, le=2100)]
Root = Annotated[
    str | None,
    Query(min_length=1, max_length=64, description="A unit's code (default: the top)"),
]


@router.get(
    "/reports/followup",
    response_class=Response,
    responses=content_doc("json", "html", "pdf", model=FollowUpOut),
)
def followup(
    user: ApiUser,
    engine: Engine,
    year: Year,
    root: Root = None,
    lang: DocLang = "sv",
    format: DocFormat = "json",
) -> Response:
    """Per department: signed-off risk assessments, approved plans, measures done on time
    and overdue, returned tasks, escalations."""
    r = followup_report.build(engine, user.actor, year, root)
    return followup_document(r, lang, format, download=False)


@router.get(
    "/reports/board",
    response_class=Response,
    responses=content_doc("json", "html", "pdf", model=BoardOut),
)
def board(
    user: ApiUser,
    engine: Engine,
    year: Year,
    root: Root = None,
    lang: DocLang = "sv",
    format: DocFormat = "json",
) -> Response:
    """Each activity done / ongoing / planned, the survey index year over year (never
    below the anonymity threshold), span of control."""
    r = board_report.build(engine, user.actor, year, root)
    return board_document(r, lang, format, download=False)


def followup_document(r: FollowUpReport, lang: str, fmt: str, *, download: bool) -> Response:
    name = f"uppfoljning-{safe_name(r.root_code or 'alla')}-{r.year}.{fmt}"
    if fmt == "json":
        body = FollowUpOut.model_validate(r).model_dump_json()
        return document(body, fmt, name, download=download)
    render = report_docs.followup_pdf if fmt == "pdf" else report_docs.followup_html
    return document(render(r, lang), fmt, name, download=download)


def board_document(r: BoardReport, lang: str, fmt: str, *, download: bool) -> Response:
    name = f"statusrapport-{safe_name(r.root_code or 'alla')}-{r.year}.{fmt}"
    if fmt == "json":
        body = BoardOut.model_validate(r).model_dump_json()
        return document(body, fmt, name, download=download)
    render = report_docs.board_pdf if fmt == "pdf" else report_docs.board_html
    return document(render(r, lang), fmt, name, download=download)
