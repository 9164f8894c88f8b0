"""Positions (befattningar) and named groups, as the organisation names the responsible
of a measure: "HR-chef", "Förvaltningschef", "Ledningsgruppen".

A position is a title at a unit, held by people over dated spans (``position_holder``).
A group is a named set of members with a convener, or the management team of a unit
(``kind`` "management_team": its convener is the unit's manager, its members the managers
of the units directly below, as the organisation stands on the day asked).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class Position(Base):
    __tablename__ = "position"
    __table_args__ = (UniqueConstraint("unit_id", "key", name="uq_position_unit_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    key: Mapped[str] = mapped_column(String(128))  # the title, folded for matching
    title: Mapped[str] = mapped_column(Text)  # as written
    created_at: Mapped[datetime]


class PositionHolder(Base):
    __tablename__ = "position_holder"
    __table_args__ = (Index("ix_position_holder_position", "position_id", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]


class OrgGroup(Base):
    __tablename__ = "org_group"
    __table_args__ = (UniqueConstraint("unit_id", "key", name="uq_org_group_unit_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    key: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # "members" or "management_team"
    convener_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class OrgGroupMember(Base):
    __tablename__ = "org_group_member"
    __table_args__ = (UniqueConstraint("group_id", "person_id", name="uq_org_group_member"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("org_group.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
