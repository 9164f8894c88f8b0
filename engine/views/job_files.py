"""Files a background job made (a large evidence package as PDF): stored when the job
finishes, fetched by whoever may see the job, removed after ``KEEP``.

    job_files.store(app, job_id, "underlag.pdf", "application/pdf", content)
    info, content = job_files.fetch(app, actor, job_id)     # 404 for a job you cannot see
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from engine.context import Actor, App
from engine.db.models_files import JobFile
from engine.domain.errors import NotFound
from engine.views import detail as views

#: How long a made file is kept (it can always be made again from the database).
KEEP = timedelta(days=7)


@dataclass(frozen=True)
class FileInfo:
    job_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


def store(app: App, job_id: int, filename: str, content_type: str, content: bytes) -> FileInfo:
    """Keep the job's file (replacing an earlier one of the job); drop files past ``KEEP``."""
    now = app.clock.now()
    sha = hashlib.sha256(content).hexdigest()
    info = FileInfo(job_id, filename, content_type, len(content), sha, now)
    with app.db.write() as s:
        s.execute(delete(JobFile).where(JobFile.created_at < now - KEEP))
        s.execute(delete(JobFile).where(JobFile.job_id == job_id))
        s.add(JobFile(content=content, **info.__dict__))
    return info


def fetch(app: App, actor: Actor, job_id: int) -> tuple[FileInfo, bytes]:
    views.job(app, actor, job_id)  # the job's own visibility: its starter, or rights over its units
    with app.read() as s:
        row = s.scalar(select(JobFile).where(JobFile.job_id == job_id))
        if row is None or row.filename.startswith("input/"):  # what a job reads is not offered
            raise NotFound("file", job_id)
        return _info(row), row.content


def _info(row: JobFile) -> FileInfo:
    return FileInfo(
        row.job_id, row.filename, row.content_type, row.size, row.sha256, row.created_at
    )
