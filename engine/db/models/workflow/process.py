"""Cases of a process whose subject is not a unit's year: the case (an inspection, an
incident, a request), its items (an inspection's requirements) and the tasks that answer
them, and the documents drawn up from it.

A case runs as a cycle of its own (instance ``<kind>:<id>``), so its tasks get the inbox,
reminders, escalation and audit chain of every other task. The subject's fields, as its
form schema validated them, are kept as JSON in ``data``; the few every case has (its unit,
date, reference, deadline) are columns, for lists and visibility. An item is answered by
one task per responsible unit; a task returned up the line is followed through
``Task.returned_from_id``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class ProcessCase(Base):
    __tablename__ = "process_case"
    __table_args__ = (Index("ix_process_case_kind_unit", "kind", "unit_id", "opened_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # the template's subject kind
    template_key: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id"))
    reference: Mapped[str] = mapped_column(String(64), default="")
    opened_on: Mapped[date]  # the subject's date (an inspection's day)
    deadline: Mapped[date | None]
    data: Mapped[str] = mapped_column(Text)  # the subject's fields (items apart), JSON
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class CaseItem(Base):
    """One item of a case (a krav of an inspection message, as the inspector wrote it)."""

    __tablename__ = "case_item"
    __table_args__ = (UniqueConstraint("case_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("process_case.id"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date]
    data: Mapped[str | None] = mapped_column(Text)  # the item's other fields, JSON


class CaseItemTask(Base):
    """The first task made for an item at one responsible unit."""

    __tablename__ = "case_item_task"
    __table_args__ = (
        UniqueConstraint("task_id"),
        Index("ix_case_item_task_item", "item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("case_item.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))


class CaseDocument(Base):
    """A document drawn up from a case (the reply to Arbetsmiljöverket), with the digest
    of its content; drawn up again, it gets a new row (nothing is replaced)."""

    __tablename__ = "case_document"
    __table_args__ = (Index("ix_case_document_case", "case_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("process_case.id"))
    key: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
