"""API: the case processes of issue 10 on one set of doors, by kind (``incident``,
``safety_request``, ``manager_risk``; ``inspection`` too): register one, the list, one
case with its tasks and where its measures went, its documents (a request's receipt and
whole history as one PDF), later items (an inspection's föreläggande or förbud), and the
reporting latency of serious incidents."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id
from api.downloads import content_doc, document, safe_name
from api.schemas import reply
from api.schemas.cases import (
    CaseDetailOut,
    CaseOpenedOut,
    CaseOverviewOut,
    CaseSummaryOut,
    KindOverviewOut,
    LatencyOut,
)
from api.schemas.docs import DocFormat, DocLang, inline_schema
from engine.cases import doors, incidents
from engine.workflow.process import overview
from engine.workflow.process.cases import Draft
from forms.exports import case_docs
from forms.schemas.duties.cases import IncidentRegistration, ManagerRisk, SafetyRequest
from forms.schemas.duties.inspection import InspectionDecision, InspectionRegistration

router = APIRouter(tags=["cases"])
Kind = Annotated[
    Literal["incident", "safety_request", "manager_risk", "inspection"],
    Path(description="the kind of case"),
]
DocKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="receipt, history …")]
SUBJECT = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        inline_schema(m)
                        for m in (
                            IncidentRegistration,
                            SafetyRequest,
                            ManagerRisk,
                            InspectionRegistration,
                        )
                    ]
                }
            }
        },
    }
}
ADDITION = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(InspectionDecision)}},
    }
}
DOC = content_doc("pdf", "html", "json", json_schema={"type": "object"})


@router.get("/incidents/latency", response_model=LatencyOut)
def latency(
    user: ApiUser, engine: Engine, year: Annotated[int, Query(ge=2000, le=2100)]
) -> Response:
    """Of the incidents you may see in the year: the serious ones, how many are reported
    to Arbetsmiljöverket, and the median and longest hours from the event to the report."""
    return reply(LatencyOut.model_validate(incidents.latency(engine, user.actor, year)))


@router.get("/overview/cases", response_model=CaseOverviewOut)
def case_overview(
    user: ApiUser,
    engine: Engine,
    year: Annotated[int, Query(ge=2000, le=2100)],
    unit: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Response:
    """The year's cases you may see (within ``unit`` and below, if named), per kind: how
    many, per state (open, ready, drawn_up, closed), their open, overdue and escalated
    tasks; and the reporting latency of the serious incidents. Counted in the database."""
    kinds = overview.case_overview(engine, user.actor, year, unit_code=unit)
    lat = incidents.latency(engine, user.actor, year, unit_code=unit)
    out = CaseOverviewOut(
        year=year,
        unit=unit,
        kinds=[KindOverviewOut.model_validate(k) for k in kinds],
        latency=LatencyOut.model_validate(lat),
    )
    return reply(out)


@router.post("/cases/{kind}", response_model=CaseOpenedOut, status_code=201, openapi_extra=SUBJECT)
def register(
    kind: Kind, body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine
) -> Response:
    """Register a case of the kind with its form's fields. Who may: an incident, anyone
    with a role at the unit or above (an employee too); a request, a safety
    representative; a manager's own risk, the unit's manager; an inspection, HR or a
    director. Every bad field, and every reason it may not, is named."""
    out = doors.register(engine, user.actor, kind, body)
    return reply(CaseOpenedOut.model_validate(out), 201)


@router.get("/cases/{kind}", response_model=list[CaseSummaryOut])
def list_cases(
    kind: Kind,
    user: ApiUser,
    engine: Engine,
    unit: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
    after: Annotated[str | None, Query(max_length=40, pattern=r"^\d{4}-\d{2}-\d{2}\.\d+$")] = None,
) -> Response:
    """The cases you may see, newest first (an employee: their own registrations). With
    ``limit``: one page, keyset by date and id; ``X-Total-Count`` says how many there are
    in all and ``Link: <…>; rel="next"`` (with ``after``) where the next page starts."""
    if limit is None and after is None:
        rows = doors.cases(engine, user.actor, kind, unit_code=unit, year=year)
        return reply([CaseSummaryOut.model_validate(r) for r in rows])
    page = doors.page(
        engine, user.actor, kind, unit_code=unit, year=year, after=after, limit=limit or 50
    )
    out = reply([CaseSummaryOut.model_validate(r) for r in page.rows])
    out.headers["X-Total-Count"] = str(page.total)
    if page.next_after is not None:
        query = "&".join(
            f"{k}={v}"
            for k, v in (("unit", unit), ("year", year), ("limit", page.limit))
            if v is not None
        )
        out.headers["Link"] = f'</api/cases/{kind}?{query}&after={page.next_after}>; rel="next"'
    return out


@router.get("/cases/{kind}/{case_id}", response_model=CaseDetailOut)
def get_case(kind: Kind, case_id: Id, user: ApiUser, engine: Engine) -> Response:
    """One case: its fields, every task with who holds or gave it, its documents and
    where its measures went in the action plans. 404 for a case you may not see."""
    shown = doors.show(engine, user.actor, kind, case_id)
    body = {**vars(shown.detail), "plan_links": shown.plan_links}
    return reply(CaseDetailOut.model_validate(body))


@router.get("/cases/{kind}/{case_id}/documents/{key}", response_class=Response, responses=DOC)
def preview_document(
    kind: Kind,
    case_id: Id,
    key: DocKey,
    user: ApiUser,
    engine: Engine,
    lang: DocLang = "sv",
    format: DocFormat = "pdf",
) -> Response:
    """A document of the case as it stands now (nothing recorded)."""
    draft = doors.document(engine, user.actor, kind, case_id, key, record=False)
    return case_document(draft, lang, format, download=False)


@router.post("/cases/{kind}/{case_id}/documents/{key}", response_class=Response, responses=DOC)
def draw_up(
    kind: Kind,
    case_id: Id,
    key: DocKey,
    user: ApiUser,
    engine: Engine,
    lang: DocLang = "sv",
    format: DocFormat = "pdf",
) -> Response:
    """Draw up the document (recorded with its digest, in the case's audit chain); 409
    with every unmet reason while a gate of it does not hold."""
    draft = doors.document(engine, user.actor, kind, case_id, key, record=True)
    return case_document(draft, lang, format, download=False)


@router.post(
    "/cases/{kind}/{case_id}/additions",
    response_model=CaseOpenedOut,
    status_code=201,
    openapi_extra=ADDITION,
)
def add_items(
    kind: Kind, case_id: Id, body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine
) -> Response:
    """Later items on the case: an inspection's föreläggande or förbud, each item with
    its date and fine (vite), routed as the first ones were. HR or a director."""
    return reply(
        CaseOpenedOut.model_validate(doors.add(engine, user.actor, kind, case_id, body)), 201
    )


def case_document(draft: Draft, lang: str, fmt: str, *, download: bool) -> Response:
    doc = draft.document()
    head = next(v for v in doc["data"].values() if isinstance(v, dict) and "unit" in v)
    key = draft.kind.removeprefix("samflow.")
    name = f"{safe_name(key)}-{safe_name(str(head['ref']).replace(':', '-'))}.{fmt}"
    content: bytes | str
    if fmt == "json":
        content = json.dumps(doc, ensure_ascii=False, default=str)
    elif fmt == "html":
        content = case_docs.html(doc, draft.template, draft.title, lang)
    else:
        content = case_docs.pdf(doc, draft.template, draft.title, lang)
    return document(content, fmt, name, download=download)
