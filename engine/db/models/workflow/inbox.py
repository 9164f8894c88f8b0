"""What people keep beside their tasks: comments on a task, the day's nudge of a task's
holder, and saved views of the inbox (a query kept on the server, shareable in a unit).

Each write has its audit event in the same transaction (comments and nudges in the task's
cycle chain, saved views in the ``views`` chain); nothing here is ever deleted (a removed
view is marked removed).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class TaskComment(Base):
    __tablename__ = "task_comment"
    __table_args__ = (Index("ix_task_comment_task", "task_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class TaskNudge(Base):
    """One row per task and local day: the unique key keeps it to one nudge a day, even
    with two people pressing at once."""

    __tablename__ = "task_nudge"
    __table_args__ = (UniqueConstraint("task_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    day: Mapped[date]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class SavedView(Base):
    __tablename__ = "saved_view"
    __table_args__ = (
        Index("ix_saved_view_owner", "owner_id"),
        Index("ix_saved_view_unit", "shared_unit_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    name: Mapped[str] = mapped_column(String(80))
    #: The inbox's query string, as checked when saved (sort, group, filters).
    query: Mapped[str] = mapped_column(String(400))
    #: Shared with everyone holding a role at this unit (None: the owner's own).
    shared_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
