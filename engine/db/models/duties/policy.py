"""Policy, routines and knowledge (AFS 2023:1 on policy, routines and knowledge): the
work-environment policy and the routines as documents with an owner and versions, each
version's read-acknowledgements by managers, the yearly reviews, and the training records
of managers and safety representatives.

Nothing here is deleted: a new version follows the old one (which stays readable), a
review is a row of its own, a renewed training is a new record.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class PolicyDocument(Base):
    """The policy or a routine of a unit (usually the employer at the top), owned by a role
    there (HR, the director or the unit's manager): whoever holds it reviews it."""

    __tablename__ = "policy_document"
    __table_args__ = (UniqueConstraint("code"), Index("ix_policy_document_unit", "unit_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(16))  # policy | routine
    topic: Mapped[str] = mapped_column(String(32))  # engine.policy.documents.TOPICS
    title: Mapped[str] = mapped_column(String(200))
    owner_role: Mapped[str] = mapped_column(String(32))  # hr | director | manager
    review_by: Mapped[date | None]  # of the current version; drives the review task
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class PolicyVersion(Base):
    """One version of a document: its text (and digest), when it applies, who made it."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("policy_document.id"))
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[date]
    review_by: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class PolicyAck(Base):
    """A manager has read a version (once per person and version)."""

    __tablename__ = "policy_ack"
    __table_args__ = (
        UniqueConstraint("version_id", "person_id"),
        Index("ix_policy_ack_person", "person_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    acknowledged_at: Mapped[datetime]


class PolicyReview(Base):
    """A yearly review of a document, as its review task was completed."""

    __tablename__ = "policy_review"
    __table_args__ = (Index("ix_policy_review_document", "document_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("policy_document.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    outcome: Mapped[str] = mapped_column(String(16))  # unchanged | revise
    note: Mapped[str] = mapped_column(Text, default="")
    next_review: Mapped[date]
    reviewed_at: Mapped[datetime]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class TrainingRecord(Base):
    """A manager's or safety representative's training in the work environment: the course,
    when it was taken and how long it counts (``valid_until``: none, for good)."""

    __tablename__ = "training_record"
    __table_args__ = (
        Index("ix_training_record_person", "person_id"),
        Index("ix_training_record_unit", "unit_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    role: Mapped[str] = mapped_column(String(32))  # manager | safety_rep
    course_key: Mapped[str] = mapped_column(String(32))  # settings.knowledge_courses
    course: Mapped[str] = mapped_column(String(200))
    taken_on: Mapped[date]
    valid_until: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
