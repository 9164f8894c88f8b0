"""Files a background job made (a large evidence package as PDF), fetched by whoever may
see the job (stored by ``engine.workflow.batch.job_store``, removed after ``KEEP``).

    job_files.store(app, job_id, "underlag.pdf", "application/pdf", content)
    info, content = job_files.fetch(app, actor, job_id)     # 404 for a job you cannot see
"""

from __future__ import annotations

from sqlalchemy import select

from engine.context import Actor, App
from engine.db.models.workflow.files import JobFile
from engine.domain.errors import NotFound
from engine.views import detail as views
from engine.workflow.batch.job_store import KEEP, FileInfo, info_of, store

__all__ = ["KEEP", "FileInfo", "fetch", "store"]


def fetch(app: App, actor: Actor, job_id: int) -> tuple[FileInfo, bytes]:
    views.job(app, actor, job_id)  # the job's own visibility: its starter, or rights over its units
    with app.read() as s:
        row = s.scalar(select(JobFile).where(JobFile.job_id == job_id))
        if row is None or row.filename.startswith("input/"):  # what a job reads is not offered
            raise NotFound("file", job_id)
        return info_of(row), row.content
