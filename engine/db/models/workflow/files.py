"""Documents made by background jobs (a large evidence package as PDF), kept in the
database so that whichever web process serves the download finds them.

They are derived data: the job row and its audit events are the record, and the package
can be built again from the database on the same basis. So a file is kept only for a while
(``engine.workflow.batch.job_store.KEEP``) and not in the job row itself, which progress pages
read every second.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class JobFile(Base):
    __tablename__ = "job_file"
    __table_args__ = (Index("ix_job_file_created", "created_at"),)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
