"""Safety rounds (skyddsrond, ``safety-round.yaml``): each round is a case
(``process_case``); its findings, their photos (``attachment`` rows of the round's lead
task) and the later round's review of each open finding live here. Nothing is deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class RoundFinding(Base):
    __tablename__ = "round_finding"
    __table_args__ = (
        UniqueConstraint("case_id", "number"),
        Index("ix_round_finding_unit_status", "unit_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("process_case.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    number: Mapped[int]
    point: Mapped[str] = mapped_column(String(64), default="")  # checklist point key
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    probability: Mapped[int]
    consequence: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # open | in_plan | resolved
    action_item_id: Mapped[int | None] = mapped_column(ForeignKey("action_item.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class RoundFindingPhoto(Base):
    __tablename__ = "round_finding_photo"
    __table_args__ = (UniqueConstraint("attachment_id"), Index("ix_round_photo", "finding_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("round_finding.id"))
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"))


class RoundFindingReview(Base):
    """An earlier round's open finding, looked at in a later round (the gate of that
    round's close asks for one per open finding)."""

    __tablename__ = "round_finding_review"
    __table_args__ = (UniqueConstraint("finding_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("round_finding.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("process_case.id"))  # the reviewing round
    outcome: Mapped[str] = mapped_column(String(16))  # resolved | remains
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime]
