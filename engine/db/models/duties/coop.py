"""Cooperation (samverkan, MBL §§ 11, 19): the bodies at each level and their members, their
meetings with an agenda, the protocol of each meeting (checked and signed, *justerat*, by a
union representative), MBL negotiations an item may switch to, and what the cooperation
establishes: an action plan *fastställd* at a meeting, a change decided after it.

Nothing here is deleted: a member leaves with an end date, a signed protocol is fixed (its
digest is kept), a negotiation ends with its result.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class CoopBody(Base):
    """A cooperation body at a unit: APT, LSG/samverkansgrupp, FSG/CSG, skyddskommitté."""

    __tablename__ = "coop_body"
    __table_args__ = (UniqueConstraint("code"), Index("ix_coop_body_unit", "unit_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(32))  # a key of settings.coop_body_kinds
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class CoopMember(Base):
    """A person's seat in a body: the employer's chair, a union or a safety representative."""

    __tablename__ = "coop_member"
    __table_args__ = (
        Index("ix_coop_member_body", "body_id"),
        Index("ix_coop_member_person", "person_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("coop_body.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[str] = mapped_column(String(16))  # chair | employer | union_rep | safety_rep
    organisation: Mapped[str] = mapped_column(String(200), default="")  # the union, say
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]


class CoopMeeting(Base):
    """A meeting of a body; its protocol is signed once, then fixed (``digest``)."""

    __tablename__ = "coop_meeting"
    __table_args__ = (Index("ix_coop_meeting_body", "body_id", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("coop_body.id"))
    held_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    signed_at: Mapped[datetime | None]
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    digest: Mapped[str | None] = mapped_column(String(64))


class CoopItem(Base):
    """An agenda item and what the meeting said about it (``outcome``: decided,
    disagreement, or mbl when a union asked for negotiation)."""

    __tablename__ = "coop_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "number"),
        Index("ix_coop_item_subject", "subject_type", "subject_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("coop_meeting.id"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    subject_type: Mapped[str] = mapped_column(String(32))  # plan | change | incident | ...
    subject_id: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(String(16), default="")
    decision: Mapped[str] = mapped_column(Text, default="")
    disagreement: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime | None]
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class MblNegotiation(Base):
    """An MBL negotiation an item switched to, with its own protocol; it ends in agreement
    or disagreement, which is recorded and does not block the employer's decision."""

    __tablename__ = "mbl_negotiation"
    __table_args__ = (UniqueConstraint("item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("coop_item.id"))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    requested_by: Mapped[int] = mapped_column(ForeignKey("person.id"))
    requested_at: Mapped[datetime]
    result: Mapped[str] = mapped_column(String(16), default="")  # agreement | disagreement
    protocol: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class PlanEstablishment(Base):
    """An action plan fastställd: the manager decided it, and the protocol of the meeting
    that handled it is signed. Shown in the plan's header and in the evidence package."""

    __tablename__ = "plan_establishment"
    __table_args__ = (UniqueConstraint("cycle_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("coop_item.id"))
    body_label: Mapped[str] = mapped_column(String(64))  # "FSG", as the header shows it
    established_on: Mapped[date]  # the meeting's day
    mbl: Mapped[str] = mapped_column(String(16), default="")  # "" | agreement | disagreement
    decided_task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    created_at: Mapped[datetime]


class ChangeDecision(Base):
    """A change case marked decided (once its risk assessment is approved and its
    cooperation item closed)."""

    __tablename__ = "change_decision"
    __table_args__ = (UniqueConstraint("case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("process_case.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
