"""Action plan stage: the written handlingsplan (13 §), in the shape of a real one."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from engine.domain.period import Period, PeriodError, day, parse_period
from engine.domain.validation import bilingual
from forms.schemas.base import Form, NonEmpty, OptText, Scale, check_responsible, label

PeriodText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class MeasureInput(Form):
    id: int | None = Field(None, json_schema_extra=label("Id", "Id", widget="hidden"))
    what: NonEmpty = Field(json_schema_extra=label("Åtgärd", "Measure"))
    desired_result: OptText = Field(
        "", json_schema_extra=label("Önskat resultat", "Desired result")
    )
    responsible: NonEmpty = Field(
        json_schema_extra=label("Ansvarig", "Responsible", widget="responsible")
    )
    due_date: date | None = Field(None, json_schema_extra=label("Klart senast", "Due"))
    due_period: PeriodText = Field(
        "",
        json_schema_extra=label(
            "Tidplan (t.ex. hösten 2027, Q1 2027, kontinuerligt)",
            "Due period (e.g. autumn 2027, Q1 2027, ongoing)",
        ),
    )
    follow_up_date: date | None = Field(None, json_schema_extra=label("Uppföljning", "Follow-up"))

    _responsible = field_validator("responsible")(check_responsible)

    @property
    def due(self) -> Period:
        """The due period: as written, else the day given."""
        if self.due_period:
            return parse_period(self.due_period)
        assert self.due_date is not None
        return day(self.due_date)

    @model_validator(mode="after")
    def _follow_up_after_due(self) -> MeasureInput:
        if self.due_period:
            try:
                p = parse_period(self.due_period)
            except PeriodError as exc:
                raise ValueError(
                    bilingual(exc.message_en, exc.message_sv, field="due_period")
                ) from None
            if self.due_date is not None and self.due_date != p.end:
                raise ValueError(
                    bilingual(
                        "due_date is not the end of due_period",
                        "klart-datum är inte slutet av tidplanen",
                        field="due_date",
                    )
                )
            self.due_date = p.end
        elif self.due_date is None:
            raise ValueError(
                bilingual(
                    "give due_date or due_period",
                    "ange klart-datum eller tidplan",
                    field="due_date",
                )
            )
        if (
            self.follow_up_date is not None
            and self.due_date is not None
            and self.follow_up_date < self.due_date
        ):
            raise ValueError(
                bilingual(
                    "follow_up_date cannot be before due_date",
                    "uppföljningsdatum kan inte ligga före klart-datum",
                    field="follow_up_date",
                )
            )
        return self


class ActionItemInput(Form):
    id: int | None = Field(None, json_schema_extra=label("Id", "Id", widget="hidden"))
    area: NonEmpty = Field(json_schema_extra=label("Förbättringsområde/risk", "Area or risk"))
    risk_id: int | None = Field(None, json_schema_extra=label("Risk", "Risk", widget="risk"))
    current_state: OptText = Field("", json_schema_extra=label("Nuläge", "Current state"))
    probability: Scale | None = Field(None, json_schema_extra=label("Sannolikhet", "Probability"))
    consequence: Scale | None = Field(None, json_schema_extra=label("Konsekvens", "Consequence"))
    measures: list[MeasureInput] = Field(
        min_length=1, max_length=50, json_schema_extra=label("Åtgärder", "Measures")
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> ActionItemInput:
        if (self.probability is None) != (self.consequence is None):
            raise ValueError(
                bilingual(
                    "give both probability and consequence, or neither",
                    "ange både sannolikhet och konsekvens, eller ingen",
                    field="consequence",
                )
            )
        return self


class ActionPlan(Form):
    title_sv = "Handlingsplan"
    title_en = "Action plan"

    participants: NonEmpty = Field(
        json_schema_extra=label("Deltagare i framtagandet", "Drafted by")
    )
    source_material: OptText = Field(
        "", json_schema_extra=label("Underlag (enkät, skyddsrond, workshop)", "Source material")
    )
    items: list[ActionItemInput] = Field(
        default_factory=list, max_length=100, json_schema_extra=label("Punkter", "Items")
    )
