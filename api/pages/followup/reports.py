"""Pages: the annual follow-up across the organisation and the board's status report,
shown as pages (SVG charts, no JavaScript) with a PDF to download."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, PageUser, lang_of
from api.errors import problem
from api.rendering import render
from api.routers.followup.reports import board_document, followup_document
from engine.accounts.signin import Principal
from engine.domain.errors import NotFound, SamflowError
from engine.reports import board as board_report
from engine.reports import followup as followup_report
from engine.views.oversight import unit_choices
from forms.exports import report_docs

router = APIRouter()
KINDS = ("followup", "board")


@router.get("/reports")
def reports_page(
    request: Request, engine: Engine, user: PageUser, kind: str = "followup"
) -> Response:
    lang = lang_of(request)
    kind = kind if kind in KINDS else "followup"
    year, root = _year(request, engine), _root(request, engine, user)
    body, exc = None, None
    try:
        if kind == "followup":
            body = report_docs.followup_body(
                followup_report.build(engine, user.actor, year, root), lang
            )
        else:
            body = report_docs.board_body(board_report.build(engine, user.actor, year, root), lang)
    except SamflowError as e:
        exc = e
    prob = problem(exc, lang) if exc else None
    return render(
        request,
        "reports.html",
        status=int(prob["status"]) if prob else 200,
        kind=kind,
        year=year,
        root=root or "",
        choices=unit_choices(engine, user.actor),
        body=body,
        problem=prob,
    )


@router.get("/reports/{kind}.pdf")
def report_pdf(request: Request, engine: Engine, user: PageUser, kind: str) -> Response:
    if kind not in KINDS:
        raise NotFound("report", kind)
    lang = lang_of(request)
    year, root = _year(request, engine), _root(request, engine, user)
    if kind == "followup":
        r = followup_report.build(engine, user.actor, year, root)
        return followup_document(r, lang, "pdf", download=True)
    b = board_report.build(engine, user.actor, year, root)
    return board_document(b, lang, "pdf", download=True)


def _year(request: Request, engine: Engine) -> int:
    text = request.query_params.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else engine.clock.now().year


def _root(request: Request, engine: Engine, user: Principal) -> str | None:
    """The unit asked for, else the highest unit the person oversees (the whole
    organisation for HR and the director at the top)."""
    asked = request.query_params.get("root", "").strip()[:64]
    if asked:
        return asked
    first = unit_choices(engine, user.actor, limit=1)
    return first[0].code if first else None
