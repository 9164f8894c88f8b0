"""Pages: the evidence package for Arbetsmiljöverket (choose unit, scope and year; download
HTML or PDF, a large PDF made in the background with a progress page), and checking a
package handed out earlier (the verdict in words, each difference named)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api import evidence_http
from api.deps import Engine, Id, PageUser, PostedForm, lang_of
from api.downloads import file_headers, read_upload
from api.errors import field_messages, problem
from api.rendering import redirect, render
from engine.accounts.signin import Principal
from engine.domain.errors import InvalidInput, NotFound, SamflowError
from engine.evidence import jobs as evidence_jobs
from engine.evidence import package as evidence
from engine.evidence import verify as evidence_verify
from engine.views import detail as views
from engine.views import job_files
from engine.views.oversight import unit_choices
from engine.workflow.batch import jobs

router = APIRouter()
FIELDS = ("code", "other_code", "scope", "year", "lang", "format", "reference")


@router.get("/evidence")
def evidence_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _page(request, engine, user)


def _page(
    request: Request,
    engine: Engine,
    user: Principal,
    form: dict[str, str] | None = None,
    exc: SamflowError | None = None,
    **extra: Any,
) -> Response:
    lang = lang_of(request)
    prob = problem(exc, lang) if exc else None
    now = engine.clock.now()
    return render(
        request,
        "evidence.html",
        status=int(prob["status"]) if prob else 200,
        form=form or {"scope": "unit", "year": str(now.year), "lang": lang, "format": "pdf"},
        errors=field_messages(exc, lang) if isinstance(exc, InvalidInput) else {},
        problem=prob,
        choices=unit_choices(engine, user.actor),
        recent=[
            j
            for j in jobs.recent(engine, evidence_jobs.KIND, 100)
            if j.created_by == user.person_id
        ][:10],
        **{"verified": None, **extra},
    )


@router.post("/evidence/package")
def package(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Download now (a unit's package, a small subtree's, any HTML); a large subtree's PDF
    becomes a job and the page that follows it."""
    form = {n: posted.get(n).strip() for n in FIELDS}
    actor = posted.principal.actor
    try:
        scope = _scope(form)
        lang, fmt = _choice(form, "lang", ("sv", "en")), _choice(form, "format", ("pdf", "html"))
        if fmt == "pdf" and scope.kind == "subtree":
            units = evidence_jobs.check(engine, actor, scope)
            if units > engine.settings.evidence_direct_units:
                launcher = request.app.state.document_launcher
                job_id = evidence_jobs.request(
                    engine, actor, scope, lang, launcher.name, form["reference"]
                )
                launcher.submit(job_id)
                return redirect(f"/evidence/jobs/{job_id}")
        return evidence_http.package(
            engine, actor, scope, lang, fmt, download=True, reference=form["reference"]
        )
    except SamflowError as exc:
        return _page(request, engine, posted.principal, form, exc)


def _scope(form: dict[str, str]) -> evidence.Scope:
    code = form["other_code"] or form["code"]
    if not code:
        raise InvalidInput.field("code", "choose a unit", "välj en enhet")
    year = form["year"]
    if not (year.isdigit() and 2000 <= int(year) <= 2100):
        raise InvalidInput.field("year", "give a year, e.g. 2027", "ange ett år, t.ex. 2027")
    kind = _choice(form, "scope", ("unit", "subtree"))
    return evidence.Scope(kind, code, int(year))


def _choice(form: dict[str, str], name: str, allowed: tuple[str, ...]) -> str:
    if form[name] not in allowed:
        raise InvalidInput.field(
            name, f"choose one of {', '.join(allowed)}", f"välj en av {', '.join(allowed)}"
        )
    return form[name]


@router.post("/evidence/verify")
def verify(request: Request, engine: Engine, posted: PostedForm) -> Response:
    """Check an uploaded package; the verdict shows on the page (200 whatever it is)."""
    try:
        name, content = read_upload(posted.form.get("file"), engine.settings.max_verify_bytes)
        report, data = evidence_http.verify(engine, posted.principal.actor, content)
    except SamflowError as exc:
        return _page(request, engine, posted.principal, exc=exc)
    lang = lang_of(request)
    verified = {
        "filename": name,
        "r": report,
        "verdict": evidence_http.verdict(report, lang),
        "as_of": datetime.fromisoformat(str(report.basis["as_of"])),
        "rows": [(evidence_verify.describe(d, data), d) for d in report.differences[:500]],
    }
    return _page(request, engine, posted.principal, verified=verified)


@router.get("/evidence/jobs/{job_id}")
def job_page(request: Request, engine: Engine, user: PageUser, job_id: Id) -> Response:
    job = _evidence_job(engine, user, job_id)
    return render(request, "evidence_job.html", job=job, order=evidence_jobs.order_of(job))


@router.get("/evidence/jobs/{job_id}/file")
def job_file(engine: Engine, user: PageUser, job_id: Id) -> Response:
    _evidence_job(engine, user, job_id)
    info, content = job_files.fetch(engine, user.actor, job_id)
    return Response(content, media_type=info.content_type, headers=file_headers(info.filename))


def _evidence_job(engine: Engine, user: Principal, job_id: int) -> jobs.JobView:
    job = views.job(engine, user.actor, job_id)
    if job.kind != evidence_jobs.KIND:
        raise NotFound("job", job_id)
    return job
