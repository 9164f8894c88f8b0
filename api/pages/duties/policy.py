"""Pages: the work-environment policy and the routines — the list (with what the
employer still lacks and whether they must be in writing), one document with its versions,
who has read it and its reviews, a new document or version for HR and the director, the
acknowledgement for managers — and the training records of managers and safety
representatives with the managers lacking the knowledge their role requires."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Engine, PageUser, PostedForm, lang_of
from api.refused import refused
from api.rendering import redirect, render
from engine.accounts.signin import Principal
from engine.domain.clock import local_date
from engine.domain.errors import SamflowError
from engine.policy import documents, knowledge
from forms.fields import build
from forms.labels import words
from forms.schemas.duties.policy import PolicyDocumentInput, PolicyVersionInput, TrainingInput

router = APIRouter()
DOC_FIELDS = tuple(PolicyDocumentInput.model_fields)
VERSION_FIELDS = tuple(PolicyVersionInput.model_fields)
TRAINING_FIELDS = tuple(TrainingInput.model_fields)
WORDS = {k: words(k) for k in ("policy_topic", "policy_owner", "training_state", "role")}


@router.get("/policy")
def policy_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _policy(request, engine, user)


def _policy(
    request: Request,
    engine: Engine,
    user: Principal,
    data: dict[str, Any] | None = None,
    exc: SamflowError | None = None,
) -> Response:
    lang = lang_of(request)
    ov = documents.overview(engine, user.actor)
    if data is None:
        data = {"valid_from": local_date(engine.clock.now()).isoformat()}
    no = refused(exc, lang)
    units = documents.unit_choices(engine, user.actor) if ov.may_create else []
    return render(
        request,
        "policy.html",
        status=no.status,
        ov=ov,
        words=WORDS,
        units=units,
        doc_fields=build(PolicyDocumentInput, data, no.errors),
        version_fields=build(PolicyVersionInput, data, no.errors),
        problem=no.problem,
    )


@router.post("/policy")
def create(request: Request, engine: Engine, posted: PostedForm) -> Response:
    raw = {k: posted.get(k) for k in (*DOC_FIELDS, *VERSION_FIELDS)}
    try:
        doc = documents.parse(PolicyDocumentInput, {k: raw[k] for k in DOC_FIELDS})
        version = documents.parse(PolicyVersionInput, _version(raw))
        documents.create(engine, posted.principal.actor, doc, version)
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        return _policy(request, engine, posted.principal, raw, exc)
    return redirect(f"/policy/{doc.code}", done="policy_created")


def _version(raw: dict[str, Any]) -> dict[str, Any]:
    out = {k: raw.get(k, "") for k in VERSION_FIELDS}
    if not out.get("review_by"):
        out["review_by"] = None
    return out


@router.get("/policy/{code}")
def document_page(request: Request, engine: Engine, user: PageUser, code: str) -> Response:
    return _document(request, engine, user, code)


def _document(
    request: Request,
    engine: Engine,
    user: Principal,
    code: str,
    data: dict[str, Any] | None = None,
    exc: SamflowError | None = None,
) -> Response:
    lang = lang_of(request)
    d = documents.show(engine, user.actor, documents.id_of(engine, code))
    if data is None:
        data = {"valid_from": local_date(engine.clock.now()).isoformat()}
        if d.versions:
            data["body"] = d.versions[0].body
    no = refused(exc, lang)
    return render(
        request,
        "policy_document.html",
        status=no.status,
        d=d,
        words=WORDS,
        version_fields=build(PolicyVersionInput, data, no.errors),
        problem=no.problem,
    )


@router.post("/policy/{code}/versions")
def publish(request: Request, engine: Engine, posted: PostedForm, code: str) -> Response:
    actor = posted.principal.actor
    doc_id = documents.id_of(engine, code)
    documents.show(engine, actor, doc_id)  # 404 first
    raw = {k: posted.get(k) for k in VERSION_FIELDS}
    try:
        documents.publish(engine, actor, doc_id, documents.parse(PolicyVersionInput, _version(raw)))
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        return _document(request, engine, posted.principal, code, raw, exc)
    return redirect(f"/policy/{code}", done="policy_published")


@router.post("/policy/{code}/acknowledge")
def acknowledge(request: Request, engine: Engine, posted: PostedForm, code: str) -> Response:
    actor = posted.principal.actor
    doc_id = documents.id_of(engine, code)
    try:
        documents.acknowledge(engine, actor, doc_id)
    except SamflowError as exc:
        if exc.category == "not_found":
            raise
        return _document(request, engine, posted.principal, code, None, exc)
    return redirect(f"/policy/{code}", done="policy_acknowledged")


@router.get("/knowledge")
def knowledge_page(request: Request, engine: Engine, user: PageUser) -> Response:
    return _knowledge(request, engine, user)


def _knowledge(
    request: Request,
    engine: Engine,
    user: Principal,
    data: dict[str, Any] | None = None,
    exc: SamflowError | None = None,
) -> Response:
    lang = lang_of(request)
    k = knowledge.overview(engine, user.actor)
    units = documents.unit_choices(engine, user.actor)
    no = refused(exc, lang)
    courses = engine.settings.knowledge_courses
    return render(
        request,
        "knowledge.html",
        status=no.status,
        k=k,
        words=WORDS,
        units=units,
        courses=courses,
        fields=build(TrainingInput, data or {}, no.errors),
        problem=no.problem,
    )


@router.post("/knowledge")
def record(request: Request, engine: Engine, posted: PostedForm) -> Response:
    raw: dict[str, Any] = {k: posted.get(k) for k in TRAINING_FIELDS}
    if not raw.get("valid_until"):
        raw["valid_until"] = None
    try:
        knowledge.record(engine, posted.principal.actor, documents.parse(TrainingInput, raw))
    except SamflowError as exc:
        return _knowledge(request, engine, posted.principal, raw, exc)
    return redirect("/knowledge", done="training_recorded")
