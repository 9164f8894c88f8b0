"""API: searching the audit log (unit with or without everything under it, person,
action, period), a page at a time, or every match as CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from api.deps import ApiUser, Engine, Lang
from api.downloads import file_headers
from api.schemas import reply
from api.schemas.docs import AuditPageOut, AuditRowOut
from engine.audit import search as audit_search
from engine.context import Actor, App
from engine.views import audit_export
from forms.exports import audit_csv

router = APIRouter(tags=["audit"])
MAX_PAGE = 1_000_000
BOM = "\ufeff"  # so that Excel reads the file as UTF-8 (å, ä, ö)


@router.get("/audit", response_model=AuditPageOut)
def search(
    user: ApiUser,
    engine: Engine,
    unit: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    subtree: bool = False,
    person: Annotated[str | None, Query(min_length=1, max_length=254)] = None,
    action: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="e.g. task.returned, or task.*"),
    ] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=audit_search.MAX_PAGE_SIZE)] = 50,
    before: Annotated[
        int | None,
        Query(ge=1, le=audit_search.MAX_CURSOR, description="the page older than this event"),
    ] = None,
    after: Annotated[
        int | None,
        Query(ge=1, le=audit_search.MAX_CURSOR, description="the page newer than this event"),
    ] = None,
) -> Response:
    """Newest first. Without a unit: the whole organisation (HR, the director). The total
    is counted up to 10,000 (``capped`` when there are more); page numbers reach that far,
    the cursors ``older``/``newer`` (as ``before``/``after``) the whole log."""
    q = audit_search.AuditQuery(unit, subtree, person, action, date_from, date_to)
    p = audit_search.search(
        engine, user.actor, q, page=page, page_size=page_size, before=before, after=after
    )
    return reply(
        AuditPageOut(
            rows=[row_out(r) for r in p.rows],
            total=p.total,
            capped=p.capped,
            page=p.page,
            page_size=p.page_size,
            pages=p.pages,
            older=p.older,
            newer=p.newer,
        )
    )


def row_out(r: audit_search.AuditRow) -> AuditRowOut:
    return AuditRowOut.model_validate({**r.__dict__, "data": _data(r.data)})


def _data(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@router.get(
    "/audit/csv",
    response_class=StreamingResponse,
    responses={200: {"description": "CSV, UTF-8 with BOM", "content": {"text/csv": {}}}},
)
def export(
    user: ApiUser,
    engine: Engine,
    lang: Lang,
    unit: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    subtree: bool = False,
    person: Annotated[str | None, Query(min_length=1, max_length=254)] = None,
    action: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    columns: Literal["readable", "log"] = "readable",
) -> StreamingResponse:
    """Every match, oldest first, streamed (cells a spreadsheet would run as a formula are
    prefixed with '). ``readable`` (the default): time in Swedish local time, people by
    name, the action in words in ``lang``, what it concerns by name, the unit, the reason;
    ``log``: the log's own columns (ids, chain, event names, data, hashes) for programs."""
    q = audit_search.AuditQuery(unit, subtree, person, action, date_from, date_to)
    return csv_reply(engine, user.actor, q, lang if columns == "readable" else None)


def csv_reply(
    engine: App, actor: Actor, q: audit_search.AuditQuery, lang: str | None
) -> StreamingResponse:
    """Access and filters are checked before the first byte is sent (a refusal is then
    still a proper 403/404, not a broken download). ``lang``: readable columns in that
    language; None: the log's own columns."""
    audit_search.search(engine, actor, q, page=1, page_size=1)
    lines = (
        audit_csv.lines(audit_export.readable_events(engine, actor, q), lang)
        if lang
        else audit_search.export_csv(engine, actor, q)
    )
    return StreamingResponse(
        _with_bom(lines),
        media_type="text/csv; charset=utf-8",
        headers=file_headers("samflow-logg.csv"),
    )


def _with_bom(lines: Iterator[str]) -> Iterator[bytes]:
    """The lines in chunks of about 64 kB, the byte order mark first."""
    chunk = [BOM]
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line)
        if size > 65_536:
            yield "".join(chunk).encode()
            chunk, size = [], 0
    yield "".join(chunk).encode()
