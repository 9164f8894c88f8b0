"""A plan in its own right (``engine/cycle_templates/action-plan.yaml``): its header, and
the form of its own follow-up at its rhythm."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from engine.domain.validation import bilingual
from forms.schemas.base import Form, NonEmpty, OptText, label

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
SCOPES = {
    "unit": ("En enhet", "A unit"),
    "department": ("En avdelning", "A department"),
    "administration": ("Hela förvaltningen", "The whole administration"),
    "theme": ("Ett tema över flera enheter", "A theme across units"),
}


def months_field() -> Any:
    """A plan's rhythm in months (the header's and the rhythm change's one definition)."""
    return Field(
        None,
        ge=1,
        le=12,
        json_schema_extra=label("Följs upp var … månad", "Followed up every … months"),
    )


def dates_field() -> Any:
    """A plan's named review dates."""
    return Field(
        default_factory=list,
        max_length=24,
        json_schema_extra=label(
            "Uppföljningsdatum (ÅÅÅÅ-MM-DD)", "Review dates (YYYY-MM-DD)", widget="lines"
        ),
    )


def in_order(cls: type, v: list[date]) -> list[date]:
    """Review dates once each, earliest first."""
    return sorted(set(v))


class Participant(Form):
    name: Name = Field(json_schema_extra=label("Namn", "Name"))
    organisation: Short = Field("", json_schema_extra=label("Organisation", "Organisation"))


class ActionPlanHeader(Form):
    """What a plan is about and who drew it up: its scope (a unit, a department, the whole
    administration, or a theme across units), title, date, responsible manager and the
    participants with their organisation (e.g. the unions); and its own review rhythm:
    every ``follow_up_months`` from the plan date, on the ``review_dates`` named, or both
    (neither: the setting ``plan_review_months``)."""

    title_sv = "Ny handlingsplan"
    title_en = "New action plan"

    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = (
        Field(
            json_schema_extra=label(
                "Enhet eller förvaltning (kod)", "Unit or administration (code)"
            )
        )
    )
    scope: Literal["unit", "department", "administration", "theme"] = Field(
        json_schema_extra=label("Omfattning", "Scope", choices=SCOPES)
    )
    theme: Short = Field("", json_schema_extra=label("Tema", "Theme"))
    title: Name = Field(json_schema_extra=label("Rubrik", "Title"))
    plan_date: date = Field(json_schema_extra=label("Plandatum", "Plan date"))
    responsible_manager: Short = Field(
        "", json_schema_extra=label("Ansvarig chef", "Responsible manager")
    )
    participants: list[Participant] = Field(
        default_factory=list, max_length=50, json_schema_extra=label("Deltagare", "Participants")
    )
    follow_up_months: int | None = months_field()
    review_dates: list[date] = dates_field()

    @model_validator(mode="after")
    def _theme(self) -> ActionPlanHeader:
        if self.scope == "theme" and not self.theme:
            raise ValueError(
                bilingual(
                    "a plan for a theme across units names its theme",
                    "en plan för ett tema över flera enheter anger sitt tema",
                    field="theme",
                )
            )
        return self

    @model_validator(mode="after")
    def _review_dates(self) -> ActionPlanHeader:
        early = [d for d in self.review_dates if d <= self.plan_date]
        if early:
            raise ValueError(
                bilingual(
                    f"a review date must fall after the plan date ({early[0].isoformat()} "
                    "does not)",
                    f"ett uppföljningsdatum ska ligga efter plandatum ({early[0].isoformat()} "
                    "gör inte det)",
                    field="review_dates",
                )
            )
        return self

    _in_order = field_validator("review_dates")(in_order)


class PlanReview(Form):
    """The plan followed up as a whole, at its own rhythm."""

    title_sv = "Uppföljning av handlingsplanen"
    title_en = "Follow-up of the action plan"

    summary: NonEmpty = Field(
        json_schema_extra=label(
            "Hur går arbetet med planen?", "How is the plan going?", widget="textarea"
        )
    )
    changes: OptText = Field(
        "", json_schema_extra=label("Ändringar i planen", "Changes to the plan", widget="textarea")
    )


class PlanRhythm(Form):
    """A plan's review rhythm changed after it was made: every so many months from its plan
    date, on named dates, or both (at least one of them)."""

    title_sv = "Ändra planens uppföljningsrytm"
    title_en = "Change the plan's review rhythm"

    follow_up_months: int | None = months_field()
    review_dates: list[date] = dates_field()

    _in_order = field_validator("review_dates")(in_order)

    @model_validator(mode="after")
    def _some_rhythm(self) -> PlanRhythm:
        if self.follow_up_months is None and not self.review_dates:
            raise ValueError(
                bilingual(
                    "give the months between reviews, or at least one review date",
                    "ange antal månader mellan uppföljningarna eller minst ett datum",
                    field="follow_up_months",
                )
            )
        return self
