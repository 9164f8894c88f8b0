"""Task allocation (uppgiftsfördelning, AFS 2023:1 9 § and Bilaga 1): the written allocation of
SAM tasks to the manager of each unit, made by the manager above (the board for the top),
accepted and signed by both; the tasks (or single cases of them) a manager returns in
writing, with what they lack and what the allocator decided; and the open tasks the manager
above holds for a new manager until their allocation is accepted.

Nothing here is deleted: a new allocation supersedes the old one (``superseded_by_id``),
a return is closed with its outcome, a hold is released with a date.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class TaskAllocation(Base):
    """One written allocation to the manager of a unit: offered -> accepted | returned,
    then superseded by the next one. ``content`` is the canonical JSON both signed
    (its SHA-256 in ``digest``)."""

    __tablename__ = "task_allocation"
    __table_args__ = (
        Index("ix_task_allocation_unit", "unit_id", "state"),
        Index("ix_task_allocation_manager", "manager_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    position_title: Mapped[str] = mapped_column(String(200), default="")
    manager_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    substitute_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    allocator_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    #: the unit of the manager above who allocated; None: the board (nämnd/styrelse)
    allocator_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    board: Mapped[str] = mapped_column(String(200), default="")  # the board's name
    board_decision: Mapped[str] = mapped_column(String(200), default="")  # its reference
    state: Mapped[str] = mapped_column(String(16))  # offered|accepted|returned|superseded
    content: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    offered_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answer_note: Mapped[str] = mapped_column(Text, default="")
    answer_lacking: Mapped[str] = mapped_column(String(64), default="")
    superseded_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("task_allocation.id"))


class AllocationItem(Base):
    """One SAM task of an allocation with the authority, resources and knowledge that go
    with it."""

    __tablename__ = "allocation_item"
    __table_args__ = (Index("ix_allocation_item_allocation", "allocation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("task_allocation.id"))
    number: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))  # a SAM task of the catalogue
    authority: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    knowledge: Mapped[str] = mapped_column(Text, default="")


class AllocationReturn(Base):
    """A manager's written return (returnering) of an allocated task, or of one case of it:
    what is lacking, why; then the allocator's decision."""

    __tablename__ = "allocation_return"
    __table_args__ = (
        Index("ix_allocation_return_allocation", "allocation_id"),
        Index("ix_allocation_return_task", "new_task_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("task_allocation.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_item.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    #: the allocator's unit: where the returned work went (the manager above)
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))  # one case, returned
    new_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))  # now with them
    tasks: Mapped[str] = mapped_column(Text, default="[]")  # every returned task: [[old, new]]
    lacking: Mapped[str] = mapped_column(String(64))  # authority,resources,knowledge
    reason: Mapped[str] = mapped_column(Text)
    returned_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    returned_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # open | decided
    outcome: Mapped[str | None] = mapped_column(String(16))  # resources|taken_back|elsewhere
    decision_note: Mapped[str] = mapped_column(Text, default="")
    to_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None]
    #: the allocator's decision task (a case of allocation-return.yaml): its cycle
    decision_cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id"))


class AllocationHold(Base):
    """An open task the manager above holds for a new manager of the unit, until the new
    manager's allocation is accepted (``released_at``)."""

    __tablename__ = "allocation_hold"
    __table_args__ = (Index("ix_allocation_hold_unit", "unit_id", "released_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    manager_id: Mapped[int] = mapped_column(ForeignKey("person.id"))  # the one waiting
    holder_id: Mapped[int] = mapped_column(ForeignKey("person.id"))  # the manager above
    held_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
