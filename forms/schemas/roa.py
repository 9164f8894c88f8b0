"""The forms of a risk-oriented review (ROA, SKR's *riskorienterat arbetssätt*): the unit
HR selected, the training of its manager and safety representative, the mapping of risk
and health factors, and the measures decided."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints

from forms.schemas.base import Form, NonEmpty, OptText, label

UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Factor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


class RoaReview(Form):
    """A unit HR selected for a risk-oriented review (from the absence figures)."""

    title_sv = "Riskorienterad genomgång"
    title_en = "Risk-oriented review"

    unit: UnitCode = Field(json_schema_extra=label("Enhet", "Unit"))
    selected_on: date = Field(json_schema_extra=label("Utvald", "Selected on"))
    reason: NonEmpty = Field(
        json_schema_extra=label("Varför enheten valdes", "Why the unit was selected")
    )


class RoaTraining(Form):
    title_sv = "Utbildning i riskorienterat arbetssätt"
    title_en = "Training in the risk-oriented approach"

    trained_on: date = Field(json_schema_extra=label("Utbildad", "Trained on"))
    course: NonEmpty = Field(json_schema_extra=label("Utbildning", "Course"))
    note: OptText = Field("", json_schema_extra=label("Kommentar", "Note", widget="textarea"))


class RoaMapping(Form):
    title_sv = "Kartläggning av risk- och friskfaktorer"
    title_en = "Mapping of risk and health factors"

    done_on: date = Field(json_schema_extra=label("Datum", "Date"))
    participants: NonEmpty = Field(json_schema_extra=label("Deltagare", "Participants"))
    risk_factors: list[Factor] = Field(
        min_length=1, max_length=50, json_schema_extra=label("Riskfaktorer", "Risk factors")
    )
    health_factors: list[Factor] = Field(
        default_factory=list,
        max_length=50,
        json_schema_extra=label("Friskfaktorer", "Health factors"),
    )
    note: OptText = Field("", json_schema_extra=label("Analys", "Analysis", widget="textarea"))


class RoaMeasures(Form):
    title_sv = "Åtgärder efter den riskorienterade genomgången"
    title_en = "Measures after the risk-oriented review"

    measures: list[Factor] = Field(
        min_length=1, max_length=50, json_schema_extra=label("Åtgärder", "Measures")
    )
    follow_up_on: date = Field(json_schema_extra=label("Följs upp", "Follow-up on"))
    note: OptText = Field("", json_schema_extra=label("Kommentar", "Note", widget="textarea"))
