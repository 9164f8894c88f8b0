"""Action plan stage: the written handlingsplan (13 §), in the shape of a real one."""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator, model_validator

from engine.domain.validation import bilingual
from forms.schemas.base import Form, NonEmpty, OptText, Scale, check_responsible, label


class MeasureInput(Form):
    id: int | None = Field(None, json_schema_extra=label("Id", "Id", widget="hidden"))
    what: NonEmpty = Field(json_schema_extra=label("Åtgärd", "Measure"))
    desired_result: OptText = Field(
        "", json_schema_extra=label("Önskat resultat", "Desired result")
    )
    responsible: NonEmpty = Field(json_schema_extra=label("Ansvarig", "Responsible"))
    due_date: date = Field(json_schema_extra=label("Klart senast", "Due"))
    follow_up_date: date | None = Field(None, json_schema_extra=label("Uppföljning", "Follow-up"))

    _responsible = field_validator("responsible")(check_responsible)

    @model_validator(mode="after")
    def _follow_up_after_due(self) -> MeasureInput:
        if self.follow_up_date is not None and self.follow_up_date < self.due_date:
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
