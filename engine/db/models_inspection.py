"""Inspections by Arbetsmiljöverket: the inspection, its requirements (krav) and the tasks
that answer them.

An inspection runs as a cycle of its own (template ``av-inspection``, instance
``inspection:<id>``), so its tasks get the inbox, reminders, escalation and audit chain of
every other task. Each requirement is answered by one task per responsible unit; a task
returned up the line is followed through ``Task.returned_from_id``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class Inspection(Base):
    __tablename__ = "inspection"
    __table_args__ = (Index("ix_inspection_unit", "unit_id", "inspected_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id"))
    reference: Mapped[str] = mapped_column(String(64), default="")  # AV:s diarienummer
    inspector: Mapped[str] = mapped_column(String(200), default="")
    inspected_on: Mapped[date]
    reply_by: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reply_drafted_at: Mapped[datetime | None]
    reply_digest: Mapped[str | None] = mapped_column(String(64))


class InspectionRequirement(Base):
    """One krav of the inspection message, as the inspector wrote it."""

    __tablename__ = "inspection_requirement"
    __table_args__ = (UniqueConstraint("inspection_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date]


class RequirementTask(Base):
    """The first task made for a requirement at one responsible unit."""

    __tablename__ = "requirement_task"
    __table_args__ = (
        UniqueConstraint("task_id"),
        Index("ix_requirement_task_requirement", "requirement_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("inspection_requirement.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
