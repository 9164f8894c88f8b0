"""Pages: the survey figures per unit with last year's (a chart with its table as the text
alternative), HR's survey import with a dry run and the column mappings, absence per unit,
and the ROA proposal HR confirms. Usable at 320 px: tables scroll in their own box."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import Engine, PageUser, PostedForm, lang_of
from api.errors import problem
from api.rendering import redirect, render
from engine.accounts.signin import Principal
from engine.domain.errors import InvalidInput, SamflowError
from engine.domain.surveys import QUESTION_TEXT, QUESTIONS
from engine.surveys import absence, imports, mapping, results, roa
from engine.surveys.common import may_import

router = APIRouter()


def _year(request: Request, engine: Engine) -> int:
    text = request.query_params.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else engine.clock.now().year


def _root(request: Request) -> str | None:
    return request.query_params.get("root", "").strip()[:64] or None


def _status(prob: dict[str, Any] | None) -> int:
    return int(prob["status"]) if prob else 200


def _chart(rows: list[results.UnitFigures], year: int) -> dict[str, Any]:
    """Bars of HME this year and last year per unit (0–100), shown units only."""
    bars = []
    for i, u in enumerate(rows):
        now = u.now.hme if u.now.shown else None
        last = u.last.hme if u.last is not None and u.last.shown else None
        bars.append({"label": u.name, "y": 10 + i * 44, "now": now, "last": last})
    return {"bars": bars, "height": 20 + 44 * len(bars), "year": year, "scale": 3.0}


# --- results ------------------------------------------------------------------------------
@router.get("/surveys")
def survey_page(request: Request, engine: Engine, user: PageUser) -> Response:
    year, root = _year(request, engine), _root(request)
    found, exc = None, None
    try:
        found = results.year_results(engine, user.actor, year, root)
    except SamflowError as e:
        exc = e
    prob = problem(exc, lang_of(request)) if exc else None
    top: results.UnitFigures | None = None
    children: list[results.UnitFigures] = []
    if found and found.units:
        depth = min(u.depth for u in found.units)
        tops = [u for u in found.units if u.depth == depth]
        if root is None and len(tops) > 1:
            children = tops
        else:
            top = tops[0]
            children = [u for u in found.units if u.depth == depth + 1]
    shown = ([top] if top else []) + children
    return render(
        request,
        "surveys.html",
        status=_status(prob),
        year=year,
        found=found,
        top=top,
        children=children,
        chart=_chart(shown, year) if shown else None,
        questions=[(q, QUESTION_TEXT[q]) for q in QUESTIONS],
        may_import=may_import(engine, user.actor),
        problem=prob,
    )


# --- import and mappings ------------------------------------------------------------------
def _import_page(
    request: Request,
    engine: Engine,
    user: Principal,
    *,
    report: imports.ImportReport | None = None,
    exc: SamflowError | None = None,
    kept: str = "",
    filename: str = "",
    form: dict[str, str] | None = None,
    mapping_form: dict[str, Any] | None = None,
    status: int | None = None,
) -> Response:
    prob = problem(exc, lang_of(request)) if exc else None
    specs = mapping.list_mappings(engine, user.actor)
    return render(
        request,
        "survey_import.html",
        status=status or _status(prob),
        report=report,
        problem=prob,
        kept=kept,
        filename=filename,
        form=form or {"year": str(engine.clock.now().year), "mapping": "", "survey_name": ""},
        mappings=specs,
        mapping_form=mapping_form or {"layout": "respondent", "scale_low": 1, "scale_high": 5},
        questions=[(q, QUESTION_TEXT[q]) for q in QUESTIONS],
    )


@router.get("/surveys/import")
def import_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _import_page(request, engine, user)


def _upload(posted: PostedForm, limit: int) -> tuple[str, bytes, str]:
    """(filename, content, base64 to keep) of the chosen file, else of the kept one."""
    upload = posted.form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        content = upload.file.read(limit + 1)
        if not content:
            raise InvalidInput.field("file", "the file is empty", "filen är tom")
        if len(content) > limit:
            raise InvalidInput.field(
                "file",
                f"the file is larger than {limit} bytes (SAMFLOW_SURVEY_MAX_BYTES)",
                f"filen är större än {limit} byte (SAMFLOW_SURVEY_MAX_BYTES)",
            )
        return upload.filename[:300], content, base64.b64encode(content).decode()
    kept, name = posted.get("kept"), posted.get("filename")[:300]
    if kept and name:
        try:
            content = base64.b64decode(kept, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput.field("file", "choose the file again", "välj filen igen") from None
        if len(content) > limit:
            raise InvalidInput.field("file", "the file is too large", "filen är för stor")
        return name, content, kept
    raise InvalidInput.field("file", "choose a file", "välj en fil")


@router.post("/surveys/import")
def import_survey(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Check (a dry run: nothing kept) or import; the file stays in the form between."""
    dry_run = posted.get("_action") != "apply"
    form = {k: posted.get(k) for k in ("year", "mapping", "survey_name")}
    report, exc, kept, name = None, None, "", ""
    try:
        name, content, kept = _upload(posted, engine.settings.survey_max_bytes)
        year = form["year"].strip()
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            raise InvalidInput.field(
                "year", "a year from 2000 to 2100", "ett år från 2000 till 2100"
            )
        report = imports.import_survey(
            engine,
            posted.principal.actor,
            year=int(year),
            filename=name,
            content=content,
            mapping=form["mapping"] or None,
            survey_name=form["survey_name"],
            dry_run=dry_run,
        )
    except SamflowError as e:
        exc = e
    if report is not None and report.applied:
        return redirect("/surveys", year=report.year, done="survey_imported")
    return _import_page(
        request, engine, posted.principal, report=report, exc=exc, kept=kept, filename=name,
        form=form,
    )  # fmt: skip


@router.post("/surveys/mappings")
def save_mapping(request: Request, engine: Engine, posted: PostedForm) -> Response:
    data: dict[str, Any] = {
        k: posted.get(k)
        for k in ("key", "name", "layout", "unit_column", "count_column", "invited_column")
    }
    data["columns"] = {q: posted.get(f"col_{q}") for q in QUESTIONS}
    data["scale_low"], data["scale_high"] = (
        posted.get("scale_low", "1"),
        posted.get("scale_high", "5"),
    )
    try:
        spec = mapping.parse_mapping(data)
        mapping.save_mapping(engine, posted.principal.actor, spec)
    except SamflowError as exc:
        return _import_page(request, engine, posted.principal, exc=exc, mapping_form=data)
    return redirect("/surveys/import", done="mapping_saved")


# --- absence ------------------------------------------------------------------------------
def _absence_page(
    request: Request,
    engine: Engine,
    user: Principal,
    *,
    report: absence.AbsenceReport | None = None,
    exc: SamflowError | None = None,
    kept: str = "",
    filename: str = "",
) -> Response:
    year, root = _year(request, engine), _root(request)
    rows: list[absence.UnitAbsence] = []
    try:
        rows = absence.year_absence(engine, user.actor, year, root)
    except SamflowError as e:
        exc = exc or e
    prob = problem(exc, lang_of(request)) if exc else None
    return render(
        request,
        "absence.html",
        status=_status(prob),
        year=year,
        rows=rows,
        report=report,
        problem=prob,
        kept=kept,
        filename=filename,
        may_import=may_import(engine, user.actor),
        min_headcount=engine.settings.absence_min_headcount,
    )


@router.get("/absence")
def absence_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _absence_page(request, engine, user)


@router.post("/absence/import")
def import_absence(request: Request, engine: Engine, posted: PostedForm) -> Response:
    dry_run = posted.get("_action") != "apply"
    report, exc, kept, name = None, None, "", ""
    try:
        name, content, kept = _upload(posted, engine.settings.survey_max_bytes)
        report = absence.import_absence(
            engine, posted.principal.actor, filename=name, content=content, dry_run=dry_run
        )
    except SamflowError as e:
        exc = e
    if report is not None and report.applied:
        return redirect("/absence", done="absence_imported")
    return _absence_page(
        request, engine, posted.principal, report=report, exc=exc, kept=kept, filename=name
    )


# --- ROA ----------------------------------------------------------------------------------
def _roa_page(
    request: Request, engine: Engine, user: Principal, *, exc: SamflowError | None = None
) -> Response:
    year = _year(request, engine)
    proposals: list[roa.Proposal] = []
    chosen: list[roa.SelectedUnit] = []
    try:
        proposals = roa.propose(engine, user.actor, year)
        chosen = roa.selection(engine, user.actor, year)
    except SamflowError as e:
        exc = exc or e
    prob = problem(exc, lang_of(request)) if exc else None
    s = engine.settings
    return render(
        request,
        "roa.html",
        status=_status(prob),
        year=year,
        proposals=proposals,
        chosen=chosen,
        problem=prob,
        rule={
            "threshold": s.roa_short_term_pct,
            "above": s.roa_above_comparable_pct,
            "periods": s.roa_periods,
            "by": s.roa_compare_by,
        },
    )


@router.get("/roa")
def roa_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _roa_page(request, engine, user)


@router.post("/roa")
def confirm_roa(request: Request, engine: Engine, posted: PostedForm) -> Response:
    year = _year(request, engine)
    codes = [v for v in posted.form.getlist("unit") if isinstance(v, str)]
    codes += [c for c in posted.get("extra").replace(",", " ").split() if c]
    try:
        roa.confirm(engine, posted.principal.actor, year, codes, posted.get("note"))
    except SamflowError as exc:
        return _roa_page(request, engine, posted.principal, exc=exc)
    return redirect("/roa", year=year, done="roa_confirmed")
