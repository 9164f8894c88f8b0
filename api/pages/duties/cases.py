"""Pages of the case processes of issue 10, by kind: the list, registering one (a short
form built from its schema, usable on a phone), one case with its tasks, documents and
where its measures went, and later items (an inspection's föreläggande or förbud)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, lang_of
from api.refused import form_fields, refused
from api.rendering import redirect, render
from api.routers.duties.cases import case_document
from engine.accounts.signin import Principal
from engine.cases import doors, incidents
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput, NotFound, SamflowError
from engine.workflow.process import cases as processes
from forms.fields import build
from forms.formdata import apply_row_action, clean, unflatten
from forms.schemas.registry import schema_for

router = APIRouter()
KINDS = ("incident", "safety_request", "manager_risk")
#: Cases a page of the list shows.
PAGE = 50


def _kind(kind: str) -> str:
    if kind not in doors.KINDS:
        raise NotFound("process", kind)
    return kind


@router.get("/cases/{kind}")
def cases_page(
    request: Request, engine: Engine, user: PageUser, kind: str, after: str | None = None
) -> Response:
    """The cases of a kind the person may see, a page at a time (newest first, 50 a page,
    keyset by date and id), and a link to register one."""
    _kind(kind)
    year = local_date(engine.clock.now()).year
    try:
        page = doors.page(engine, user.actor, kind, after=after, limit=PAGE)
    except InvalidInput:  # a cursor mangled by hand: the first page
        page = doors.page(engine, user.actor, kind, limit=PAGE)
        after = None
    latency = incidents.latency(engine, user.actor, year) if kind == "incident" else None
    return render(
        request,
        "cases.html",
        kind=kind,
        title=processes.subject_of(kind).title,
        rows=page.rows,
        total=page.total,
        next_after=page.next_after,
        first_page=after is None,
        may_register=kind not in doors.NOT_REGISTERED_HERE
        and bool(doors.register_units(engine, user.actor, kind)),
        latency=latency,
        year=year,
    )


@router.get("/cases/{kind}/new")
def new_page(request: Request, engine: Engine, user: PageUser, kind: str) -> Response:
    if kind in ("roa_review", "allocation_return"):  # opened by HR's selection, a return
        raise NotFound("process", kind)
    return _new(request, engine, user, _kind(kind))


def _new(
    request: Request,
    engine: Engine,
    user: Principal,
    kind: str,
    data: dict[str, Any] | None = None,
    exc: SamflowError | None = None,
) -> Response:
    lang = lang_of(request)
    sub = processes.subject_of(kind)
    assert sub.form is not None
    schema = schema_for(sub.form)
    units = doors.register_units(engine, user.actor, kind)
    if data is None:
        today = local_date(engine.clock.now()).isoformat()
        data = {f: today for f in (sub.date,) if f}
        if len(units) == 1:
            data[sub.unit] = units[0].code
    fields, no = form_fields(schema, data, exc, lang)
    return render(
        request,
        "case_new.html",
        status=no.status,
        kind=kind,
        title=schema,
        fields=fields,
        units=units,
        unit_field=sub.unit,
        problem=no.problem,
    )


@router.post("/cases/{kind}/new")
def register(request: Request, engine: Engine, posted: PostedForm, kind: str) -> Response:
    if kind in ("roa_review", "allocation_return"):
        raise NotFound("process", kind)
    sub = processes.subject_of(_kind(kind))
    assert sub.form is not None
    schema = schema_for(sub.form)
    raw = unflatten((k, v) for k, v in posted.form.multi_items() if isinstance(v, str))
    action = posted.get("_action")
    if action.startswith(("add:", "remove:")):
        return _new(request, engine, posted.principal, kind, apply_row_action(schema, raw, action))
    try:
        out = doors.register(engine, posted.principal.actor, kind, clean(schema, raw))
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        return _new(request, engine, posted.principal, kind, raw, exc)
    if kind == "safety_round":  # a round is done on its own page
        return redirect(f"/rounds/{out.case_id}", done="case_registered")
    return redirect(f"/cases/{kind}/{out.case_id}", done="case_registered")


@router.get("/cases/{kind}/{case_id}")
def case_page(request: Request, engine: Engine, user: PageUser, kind: str, case_id: Id) -> Response:
    return _case(request, engine, user, _kind(kind), case_id)


def _case(
    request: Request,
    engine: Engine,
    user: Principal,
    kind: str,
    case_id: int,
    exc: SamflowError | None = None,
) -> Response:
    shown = doors.show(engine, user.actor, kind, case_id)
    sub = processes.subject_of(kind)
    assert sub.form is not None
    no = refused(exc, lang_of(request))
    return render(
        request,
        "case.html",
        status=no.status,
        c=shown.detail,
        s=shown.detail.summary,
        fields=build(schema_for(sub.form), shown.detail.data, {}),
        links=shown.plan_links,
        problem=no.problem,
        today=local_date(engine.clock.now()),
    )


@router.get("/cases/{kind}/{case_id}/documents/{key}")
def document_file(
    engine: Engine,
    user: PageUser,
    kind: str,
    case_id: Id,
    key: str,
    format: str = "pdf",
    lang: str = "sv",
) -> Response:
    """A document as it stands, as a file (nothing recorded)."""
    draft = doors.document(engine, user.actor, _kind(kind), case_id, key, record=False)
    fmt = format if format in ("pdf", "html") else "pdf"
    return case_document(draft, "en" if lang == "en" else "sv", fmt, download=True)


@router.post("/cases/{kind}/{case_id}/documents/{key}")
def draw_up(
    request: Request, engine: Engine, posted: PostedForm, kind: str, case_id: Id, key: str
) -> Response:
    """Draw up and record the document, and download it; a refusal shows on the page."""
    try:
        d = doors.document(engine, posted.principal.actor, _kind(kind), case_id, key, record=True)
    except SamflowError as exc:
        if exc.category in ("not_found", "forbidden"):
            raise
        return _case(request, engine, posted.principal, kind, case_id, exc)
    lang = "en" if posted.get("lang") == "en" else "sv"
    return case_document(d, lang, "pdf", download=True)


@router.get("/cases/{kind}/{case_id}/additions")
def addition_page(
    request: Request, engine: Engine, user: PageUser, kind: str, case_id: Id
) -> Response:
    return _addition(request, engine, user, _kind(kind), case_id)


def _addition(
    request: Request,
    engine: Engine,
    user: Principal,
    kind: str,
    case_id: int,
    data: dict[str, Any] | None = None,
    exc: SamflowError | None = None,
) -> Response:
    lang = lang_of(request)
    shown = doors.show(engine, user.actor, kind, case_id)  # 404 for what one may not see
    if not shown.detail.may_add:
        raise NotFound("process", kind)
    schema = schema_for("inspection_decision")
    if data is None:
        data = {"decided_on": date.isoformat(local_date(engine.clock.now())), "requirements": [{}]}
    fields, no = form_fields(schema, data, exc, lang)
    return render(
        request,
        "case_addition.html",
        status=no.status,
        c=shown.detail,
        s=shown.detail.summary,
        fields=fields,
        problem=no.problem,
    )


@router.post("/cases/{kind}/{case_id}/additions")
def add(request: Request, engine: Engine, posted: PostedForm, kind: str, case_id: Id) -> Response:
    schema = schema_for("inspection_decision")
    raw = unflatten((k, v) for k, v in posted.form.multi_items() if isinstance(v, str))
    action = posted.get("_action")
    if action.startswith(("add:", "remove:")):
        data = apply_row_action(schema, raw, action)
        return _addition(request, engine, posted.principal, _kind(kind), case_id, data)
    try:
        doors.add(engine, posted.principal.actor, _kind(kind), case_id, clean(schema, raw))
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        return _addition(request, engine, posted.principal, kind, case_id, raw, exc)
    return redirect(f"/cases/{kind}/{case_id}", done="items_added")
