"""Pages: searching the audit log (unit, with or without the units under it; person;
action; period), a page at a time, with a CSV export of every match."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, PageUser, lang_of
from api.errors import field_messages, problem
from api.rendering import render
from api.routers.records.audit import csv_reply
from engine.accounts.signin import Principal
from engine.audit import search as audit_search
from engine.domain.errors import InvalidInput, SamflowError
from engine.views.oversight import unit_choices

router = APIRouter()
FILTERS = ("unit", "subtree", "person", "action", "from", "to")
PAGE_SIZE = 50


@router.get("/audit")
def audit_page(request: Request, engine: Engine, user: PageUser) -> Response:
    form = _form(request, engine, user)
    lang = lang_of(request)
    page, exc = None, None
    try:
        number = int(form["page"]) if form["page"].isdigit() else 1
        page = audit_search.search(
            engine,
            user.actor,
            _query(form),
            page=max(1, min(number, 10**6)),
            page_size=PAGE_SIZE,
            before=_cursor(form["before"]),
            after=_cursor(form["after"]),
        )
    except SamflowError as e:
        exc = e
    prob = problem(exc, lang) if exc else None
    params = {k: form[k] for k in FILTERS if form[k]}
    return render(
        request,
        "audit.html",
        status=int(prob["status"]) if prob else 200,
        form=form,
        page=page,
        problem=prob,
        errors=field_messages(exc, lang) if isinstance(exc, InvalidInput) else {},
        choices=unit_choices(engine, user.actor),
        query=urlencode(params),
    )


@router.get("/audit.csv")
def audit_csv(request: Request, engine: Engine, user: PageUser) -> Response:
    form = _form(request, engine, user)
    return csv_reply(engine, user.actor, _query(form), lang_of(request))


def _form(request: Request, engine: Engine, user: Principal) -> dict[str, str]:
    """The filters as asked; with none at all, the person's own units (a search without
    a unit is for those who see the whole organisation)."""
    q = request.query_params
    form = {k: q.get(k, "").strip()[:254] for k in (*FILTERS, "page", "before", "after")}
    if not any(form[k] for k in FILTERS) and "unit" not in q:
        first = unit_choices(engine, user.actor, limit=1)
        if first:
            form["unit"], form["subtree"] = first[0].code, "1"
    return form


def _query(form: dict[str, str]) -> audit_search.AuditQuery:
    return audit_search.AuditQuery(
        unit_code=form["unit"] or None,
        subtree=form["subtree"] in ("1", "on", "true"),
        person_email=form["person"] or None,
        action=form["action"] or None,
        date_from=_date(form["from"], "from"),
        date_to=_date(form["to"], "to"),
    )


def _cursor(text: str) -> int | None:
    """A page's cursor from the query (an event number); anything else is the first page."""
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _date(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.field(
            field, "give a date as YYYY-MM-DD", "ange ett datum som ÅÅÅÅ-MM-DD"
        ) from None
