"""Files kept with a background job: what it made (a large evidence package as PDF) or
what it reads (a large organisation import's input, under ``input/``). Stored here, removed
after ``KEEP``; who may fetch a made file is decided by the job pages' read model
(``engine.views.job_files.fetch``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from engine.context import App
from engine.db.models.workflow.files import JobFile

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


def info_of(row: JobFile) -> FileInfo:
    return FileInfo(
        row.job_id, row.filename, row.content_type, row.size, row.sha256, row.created_at
    )
