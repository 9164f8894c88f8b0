"""The roll-up of the annual follow-up (``followup-rollup.yaml``): each level is a case;
a waiver lets a level close while one of its sub-units has not followed up, with HR's
reason (audited in the level's chain)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class FollowupWaiver(Base):
    __tablename__ = "followup_waiver"
    __table_args__ = (UniqueConstraint("case_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("process_case.id"))  # the level
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))  # the missing sub-unit
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]
