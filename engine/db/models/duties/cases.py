"""Links from a case to what it put in an action plan (issue 10): an incident's
investigation measures, a manager's own risk in the plan of the unit above. The plan
shows where an item came from; the case shows where its measures went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class CasePlanLink(Base):
    __tablename__ = "case_plan_link"
    __table_args__ = (
        UniqueConstraint("action_item_id"),
        Index("ix_case_plan_link_case", "case_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("process_case.id"))
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))  # the task that wrote it
    created_at: Mapped[datetime]
