"""What an action plan holds beyond its items and measures: the plan's own header (title,
scope, plan date, responsible manager, participants with their organisation, follow-up
rhythm) and each measure's follow-up points (uppföljning, utvärdering: a date or period,
none when none was given).

The unit's annual cycle keeps its plan as one such plan (``Plan.cycle_id``). The columns
on ``measure`` (``due_kind``, ``due_start``, ``due_label``) and ``measure_event.about``
(the day a status is about, when it is not the day it was recorded) are in ``models``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base

PLAN_SCOPES = ("unit", "department", "administration", "theme")


class Plan(Base):
    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("cycle_id", name="uq_plan_cycle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id"))
    scope: Mapped[str] = mapped_column(String(16))  # PLAN_SCOPES
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    theme: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    plan_date: Mapped[date | None]
    responsible_manager: Mapped[str] = mapped_column(Text, default="")  # as written
    follow_up_months: Mapped[int | None]  # its own follow-up rhythm, in months
    #: Named review dates beside (or instead of) the rhythm: ISO days, comma-separated.
    review_dates: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PlanParticipant(Base):
    """Who took part in drawing the plan up, with their organisation (e.g. a union)."""

    __tablename__ = "plan_participant"
    __table_args__ = (Index("ix_plan_participant_plan", "plan_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str] = mapped_column(Text, default="")


class MeasureFollowUp(Base):
    """A follow-up point of a measure: ``kind`` follow_up or evaluation, a period."""

    __tablename__ = "measure_follow_up"
    __table_args__ = (Index("ix_measure_follow_up_measure", "measure_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    period_kind: Mapped[str] = mapped_column(String(8))
    start: Mapped[date | None]
    end: Mapped[date | None]
    label: Mapped[str] = mapped_column(String(64), default="")
