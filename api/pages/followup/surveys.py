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
from engine.domain.errors import InvalidInput, NotPermitted, SamflowError
from engine.domain.followup.health import FACTORS
from engine.domain.followup.surveys import QUESTION_TEXT, QUESTIONS
from engine.surveys import absence, health, imports, mapping, results, roa
from engine.surveys.common import may_import
from forms import i18n

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


# --- health goals and plans ---------------------------------------------------------------
def _statuses() -> dict[str, str]:
    from forms.i18n import N_

    return {"planned": N_("Planerat"), "ongoing": N_("Pågår"), "done": N_("Klart")}


def _health_page(
    request: Request, engine: Engine, user: Principal, *, exc: SamflowError | None = None
) -> Response:
    year, root = _year(request, engine), _root(request)
    found = None
    try:
        found = health.health_year(engine, user.actor, year, root)
    except SamflowError as e:
        exc = exc or e
    prob = problem(exc, lang_of(request)) if exc else None
    lang = lang_of(request)
    own = found.plannable if found else []
    return render(
        request,
        "health.html",
        status=_status(prob),
        year=year,
        found=found,
        problem=prob,
        may_set=may_import(engine, user.actor),
        factors=FACTORS,
        statuses={k: i18n.tr(lang, v) for k, v in _statuses().items()},
        own_units=own,
    )


@router.get("/health")
def health_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _health_page(request, engine, user)


@router.post("/health/goals")
def set_health_goal(request: Request, engine: Engine, posted: PostedForm) -> Response:
    year = _year(request, engine)
    try:
        target = posted.get("target").replace(",", ".").strip()
        try:
            value = float(target)
        except ValueError:
            raise InvalidInput.field("target", "a number", "ett tal") from None
        health.set_goal(engine, posted.principal.actor, year, posted.get("code"),
                        posted.get("title"), posted.get("measure"), value,
                        posted.get("direction", "at_least"))  # fmt: skip
    except SamflowError as exc:
        return _health_page(request, engine, posted.principal, exc=exc)
    return redirect("/health", year=year, done="health_goal_set")


@router.post("/health/follow-up")
def follow_up_plan(request: Request, engine: Engine, posted: PostedForm) -> Response:
    year, unit = _year(request, engine), request.query_params.get("unit", "")[:64]
    try:
        health.follow_up(engine, posted.principal.actor, unit, year, posted.get("comment"))
    except SamflowError as exc:
        return _health_page(request, engine, posted.principal, exc=exc)
    return redirect("/health", year=year, done="health_followed_up")


ROWS = 3


def _plan_page(
    request: Request,
    engine: Engine,
    user: Principal,
    *,
    form: dict[str, Any] | None = None,
    exc: SamflowError | None = None,
) -> Response:
    year, unit = _year(request, engine), request.query_params.get("unit", "")[:64]
    plan, may = health.plan_of(engine, user.actor, unit, year)
    if not may:
        raise NotPermitted(
            "only the unit's manager or the line above may draw up its health plan",
            "bara enhetens chef eller linjen ovanför får upprätta dess hälsoplan",
        )
    lang = lang_of(request)
    if form is None:
        goals = [{"goal": g.goal, "text": g.text, "status": g.status, "value": g.value}
                 for g in (plan.goals if plan else [])]  # fmt: skip
        form = {
            "factors": plan.factors if plan else [],
            "challenges": plan.challenges if plan else "",
            "goals": goals,
        }
    blank = {"goal": "", "text": "", "status": "planned", "value": None}
    form["goals"] = list(form["goals"]) + [dict(blank)] * max(0, ROWS - len(form["goals"]))
    prob = problem(exc, lang) if exc else None
    names = {c: n for c, n, _ in health.health_year(engine, user.actor, year, unit).units}
    return render(
        request,
        "health_plan.html",
        status=_status(prob),
        year=year,
        unit=unit,
        unit_name=names.get(unit, unit),
        goals=health.goals(engine, year),
        form=form,
        factor_choices=[(k, FACTORS[k]) for k in engine.settings.health_factors if k in FACTORS],
        statuses={k: i18n.tr(lang, v) for k, v in _statuses().items()},
        problem=prob,
    )


@router.get("/health/plan")
def plan_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _plan_page(request, engine, user)


@router.post("/health/plan")
def save_plan(request: Request, engine: Engine, posted: PostedForm) -> Response:
    year, unit = _year(request, engine), request.query_params.get("unit", "")[:64]
    goals = []
    for i in range(ROWS + 20):
        if f"goal_{i}" not in posted.form:
            break
        row = {k: posted.get(f"{k}_{i}") for k in ("goal", "text", "status", "value")}
        if row["goal"] or row["text"]:
            goals.append(row)
    form = {
        "factors": [v for v in posted.form.getlist("factor") if isinstance(v, str)],
        "challenges": posted.get("challenges"),
        "goals": goals,
    }
    try:
        factors, challenges, local = health.parse_plan(engine.settings.health_factors, form)
        health.save_plan(engine, posted.principal.actor, unit, year, factors, challenges, local)
    except SamflowError as exc:
        return _plan_page(request, engine, posted.principal, form=form, exc=exc)
    return redirect("/health", year=year, done="health_plan_saved")
