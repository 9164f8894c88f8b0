"""Organisation imports held for a second person's confirmation.

An import that would end more than a set share of the roles in the importer's reach is not
applied: its files are kept here, with their hash, until a second HR person confirms (it
is then applied exactly as held) or someone refuses it. The row is the record of the
decision; the audit log has the same in the ``org`` chain.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class PendingImport(Base):
    __tablename__ = "pending_import"
    __table_args__ = (Index("ix_pending_import_status", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    units_file: Mapped[str] = mapped_column(String(255))
    people_file: Mapped[str] = mapped_column(String(255))
    units_csv: Mapped[str] = mapped_column(Text)
    people_csv: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # confirmed | refused
    roles_in_reach: Mapped[int] = mapped_column(Integer)
    roles_ending: Mapped[int] = mapped_column(Integer)
    ending: Mapped[str] = mapped_column(Text)  # JSON: [[email, role, unit code], ...]
    touched_units: Mapped[str] = mapped_column(Text)  # JSON: unit ids the import changes
    requested_by: Mapped[int] = mapped_column(ForeignKey("person.id"))
    requested_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
