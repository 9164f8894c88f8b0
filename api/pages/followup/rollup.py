"""Pages of the annual follow-up's roll-up (issue 12 §5): the year's levels (HR starts
them), one level with the summary of the level below and HR's waiver for a missing
sub-unit, and the committee's tjänsteskrivelse."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, Id, PageUser, PostedForm, lang_of
from api.errors import problem
from api.pages.followup.reports import _root, _year
from api.rendering import redirect, render
from api.routers.duties.cases import case_document
from engine.accounts.signin import Principal
from engine.domain.errors import SamflowError
from engine.reports import rollup
from engine.workflow.process import cases as processes

router = APIRouter()
REPORT = "committee_report"


@router.get("/rollup")
def levels_page(request: Request, engine: Engine, user: PageUser) -> Response:
    year = _year(request, engine)
    root = _root(request, engine, user)
    prob, rows = None, []
    try:
        rows = rollup.levels(engine, user.actor, year, root)
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        prob = problem(exc, lang_of(request))
    return render(
        request,
        "rollup/levels.html",
        status=int(prob["status"]) if prob else 200,
        rows=rows,
        year=year,
        root=root or "",
        problem=prob,
    )


@router.post("/rollup/start")
def start(request: Request, engine: Engine, posted: PostedForm) -> Response:
    text = posted.get("year")
    year = int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else 0
    root = posted.get("root") or None
    try:
        out = rollup.start(engine, posted.principal.actor, year, root)
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        return render(
            request,
            "rollup/levels.html",
            status=int(problem(exc, lang_of(request))["status"]),
            rows=[],
            year=year,
            root=root or "",
            problem=problem(exc, lang_of(request)),
        )
    if out.refused:  # say which levels could not open, beside those that did
        return render(
            request,
            "rollup/levels.html",
            rows=rollup.levels(engine, posted.principal.actor, year, root),
            year=year,
            root=root or "",
            problem=None,
            refused=out.refused,
        )
    return redirect("/rollup", year=year, done="rollup_started")


def _level(
    request: Request,
    engine: Engine,
    user: Principal,
    case_id: int,
    exc: SamflowError | None = None,
) -> Response:
    lv = rollup.level(engine, user.actor, case_id)
    detail = processes.show_case(engine, user.actor, rollup.KIND, case_id)
    prob = problem(exc, lang_of(request)) if exc else None
    return render(
        request,
        "rollup/level.html",
        status=int(prob["status"]) if prob else 200,
        lv=lv,
        c=detail,
        problem=prob,
    )


@router.get("/rollup/{case_id}")
def level_page(request: Request, engine: Engine, user: PageUser, case_id: Id) -> Response:
    return _level(request, engine, user, case_id)


@router.post("/rollup/{case_id}/waivers")
def waive(request: Request, engine: Engine, posted: PostedForm, case_id: Id) -> Response:
    try:
        rollup.waive(
            engine, posted.principal.actor, case_id, posted.get("unit"), posted.get("reason")
        )
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        return _level(request, engine, posted.principal, case_id, exc)
    return redirect(f"/rollup/{case_id}", done="waiver_recorded")


@router.get("/rollup/{case_id}/report")
def report(
    engine: Engine, user: PageUser, case_id: Id, format: str = "pdf", lang: str = "sv"
) -> Response:
    """The tjänsteskrivelse as it stands, as a file (nothing recorded)."""
    draft = processes.preview_document(engine, user.actor, rollup.KIND, case_id, REPORT)
    fmt = format if format in ("pdf", "html") else "pdf"
    return case_document(draft, "en" if lang == "en" else "sv", fmt, download=True)


@router.post("/rollup/{case_id}/report")
def draw_up(request: Request, engine: Engine, posted: PostedForm, case_id: Id) -> Response:
    """Draw it up for the committee (recorded), and download it."""
    try:
        d = processes.draw_up(engine, posted.principal.actor, rollup.KIND, case_id, REPORT)
    except SamflowError as exc:
        if exc.category in ("not_found", "forbidden"):
            raise
        return _level(request, engine, posted.principal, case_id, exc)
    return case_document(d, "en" if posted.get("lang") == "en" else "sv", "pdf", download=True)
