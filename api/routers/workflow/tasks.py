"""API: one task, its form and attachments, and everything one does with a task."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id, Lang
from api.lean import Lean
from api.middleware.form_checks import MULTIPART
from api.schemas import (
    AttachmentOut,
    BulkApproveIn,
    BulkItemOut,
    BulkOut,
    CompleteIn,
    DelegateIn,
    DraftIn,
    ExtendIn,
    ReturnIn,
    TaskOut,
    TaskResultOut,
    reply,
)
from engine.accounts.signin import Principal
from engine.context import App
from engine.views import detail as views
from engine.workflow import attachments, tasks
from forms.schemas.registry import schema_for

router = APIRouter(tags=["tasks"], route_class=Lean)


def _act(engine: App, user: Principal, task_id: int, action: Callable[[], Any]) -> Response:
    """Run an action on a task (a refusal on a task the person cannot see answers 404)."""
    return reply(TaskResultOut.model_validate(views.on_task(engine, user.actor, task_id, action)))


@router.get("/tasks/{task_id}", response_model=TaskOut)
def get_task(task_id: Id, user: ApiUser, engine: Engine) -> Response:
    """A task you may see: its form input, what you may do with it, its attachments."""
    return reply(TaskOut.model_validate(views.task_detail(engine, user.actor, task_id)))


@router.post("/tasks/{task_id}/complete", response_model=TaskResultOut)
def complete(task_id: Id, body: CompleteIn, user: ApiUser, engine: Engine) -> Response:
    """Complete with the form's input (see `GET /api/forms/{form_key}` for its schema)."""
    return _act(
        engine,
        user,
        task_id,
        lambda: tasks.complete_task(
            engine, user.actor, task_id, body.data, expected_version=body.version
        ),
    )


@router.post("/tasks/{task_id}/draft", response_model=TaskResultOut)
def save_draft(task_id: Id, body: DraftIn, user: ApiUser, engine: Engine) -> Response:
    return _act(
        engine, user, task_id, lambda: tasks.save_draft(engine, user.actor, task_id, body.data)
    )


@router.post("/tasks/{task_id}/claim", response_model=TaskResultOut)
def claim(task_id: Id, user: ApiUser, engine: Engine) -> Response:
    return _act(engine, user, task_id, lambda: tasks.claim_task(engine, user.actor, task_id))


@router.post("/tasks/{task_id}/release", response_model=TaskResultOut)
def release(task_id: Id, user: ApiUser, engine: Engine) -> Response:
    return _act(engine, user, task_id, lambda: tasks.release_task(engine, user.actor, task_id))


@router.post("/tasks/{task_id}/return", response_model=TaskResultOut)
def return_task(task_id: Id, body: ReturnIn, user: ApiUser, engine: Engine) -> Response:
    """Returnering: hand the task back up the line with a written reason; naming what is
    lacking (``lacking``) records it against the task allocation for the allocator."""

    def act() -> tasks.TaskResult:
        if not body.lacking:
            return tasks.return_task(engine, user.actor, task_id, body.reason)
        from engine.alloc import returns

        out = returns.return_case(engine, user.actor, task_id, body.lacking, body.reason)
        result: tasks.TaskResult | None = out.result
        assert result is not None
        return result

    return _act(engine, user, task_id, act)


@router.post("/tasks/{task_id}/delegate", response_model=TaskResultOut)
def delegate(task_id: Id, body: DelegateIn, user: ApiUser, engine: Engine) -> Response:
    return _act(
        engine,
        user,
        task_id,
        lambda: tasks.delegate_task(engine, user.actor, task_id, body.to, body.reason),
    )


@router.post("/tasks/{task_id}/extend", response_model=TaskResultOut)
def extend(task_id: Id, body: ExtendIn, user: ApiUser, engine: Engine) -> Response:
    return _act(
        engine,
        user,
        task_id,
        lambda: tasks.extend_due(engine, user.actor, task_id, body.due, body.reason),
    )


@router.post("/tasks/bulk-approve", response_model=BulkOut)
def bulk_approve(body: BulkApproveIn, user: ApiUser, engine: Engine, lang: Lang) -> Response:
    """Approve many approval tasks; each one succeeds or fails on its own."""
    result = tasks.bulk_approve(engine, user.actor, body.task_ids, body.comment)
    return reply(
        BulkOut(
            approved=result.approved,
            results=[
                BulkItemOut(
                    task_id=o.task_id,
                    ok=o.ok,
                    code=o.code,
                    message=o.message_sv if lang == "sv" else o.message_en,
                )
                for o in result.outcomes
            ],
        )
    )


@router.get("/tasks/{task_id}/attachments", response_model=list[AttachmentOut])
def list_attachments(task_id: Id, user: ApiUser, engine: Engine) -> Response:
    detail = views.task_detail(engine, user.actor, task_id)
    return reply([AttachmentOut.model_validate(a) for a in detail.attachments])


@router.post(
    "/tasks/{task_id}/attachments",
    response_model=AttachmentOut,
    status_code=201,
    dependencies=MULTIPART,
)
def add_attachment(
    task_id: Id, file: Annotated[UploadFile, File()], user: ApiUser, engine: Engine
) -> Response:
    content = file.file.read(engine.settings.max_upload_bytes + 1)
    info = attachments.add(
        engine, user.actor, task_id, file.filename or "", file.content_type or "", content
    )
    return reply(AttachmentOut.model_validate(info), 201)


@router.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download(attachment_id: Id, user: ApiUser, engine: Engine) -> Response:
    info, content = attachments.fetch(engine, user.actor, attachment_id)
    return file_response(info, content)


def file_response(info: attachments.AttachmentInfo, content: bytes) -> Response:
    """Always a download, never shown inline: an uploaded file must not run as a page."""
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(info.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/forms/{form_key}", response_model=dict[str, Any])
def form_schema(form_key: str, user: ApiUser) -> dict[str, Any]:
    """The JSON schema of a task form, with Swedish and English labels on each field."""
    return schema_for(form_key).model_json_schema()
