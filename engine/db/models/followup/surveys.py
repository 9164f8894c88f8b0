"""Employee surveys (HME), absence figures and the risk-oriented selection (ROA).

What is stored of a survey, and why (docs/surveys.md): **no answer of any respondent**. The
file is read in memory, the answers are summed per unit, and only each unit's published
cells are kept: its number of answers over its subtree and, when the unit is shown (not
suppressed), its indices. A suppressed unit keeps its count and the reason, never a figure;
the file itself is not kept (only its name and SHA-256, to say which file it was).

Nothing here is deleted: a re-import marks the year's earlier import replaced
(``replaced_at``), an absence figure re-imported is overwritten with an audit event.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class SurveyMapping(Base):
    """Which columns of a vendor's file hold the unit, the nine HME questions (and, for a
    file aggregated per unit, the number of answers), and the answers' scale."""

    __tablename__ = "survey_mapping"
    __table_args__ = (UniqueConstraint("key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    layout: Mapped[str] = mapped_column(String(16))  # respondent | unit
    unit_column: Mapped[str] = mapped_column(String(200))
    count_column: Mapped[str] = mapped_column(String(200), default="")
    invited_column: Mapped[str] = mapped_column(String(200), default="")
    columns: Mapped[str] = mapped_column(Text)  # JSON: question key -> column heading
    scale_low: Mapped[int]
    scale_high: Mapped[int]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime]


class SurveyImport(Base):
    """One import of a year's survey; a later one of the same year replaces it."""

    __tablename__ = "survey_import"
    __table_args__ = (Index("ix_survey_import_year", "year", "replaced_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    survey_name: Mapped[str] = mapped_column(String(200))
    mapping_key: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300))
    digest: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    respondents: Mapped[int]
    incomplete: Mapped[int]  # respondent rows left out: not all nine questions answered
    min_answers: Mapped[int]  # the threshold the figures were suppressed with
    imported_at: Mapped[datetime]
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    replaced_at: Mapped[datetime | None]


class SurveyResult(Base):
    """A unit's published cell of one import (its whole subtree)."""

    __tablename__ = "survey_result"
    __table_args__ = (
        UniqueConstraint("import_id", "unit_id"),
        Index("ix_survey_result_unit", "unit_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("survey_import.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    answered: Mapped[int]
    invited: Mapped[int | None]
    suppressed: Mapped[str | None] = mapped_column(String(16))  # none | few | derivable
    motivation: Mapped[float | None] = mapped_column(Float)
    leadership: Mapped[float | None] = mapped_column(Float)
    governance: Mapped[float | None] = mapped_column(Float)
    hme: Mapped[float | None] = mapped_column(Float)
    questions: Mapped[str | None] = mapped_column(Text)  # JSON: question -> index


class AbsenceFigure(Base):
    """A unit's sick leave in one period (a month ``2027-03``, a quarter ``2027-Q1`` or a
    year ``2027``), as the HR system reports it: per cent of scheduled time."""

    __tablename__ = "absence_figure"
    __table_args__ = (
        UniqueConstraint("unit_id", "period"),
        Index("ix_absence_figure_year", "year"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period: Mapped[str] = mapped_column(String(16))
    year: Mapped[int]
    starts_on: Mapped[date]
    short_term_pct: Mapped[float] = mapped_column(Float)  # spells shorter than 14 days
    long_term_pct: Mapped[float] = mapped_column(Float)
    headcount: Mapped[int]
    imported_at: Mapped[datetime]
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class RoaSelection(Base):
    """HR's confirmed selection of units for a risk-oriented review, with the rule as it
    was applied (``rule``: JSON of the settings)."""

    __tablename__ = "roa_selection"
    __table_args__ = (Index("ix_roa_selection_year", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    rule: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[datetime]
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class RoaUnit(Base):
    """A unit of a confirmed selection, why it was proposed, and the review case it got."""

    __tablename__ = "roa_unit"
    __table_args__ = (UniqueConstraint("selection_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("roa_selection.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    proposed: Mapped[bool]  # the rule proposed it (else HR added it)
    basis: Mapped[str] = mapped_column(Text)  # JSON: the periods and figures behind it
    case_id: Mapped[int | None] = mapped_column(ForeignKey("process_case.id"))


class HealthGoal(Base):
    """A measurable health goal the administration sets for the year (issue 12 §4)."""

    __tablename__ = "health_goal"
    __table_args__ = (UniqueConstraint("year", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(400))
    measure: Mapped[str] = mapped_column(String(200))  # what is measured, with its unit
    target: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(8))  # at_least | at_most
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class HealthPlan(Base):
    """A unit's health plan for the year: two chosen health factors, its challenges."""

    __tablename__ = "health_plan"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    year: Mapped[int]
    factors: Mapped[str] = mapped_column(Text)  # JSON: the two health-factor keys
    challenges: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class HealthLocalGoal(Base):
    """A local goal of a unit's plan, serving one of the administration's goals."""

    __tablename__ = "health_local_goal"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("health_plan.id"))
    number: Mapped[int]
    goal_id: Mapped[int] = mapped_column(ForeignKey("health_goal.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # planned | ongoing | done
    value: Mapped[float | None] = mapped_column(Float)  # the latest figure of its measure


class HealthFollowUp(Base):
    """A department head's follow-up of a unit's plan."""

    __tablename__ = "health_follow_up"
    __table_args__ = (Index("ix_health_follow_up_plan", "plan_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("health_plan.id"))
    done_on: Mapped[date]
    comment: Mapped[str] = mapped_column(Text)
    by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
