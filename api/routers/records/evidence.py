"""API: the evidence package of a unit or a subtree (HTML, PDF, or its data as JSON), a
large one made as a background job, and checking a package handed out earlier."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response

from api import evidence_http
from api.deps import ApiUser, Engine, Id, Lang
from api.downloads import content_doc, file_headers, read_upload
from api.middleware.form_checks import MULTIPART
from api.schemas import reply
from api.schemas.cycles import JobOut
from api.schemas.docs import (
    ChainBreakOut,
    DifferenceOut,
    DocFormat,
    DocLang,
    EvidenceDocOut,
    EvidenceJobIn,
    ScopeKind,
    VerifyOut,
)
from engine.context import Actor, App
from engine.evidence import jobs as evidence_jobs
from engine.evidence import package as evidence
from engine.evidence import verify as evidence_verify
from engine.views import detail as views
from engine.views import job_files

router = APIRouter(tags=["evidence"])
MAX_DIFFERENCES = 500


@router.get(
    "/evidence",
    response_class=Response,
    responses=content_doc("pdf", "html", "json", model=EvidenceDocOut),
)
def package(
    user: ApiUser,
    engine: Engine,
    code: Annotated[str, Query(min_length=1, max_length=64)],
    year: Annotated[int, Query(ge=2000, le=2100)],
    scope: ScopeKind = "unit",
    lang: DocLang = "sv",
    format: DocFormat = "pdf",
    reference: Annotated[
        str, Query(max_length=60, description="diarienummer printed on the cover")
    ] = "",
) -> Response:
    """The package for Arbetsmiljöverket as it stands now. A subtree's PDF of more than
    ``SAMFLOW_EVIDENCE_DIRECT_UNITS`` units answers 422: make it with ``POST
    /api/evidence/jobs``."""
    s = evidence.Scope(scope, code, year)
    return evidence_http.package(
        engine, user.actor, s, lang, format, download=False, reference=reference
    )


@router.post("/evidence/jobs", response_model=JobOut, status_code=202)
def package_job(body: EvidenceJobIn, request: Request, user: ApiUser, engine: Engine) -> Response:
    """Make the package as PDF in the background; follow ``GET /api/jobs/{id}``, then fetch
    ``GET /api/evidence/jobs/{id}/file``."""
    job_id = start_job(request, engine, user.actor, body)
    return reply(JobOut.model_validate(views.job(engine, user.actor, job_id)), 202)


def start_job(request: Request, engine: App, actor: Actor, body: EvidenceJobIn) -> int:
    launcher = request.app.state.document_launcher
    s = evidence.Scope(body.scope, body.code, body.year)
    job_id = evidence_jobs.request(engine, actor, s, body.lang, launcher.name, body.reference)
    launcher.submit(job_id)
    return job_id


@router.get("/evidence/jobs/{job_id}/file", response_class=Response, responses=content_doc("pdf"))
def package_file(job_id: Id, user: ApiUser, engine: Engine) -> Response:
    """The PDF a finished job made (kept for a week); 404 until it is there."""
    info, content = job_files.fetch(engine, user.actor, job_id)
    return Response(content, media_type=info.content_type, headers=file_headers(info.filename))


@router.post("/evidence/verify", response_model=VerifyOut, dependencies=MULTIPART)
def verify(
    file: Annotated[UploadFile, File(description="An evidence package (PDF or HTML)")],
    user: ApiUser,
    engine: Engine,
    lang: Lang,
) -> Response:
    """Does a package handed out earlier still match the database? Names each difference,
    whether audit events recorded since explain it, and any broken hash chain."""
    _, content = read_upload(file, engine.settings.max_verify_bytes)
    r, data = evidence_http.verify(engine, user.actor, content)
    return reply(verify_out(r, data, lang))


def verify_out(r: evidence_verify.VerifyReport, data: dict[str, Any], lang: str) -> VerifyOut:
    b = r.basis
    return VerifyOut(
        matches=r.matches,
        file_intact=r.file_intact,
        verdict=evidence_http.verdict(r, lang),
        recorded=r.recorded,
        current=r.current,
        scope=str(b["scope"]),
        code=str(b["code"]),
        year=int(b["year"]),
        as_of=b["as_of"],
        total=r.total,
        differences=[
            DifferenceOut(
                where=evidence_verify.describe(d, data),
                path=list(d.path),
                kind=d.kind,
                before=d.before,
                after=d.after,
                verdict=d.verdict,
                explained_by=list(d.explained_by),
            )
            for d in r.differences[:MAX_DIFFERENCES]
        ],
        later_events=len(r.later),
        broken_chains=[
            ChainBreakOut(chain=c["chain"], **c["break"]) for c in r.broken_chains if c["break"]
        ],
        anchor_findings=[f.text(lang) for f in r.anchor],
        anchor_notes=[n.text(lang) for n in r.anchor_notes],
    )
