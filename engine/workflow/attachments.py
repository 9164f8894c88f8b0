"""Small files kept with a task (the survey report, the safety-round protocol), stored in
the database so a backup of the database is a backup of the evidence.

Only the person who may work on the open task adds files; whoever may see the task may
download them. Nothing is deleted. Each file is an audit event with its SHA-256, so a file
handed to an inspector can be shown to be the one that was filed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db.models import Task
from engine.db.models.people.accounts import Attachment
from engine.domain.errors import InvalidInput, NotFound, TaskNotOpen
from engine.org import access
from engine.org.visibility import require_task, scope_of

_UNSAFE = re.compile(r"[^\w.\- ()åäöÅÄÖ]+")


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    task_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


def clean_name(filename: str) -> str:
    """A file name safe to show and to send back: no paths, no control characters."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")[:200]
    return cleaned or "bilaga"


def add(
    app: App, actor: Actor, task_id: int, filename: str, content_type: str, content: bytes
) -> AttachmentInfo:
    limit = app.settings.max_upload_bytes
    if not content:
        raise InvalidInput.field("file", "the file is empty", "filen är tom")
    if len(content) > limit:
        raise InvalidInput.field(
            "file",
            f"the file is larger than {limit // 1000} kB",
            f"filen är större än {limit // 1000} kB",
        )
    name = clean_name(filename)
    sha = hashlib.sha256(content).hexdigest()

    def work(tx: Tx) -> AttachmentInfo:
        task = tx.session.get(Task, task_id)
        if task is None:
            raise NotFound("task", task_id)
        if task.status != "open":
            raise TaskNotOpen(task_id, task.status)
        on_behalf = access.require_holds(access.authority(tx, actor), task, task.id)
        row = Attachment(
            task_id=task.id,
            filename=name,
            content_type=(content_type or "application/octet-stream")[:100],
            size=len(content),
            sha256=sha,
            content=content,
            note="",
            uploaded_by=actor.person_id,
            created_at=tx.now,
        )
        tx.session.add(row)
        tx.session.flush()
        tx.record(
            f"cycle:{task.cycle_id}",
            "attachment.added",
            "task",
            task.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=task.unit_id,
            data={"attachment": row.id, "filename": name, "size": len(content), "sha256": sha},
        )
        return _info(row)

    return app.run(work)


def list_for(session: Session, task_id: int) -> list[AttachmentInfo]:
    rows = session.scalars(
        select(Attachment).where(Attachment.task_id == task_id).order_by(Attachment.id)
    )
    return [_info(r) for r in rows]


def fetch(app: App, actor: Actor, attachment_id: int) -> tuple[AttachmentInfo, bytes]:
    """A file and its content, for someone who may see its task."""
    with app.read() as s:
        row = s.get(Attachment, attachment_id)
        task = s.get(Task, row.task_id) if row is not None else None
        if row is None or task is None:
            raise NotFound("attachment", attachment_id)
        try:
            require_task(s, app, scope_of(s, actor, app), task)
        except NotFound:
            raise NotFound("attachment", attachment_id) from None
        return _info(row), bytes(row.content)


def _info(r: Attachment) -> AttachmentInfo:
    return AttachmentInfo(
        r.id, r.task_id, r.filename, r.content_type, r.size, r.sha256, r.created_at
    )
