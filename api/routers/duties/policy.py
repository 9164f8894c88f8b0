"""API: the work-environment policy and the routines (versions, read-acknowledgements by
managers, the yearly review task), whether the employer must have them in writing
(computed from headcount), and the training records of managers and safety
representatives. Documents are named by their short name; 404 for one you may not see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response

from api.deps import ApiUser, Engine
from api.schemas import reply
from api.schemas.docs import inline_schema
from api.schemas.policy import (
    AcknowledgedOut,
    DocumentOut,
    KnowledgeOut,
    PolicyOverviewOut,
    RecordedOut,
    WrittenOut,
)
from engine.domain.errors import InvalidInput
from engine.policy import documents, knowledge
from forms.schemas.duties.policy import PolicyDocumentInput, PolicyVersionInput, TrainingInput

router = APIRouter(tags=["policy"])
DocCode = Annotated[str, Path(min_length=1, max_length=64, description="the short name")]


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


NEW = _body(
    {
        "type": "object",
        "required": ["document", "version"],
        "properties": {
            "document": inline_schema(PolicyDocumentInput),
            "version": inline_schema(PolicyVersionInput),
        },
    }
)
VERSION = _body(inline_schema(PolicyVersionInput))
TRAINING = _body(inline_schema(TrainingInput))


@router.get("/policy", response_model=PolicyOverviewOut)
def overview(user: ApiUser, engine: Engine) -> Response:
    """The policy and routines you may see (at your units, above or below them), the
    employer's headcount and whether they must be in writing, and what is missing."""
    return reply(PolicyOverviewOut.model_validate(documents.overview(engine, user.actor)))


@router.post("/policy", response_model=WrittenOut, status_code=201, openapi_extra=NEW)
def create(body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine) -> Response:
    """A new document with its first version (HR or a director over its unit). From ten
    employees a version without text is refused (AFS 2023:1)."""
    doc, version = body.get("document"), body.get("version")
    if not isinstance(doc, dict) or not isinstance(version, dict):
        raise InvalidInput.field(
            "document", "give document and version, each an object", "ange document och version"
        )
    made = documents.create(
        engine,
        user.actor,
        documents.parse(PolicyDocumentInput, doc),
        documents.parse(PolicyVersionInput, version),
    )
    return reply(WrittenOut.model_validate(made), 201)


@router.get("/policy/{code}", response_model=DocumentOut)
def show(code: DocCode, user: ApiUser, engine: Engine) -> Response:
    """One document: every version (text, digest, who made it when, who has read it), its
    reviews, who has not read the current version, and its open review task."""
    return reply(DocumentOut.model_validate(documents.show(engine, user.actor, _id(engine, code))))


@router.post(
    "/policy/{code}/versions", response_model=WrittenOut, status_code=201, openapi_extra=VERSION
)
def publish(
    code: DocCode, body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine
) -> Response:
    """A new version (the old ones stay readable); its review date drives the review task."""
    version = documents.parse(PolicyVersionInput, body)
    made = documents.publish(engine, user.actor, _id(engine, code), version)
    return reply(WrittenOut.model_validate(made), 201)


@router.post("/policy/{code}/acknowledge", response_model=AcknowledgedOut)
def acknowledge(code: DocCode, user: ApiUser, engine: Engine) -> Response:
    """You have read the current version (a manager or director at or below its unit)."""
    done = documents.acknowledge(engine, user.actor, _id(engine, code))
    return reply(AcknowledgedOut.model_validate(done))


@router.get("/knowledge", response_model=KnowledgeOut)
def training(
    user: ApiUser,
    engine: Engine,
    unit: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Response:
    """The training records you may see (your own; those at the units you oversee) and the
    managers there lacking the knowledge their role requires."""
    return reply(KnowledgeOut.model_validate(knowledge.overview(engine, user.actor, unit)))


@router.post("/knowledge", response_model=RecordedOut, status_code=201, openapi_extra=TRAINING)
def record(body: Annotated[dict[str, Any], Body()], user: ApiUser, engine: Engine) -> Response:
    """Record a training (HR or a director over the unit); every bad field is named."""
    done = knowledge.record(engine, user.actor, documents.parse(TrainingInput, body))
    return reply(RecordedOut.model_validate(done), 201)


def _id(engine: Any, code: str) -> int:
    return documents.id_of(engine, code)
