"""Pages: a cycle (timeline, sign-off checklist, risks, the action plan, the audit
history), signing off a stage, judging a risk's seriousness, cancelling, and importing an
existing action plan from a spreadsheet (previewed first)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import Engine, Id, PageUser, PostedForm, as_id, lang_of
from api.downloads import document, read_upload, safe_name
from api.errors import problem
from api.rendering import redirect, render
from engine.accounts.signin import Principal
from engine.domain.errors import SamflowError
from engine.plans import document as plan_document
from engine.plans import establishment
from engine.plans import import_job as plan_import_job
from engine.plans import importer as plan_import_service
from engine.plans import plan as plans
from engine.views import detail as views
from engine.workflow import cycles
from forms.exports import plan_docs

PlanFormat = Literal["html", "pdf", "xlsx"]

router = APIRouter()


@router.get("/cycles/{cycle_id}")
def cycle_page(request: Request, engine: Engine, user: PageUser, cycle_id: Id) -> Response:
    return _page(request, engine, user, cycle_id)


@router.get("/cycles/{cycle_id}/plan.{fmt}")
def printed_plan(
    request: Request, engine: Engine, user: PageUser, cycle_id: Id, fmt: PlanFormat
) -> Response:
    """The action plan as the organisation's own document: HTML, PDF (landscape A4) or
    XLSX (which imports back as the same plan)."""
    doc = plan_document.printable(engine, user.actor, cycle_id)
    lang = lang_of(request)
    name = f"handlingsplan-{safe_name(doc['unit'])}-{doc['year']}.{fmt}"
    if fmt == "xlsx":
        return document(plan_document.export_xlsx(doc), fmt, name, download=True)
    render_doc = plan_docs.plan_pdf if fmt == "pdf" else plan_docs.plan_html
    return document(render_doc(doc, lang), fmt, name, download=False)


def _page(
    request: Request,
    engine: Engine,
    user: Principal,
    cycle_id: Id,
    exc: SamflowError | None = None,
    plan_import: dict[str, Any] | None = None,
) -> Response:
    c = views.cycle_detail(engine, user.actor, cycle_id)
    prob = problem(exc, lang_of(request)) if exc is not None else None
    status = int(prob["status"]) if prob else 200
    if plan_import is not None and prob is not None:  # shown beside the import form
        plan_import["problem"], prob = prob, None
    points = [(r.probability, r.consequence, str(r.position)) for r in c.view.risks]
    from engine.cases import plan_links  # an item a case put in the plan links back to it

    with engine.read() as s:
        sources = plan_links.sources_of(s, cycle_id)
    return render(
        request,
        "cycle.html",
        status=status,
        c=c,
        problem=prob,
        matrix_points=points,
        plan_import=plan_import or {},
        import_stages=plan_import_service.OPEN_STAGES,
        established=establishment.read_header(engine, cycle_id),
        plan_sources=sources,
    )


def _act(
    request: Request,
    engine: Engine,
    posted: PostedForm,
    cycle_id: Id,
    work: Callable[[], None],
    done: str,
) -> Response:
    """Act on a visible cycle; a refusal (e.g. every unmet reason) shows on its page."""
    views.see_cycle(engine, posted.principal.actor, cycle_id)
    try:
        work()
    except SamflowError as exc:
        return _page(request, engine, posted.principal, cycle_id, exc)
    return redirect(f"/cycles/{cycle_id}", done=done)


@router.post("/cycles/{cycle_id}/sign-off")
def sign_off(request: Request, engine: Engine, posted: PostedForm, cycle_id: Id) -> Response:
    def work() -> None:
        cycles.sign_off_stage(engine, posted.principal.actor, cycle_id, posted.get("stage"))

    return _act(request, engine, posted, cycle_id, work, "signed_off")


@router.post("/cycles/{cycle_id}/cancel")
def cancel(request: Request, engine: Engine, posted: PostedForm, cycle_id: Id) -> Response:
    def work() -> None:
        cycles.cancel_cycle(engine, posted.principal.actor, cycle_id, posted.get("reason"))

    return _act(request, engine, posted, cycle_id, work, "cancelled")


@router.post("/risks/{risk_id}/serious")
def risk_serious(request: Request, engine: Engine, posted: PostedForm, risk_id: Id) -> Response:
    cycle = posted.get("cycle")
    cycle_id = as_id(cycle) or 0

    def work() -> None:
        serious = posted.get("serious") == "true"
        plans.set_risk_seriousness(engine, posted.principal.actor, risk_id, serious)

    return _act(request, engine, posted, cycle_id, work, "assessed")


@router.post("/cycles/{cycle_id}/plan-import")
def import_plan(request: Request, engine: Engine, posted: PostedForm, cycle_id: Id) -> Response:
    """Preview (a dry run: the file is checked and shown, nothing changes) or import. The
    previewed file travels in the form, so importing it needs no second upload."""
    views.see_cycle(engine, posted.principal.actor, cycle_id)
    apply = posted.get("_action") == "apply"
    state: dict[str, Any] = {}
    try:
        name, content = _plan_file(engine, posted)
        state = {"filename": name, "content": base64.b64encode(content).decode()}
        if apply and plan_import_job.needs_job(engine, content):  # a large plan: a job
            launcher = request.app.state.launcher
            job_id = plan_import_job.request(
                engine, posted.principal.actor, cycle_id, name, content, launcher.name
            )
            launcher.submit(job_id)
            return redirect(f"/jobs/{job_id}")
        result = plan_import_service.import_plan(
            engine, posted.principal.actor, cycle_id, name, content, dry_run=not apply
        )
    except SamflowError as exc:
        return _page(request, engine, posted.principal, cycle_id, exc, plan_import=state)
    if apply:
        return redirect(f"/cycles/{cycle_id}", done="plan_imported")
    state["result"] = result
    return _page(request, engine, posted.principal, cycle_id, plan_import=state)


def _plan_file(engine: Engine, posted: PostedForm) -> tuple[str, bytes]:
    upload = posted.form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return read_upload(upload, engine.settings.max_upload_bytes)
    kept, name = posted.get("content"), posted.get("filename")
    if kept and name:
        try:
            content = base64.b64decode(kept, validate=True)
        except (binascii.Error, ValueError):
            content = b""
        if content and len(content) <= engine.settings.max_upload_bytes:
            return name[:255], content
    return read_upload(None, engine.settings.max_upload_bytes)  # "choose a file"
