"""Pages: the organisation (units, role holders, cycles), substitutes, and importing the
organisation from CSV with a preview of what changes."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import Engine, Id, PageUser, PostedForm, lang_of, parse_date
from api.errors import field_messages, problem
from api.rendering import redirect, render
from engine.accounts.signin import Principal
from engine.domain.errors import InvalidInput, NotFound, SamflowError
from engine.domain.imports.text import decode
from engine.org import admin as org
from engine.org import pending as org_pending
from engine.org import view as orgview
from engine.views import detail as views
from engine.workflow import templates
from engine.workflow.batch import org_import as org_import_job

router = APIRouter()


@cache
def _stage_titles() -> dict[str, tuple[str, str]]:
    """Stage key -> (sv, en) title, of the templates shipped (a cycle names its stage by key)."""
    out: dict[str, tuple[str, str]] = {}
    for text in templates.packaged().values():
        for st in templates.parse(text).stages:
            out.setdefault(st.key, (st.title.sv, st.title.en))
    return out


@router.get("/org")
def org_top(request: Request, engine: Engine, user: PageUser) -> Response:
    page = orgview.unit_page(engine, user.actor)
    return render(request, "org.html", p=page, stage_titles=_stage_titles())


@router.get("/org/units/{unit_id}")
def org_unit(request: Request, engine: Engine, user: PageUser, unit_id: Id) -> Response:
    page = orgview.unit_page(engine, user.actor, unit_id)
    return render(request, "org.html", p=page, stage_titles=_stage_titles())


@router.get("/org/substitutes")
def substitutes(request: Request, engine: Engine, user: PageUser, q: str = "") -> Response:
    """The list and the form; ``q`` finds people by name or e-mail (to pick a substitute)."""
    return _substitutes(request, engine, user, query=q.strip()[:100])


def _substitutes(
    request: Request,
    engine: Engine,
    user: Principal,
    form: dict[str, str] | None = None,
    exc: SamflowError | None = None,
    query: str = "",
) -> Response:
    lang = lang_of(request)
    found = orgview.find_people(engine, user.actor, query) if len(query) >= 2 else []
    return render(
        request,
        "substitutes.html",
        query=query,
        found=found,
        status=int(problem(exc, lang)["status"]) if exc else 200,
        rows=orgview.substitutes(engine, user.actor),
        form=form or {},
        errors=field_messages(exc, lang) if isinstance(exc, InvalidInput) else {},
        problem=problem(exc, lang) if exc else None,
    )


@router.post("/org/substitutes")
def set_substitute(request: Request, engine: Engine, posted: PostedForm) -> Response:
    names = ("person_email", "for_email", "valid_from", "valid_to", "reason")
    form = {n: posted.get(n).strip() for n in names}
    try:
        org.set_substitute(
            engine,
            posted.principal.actor,
            form["person_email"],
            form["for_email"],
            parse_date(form["valid_from"], "valid_from"),
            parse_date(form["valid_to"], "valid_to"),
            form["reason"],
        )
    except SamflowError as exc:
        return _substitutes(request, engine, posted.principal, form, exc)
    return redirect("/org/substitutes", done="substitute_set")


@router.post("/org/substitutes/{substitute_id}/end")
def end_substitute(
    request: Request, engine: Engine, posted: PostedForm, substitute_id: Id
) -> Response:
    try:
        org.end_substitute(engine, posted.principal.actor, substitute_id)
    except SamflowError as exc:
        return _substitutes(request, engine, posted.principal, exc=exc)
    return redirect("/org/substitutes", done="substitute_ended")


@router.get("/org/import")
def import_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _import(request, engine, user)


def _import(
    request: Request,
    engine: Engine,
    user: Principal,
    *,
    report: org.ImportReport | None = None,
    exc: SamflowError | None = None,
    units_csv: str = "",
    people_csv: str = "",
) -> Response:
    """The import form, what a preview or import changes, and the held imports."""
    prob = problem(exc, lang_of(request)) if exc else None
    done = ""
    if report and report.held:
        done = "import_held"
    elif report and report.applied:
        done = "imported"
    return render(
        request,
        "import.html",
        status=int(prob["status"]) if prob else (202 if report and report.held else 200),
        report=report,
        problem=prob,
        units_csv=units_csv,
        people_csv=people_csv,
        pending=org_pending.pending(engine, user.actor),
        done=done or request.query_params.get("done", ""),
    )


@router.post("/org/import")
def import_org(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Preview (a dry run: nothing changes) or apply; the CSV stays in the form between."""
    dry_run = posted.get("_action") != "apply"
    report, exc = None, None
    units_csv, people_csv = posted.get("units_csv"), posted.get("people_csv")
    try:
        units_csv = _text(posted, "units_file", "units_csv")
        people_csv = _text(posted, "people_file", "people_csv")
        if not dry_run and org_import_job.needs_job(engine, units_csv, people_csv):
            launcher = request.app.state.document_launcher
            actor = posted.principal.actor
            queued = org_import_job.request(engine, actor, units_csv, people_csv, launcher.name)
            if queued.job_id is not None:
                launcher.submit(queued.job_id)
                return redirect(f"/org/import/jobs/{queued.job_id}")
            report = queued.held
        else:
            report = org.import_org(
                engine, posted.principal.actor, units_csv, people_csv, dry_run=dry_run
            )
    except SamflowError as e:
        exc = e
    return _import(
        request,
        engine,
        posted.principal,
        report=report,
        exc=exc,
        units_csv=units_csv,
        people_csv=people_csv,
    )


@router.post("/org/import/pending/{pending_id}/confirm")
def confirm_import(
    request: Request, engine: Engine, posted: PostedForm, pending_id: Id
) -> Response:
    """A second HR person applies a held import (the hash says which files they saw)."""
    try:
        org.confirm_import(engine, posted.principal.actor, pending_id, posted.get("content_hash"))
    except SamflowError as exc:
        return _import(request, engine, posted.principal, exc=exc)
    return redirect("/org/import", done="import_confirmed")


@router.post("/org/import/pending/{pending_id}/refuse")
def refuse_import(request: Request, engine: Engine, posted: PostedForm, pending_id: Id) -> Response:
    try:
        org_pending.refuse(engine, posted.principal.actor, pending_id, posted.get("reason"))
    except SamflowError as exc:
        return _import(request, engine, posted.principal, exc=exc)
    return redirect("/org/import", done="import_refused")


@router.get("/org/import/jobs/{job_id}")
def import_job_page(request: Request, engine: Engine, user: PageUser, job_id: Id) -> Response:
    job = views.job(engine, user.actor, job_id)
    if job.kind != org_import_job.KIND:
        raise NotFound("job", job_id)
    return render(request, "import_job.html", job=job)


def _text(posted: PostedForm, file_field: str, text_field: str) -> str:
    """An uploaded CSV file (read by ``text.decode``), else the pasted text."""
    upload = posted.form.get(file_field)
    if isinstance(upload, UploadFile) and upload.filename:
        return decode(upload.filename, upload.file.read(20_000_000))
    return posted.get(text_field).lstrip("\ufeff")
