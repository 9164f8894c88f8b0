"""Laid-out parts of evidence packages, kept by the digest of what they show.

A unit's section of a package is laid out as PDF once for a given content (the unit's data,
the language, the document templates) and reused by every later package that shows the same
content, so an administration's package is mostly assembly. Derived data: a part can always
be laid out again; parts not used for a while are dropped (``engine.evidence.parts``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class EvidencePart(Base):
    __tablename__ = "evidence_part"
    __table_args__ = (Index("ix_evidence_part_used", "used_at"),)
    #: SHA-256 of the part's content, language and the templates' version.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    pages: Mapped[int] = mapped_column(Integer)
    #: JSON: anchor id -> page index inside the part (the table of contents reads it).
    anchors: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime]
