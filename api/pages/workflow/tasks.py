"""Pages: a task with its form (rendered from the form schema), and everything one does
with a task: submit, save a draft, add and remove rows, claim, return, hand over, move the
deadline, attach files."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import Engine, Id, PageUser, PostedForm, as_id, lang_of, parse_date
from api.refused import link_fields, refused
from api.rendering import redirect, render, safe_next
from api.routers.workflow.tasks import file_response
from engine.accounts.signin import Principal
from engine.domain.errors import InvalidInput, SamflowError
from engine.views import detail as views
from engine.workflow import attachments, conversation, tasks
from forms.fields import build
from forms.formdata import apply_row_action, clean, unflatten
from forms.labels import words
from forms.schemas.registry import schema_for

router = APIRouter()

#: An approval's fields that the manager fills in for the cooperation meeting; another
#: approver (the safety representative) sees them and gives only a decision and comment.
MANAGER_GIVES = ("body", "established_on", "protocol_ref")


@router.get("/tasks/{task_id}")
def task_page(request: Request, engine: Engine, user: PageUser, task_id: Id) -> Response:
    return _page(request, engine, user, task_id)


def _page(
    request: Request,
    engine: Engine,
    user: Principal,
    task_id: Id,
    *,
    data: dict[str, Any] | None = None,
    exc: SamflowError | None = None,
    side: bool = False,
) -> Response:
    """The task page; after a refused submission, with the person's input and the errors
    (beside the form's fields, or beside a side form's: return, hand over, deadline)."""
    lang = lang_of(request)
    d = views.task_detail(engine, user.actor, task_id)
    schema = schema_for(d.form_key)
    no = refused(exc, lang)
    form_errors, side_errors = ({}, no.errors) if side else (no.errors, {})
    if data is None:
        data = views.start_input(d) if d.may.work else d.data
    fields = build(schema, data, form_errors) if d.may.work else None
    if fields is not None and d.own_decision_only:  # the manager gives the meeting's facts
        fields = [f for f in fields if f.spec.name not in MANAGER_GIVES]
    shown = build(schema, d.data or d.draft or {}, {}) if fields is None else None
    if fields is not None:
        link_fields(no, schema, fields, lang)
    return render(
        request,
        "task.html",
        status=no.status,
        d=d,
        fields=fields,
        shown=shown,
        problem=no.problem,
        errors=side_errors,
        matrix_points=_points(data),
        comments=conversation.comments(engine, user.actor, task_id),
        min_answers=engine.settings.min_survey_answers,
        max_kb=engine.settings.max_upload_bytes // 1000,
        lacking_words=words("alloc_lacking"),
        outcome_words=words("alloc_outcome"),
    )


def _points(data: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(probability, consequence, number) of each risk in a risk assessment's input."""
    out = []
    risks = data.get("risks") if isinstance(data, dict) else None
    for i, r in enumerate(risks if isinstance(risks, list) else []):
        if not isinstance(r, dict):
            continue
        p, c = str(r.get("probability", "")), str(r.get("consequence", ""))
        if p in "1234" and c in "1234" and p and c:
            out.append((int(p), int(c), str(i + 1)))
    return out


@router.post("/tasks/{task_id}")
def submit(request: Request, engine: Engine, posted: PostedForm, task_id: Id) -> Response:
    """One form, several buttons: submit, save a draft, add or remove a row."""
    user, action = posted.principal, posted.get("_action") or "complete"
    d = views.task_detail(engine, user.actor, task_id)
    schema = schema_for(d.form_key)
    raw = unflatten(
        split_matrix((k, v) for k, v in posted.form.multi_items() if isinstance(v, str))
    )
    if action.startswith(("add:", "remove:")):
        return _page(request, engine, user, task_id, data=apply_row_action(schema, raw, action))
    if action == "save":
        tasks.save_draft(engine, user.actor, task_id, raw)
        return redirect(f"/tasks/{task_id}", done="saved")
    version = posted.get("_version")
    try:
        tasks.complete_task(
            engine,
            user.actor,
            task_id,
            clean(schema, raw),
            expected_version=as_id(version),
        )
    except InvalidInput as exc:
        return _page(request, engine, user, task_id, data=raw, exc=exc)
    return redirect(f"/cycles/{d.cycle_id}", done="completed")


def _act(
    request: Request,
    engine: Engine,
    posted: PostedForm,
    task_id: Id,
    work: Callable[[], Response],
) -> Response:
    """Run an action on the task; a refusal shows on the task page, in context."""
    try:
        return work()
    except SamflowError as exc:
        if exc.category == "not_found" and not _visible(engine, posted.principal, task_id):
            raise
        return _page(request, engine, posted.principal, task_id, exc=exc, side=True)


def _visible(engine: Engine, user: Principal, task_id: Id) -> bool:
    try:
        views.task_detail(engine, user.actor, task_id)
    except SamflowError:
        return False
    return True


@router.post("/tasks/{task_id}/claim")
def claim(request: Request, engine: Engine, posted: PostedForm, task_id: Id) -> Response:
    def work() -> Response:
        tasks.claim_task(engine, posted.principal.actor, task_id)
        return redirect(f"/tasks/{task_id}", done="claimed")

    return _act(request, engine, posted, task_id, work)


@router.post("/tasks/{task_id}/release")
def release(request: Request, engine: Engine, posted: PostedForm, task_id: Id) -> Response:
    def work() -> Response:
        tasks.release_task(engine, posted.principal.actor, task_id)
        return redirect(f"/tasks/{task_id}", done="released")

    return _act(request, engine, posted, task_id, work)


@router.post("/tasks/{task_id}/return")
def return_task(request: Request, engine: Engine, posted: PostedForm, task_id: Id) -> Response:
    def work() -> Response:
        actor, reason = posted.principal.actor, posted.get("reason")
        lacking = [k for k in ("authority", "resources", "knowledge") if posted.get(f"lacking.{k}")]
        if lacking:  # recorded against the task allocation, for the allocator to decide
            from engine.alloc import returns

            returns.return_case(engine, actor, task_id, lacking, reason)
        else:
            tasks.return_task(engine, actor, task_id, reason)
        return redirect("/inbox", done="returned")

    return _act(request, engine, posted, task_id, work)


@router.post("/tasks/{task_id}/delegate")
def delegate(request: Request, engine: Engine, posted: PostedForm, task_id: Id) -> Response:
    def work() -> Response:
        to = posted.get("to").strip()
        if not to:
            raise InvalidInput.field("to", "give an e-mail address", "ange en e-postadress")
        tasks.delegate_task(engine, posted.principal.actor, task_id, to, posted.get("reason"))
        return redirect("/inbox", done="delegated")

    return _act(request, engine, posted, task_id, work)


@router.post("/tasks/{task_id}/extend")
def extend(request: Request, engine: Engine, posted: PostedForm, task_id: Id) -> Response:
    def work() -> Response:
        due = parse_date(posted.get("due"), "due")
        tasks.extend_due(engine, posted.principal.actor, task_id, due, posted.get("reason"))
        return redirect(_back(posted, task_id), done="extended")

    return _act(request, engine, posted, task_id, work)


@router.post("/tasks/{task_id}/nudge")
def nudge(request: Request, engine: Engine, posted: PostedForm, task_id: Id) -> Response:
    """Remind the task's holder now (at most once a day per task)."""

    def work() -> Response:
        conversation.nudge(engine, posted.principal.actor, task_id)
        return redirect(_back(posted, task_id), done="nudged")

    return _act(request, engine, posted, task_id, work)


@router.post("/tasks/{task_id}/comments")
def comment(request: Request, engine: Engine, posted: PostedForm, task_id: Id) -> Response:
    def work() -> Response:
        conversation.add_comment(engine, posted.principal.actor, task_id, posted.get("text"))
        return redirect(f"/tasks/{task_id}", done="commented")

    return _act(request, engine, posted, task_id, work)


def _back(posted: PostedForm, task_id: int) -> str:
    """Where to go after an action taken from a list (the home page), else the task."""
    target = posted.get("next")
    return safe_next(target) if target else f"/tasks/{task_id}"


@router.post("/tasks/{task_id}/files")
def upload(request: Request, engine: Engine, posted: PostedForm, task_id: Id) -> Response:
    def work() -> Response:
        file = posted.form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            raise InvalidInput.field("file", "choose a file", "välj en fil")
        content = file.file.read(engine.settings.max_upload_bytes + 1)
        attachments.add(
            engine,
            posted.principal.actor,
            task_id,
            file.filename,
            file.content_type or "",
            content,
        )
        return redirect(f"/tasks/{task_id}", done="uploaded")

    return _act(request, engine, posted, task_id, work)


@router.get("/files/{attachment_id}")
def download(engine: Engine, user: PageUser, attachment_id: Id) -> Response:
    info, content = attachments.fetch(engine, user.actor, attachment_id)
    return file_response(info, content)


def split_matrix(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The risk matrix's one choice per risk ("risks[0].pc" = "3-2") as the form's two
    fields (probability 3, consequence 2); anything else passes as it is."""
    out: list[tuple[str, str]] = []
    for key, value in pairs:
        if key.endswith(".pc"):
            p, _, c = value.partition("-")
            if p in ("1", "2", "3", "4") and c in ("1", "2", "3", "4"):
                out += [(key[:-3] + ".probability", p), (key[:-3] + ".consequence", c)]
            continue
        out.append((key, value))
    return out
