"""A change in the organisation (reorganisation, new premises, a new schedule, staff cuts):
registering it, the risk assessment made before it, and the safety representative's own
record of taking part (AFS 2023:1 on changes; AFS 2023:2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from forms.schemas.base import Form, NonEmpty, OptText, label

UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

CHANGE_KINDS = {
    "reorganisation": ("Omorganisation", "Reorganisation"),
    "premises": ("Nya lokaler", "New premises"),
    "schedule": ("Nytt schema", "New schedule"),
    "staff_cuts": ("Personalneddragning", "Staff cuts"),
    "other": ("Annan förändring", "Other change"),
}


class ChangeRegistration(Form):
    title_sv = "Registrera förändring"
    title_en = "Register a change"

    unit: UnitCode = Field(json_schema_extra=label("Ansvarig enhet", "Responsible unit"))
    title: Title = Field(json_schema_extra=label("Förändring", "Change"))
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = Field(
        "", json_schema_extra=label("Diarienummer", "Reference")
    )
    change_kind: Literal["reorganisation", "premises", "schedule", "staff_cuts", "other"] = Field(
        json_schema_extra=label("Slag av förändring", "Kind of change", choices=CHANGE_KINDS)
    )
    description: NonEmpty = Field(
        json_schema_extra=label("Beskrivning", "Description", widget="textarea")
    )
    registered_on: date = Field(json_schema_extra=label("Registrerad", "Registered on"))
    planned_on: date | None = Field(
        None, json_schema_extra=label("Planerad att genomföras", "Planned for")
    )
    affected_units: list[UnitCode] = Field(
        default_factory=list,
        max_length=200,
        json_schema_extra=label(
            "Berörda enheter (tomt: den ansvariga enheten)",
            "Affected units (empty: the responsible unit)",
        ),
    )


class ChangeRisk(Form):
    description: NonEmpty = Field(json_schema_extra=label("Risk", "Risk", widget="textarea"))
    probability: int = Field(
        ge=1, le=4, json_schema_extra=label("Sannolikhet (1-4)", "Probability (1-4)")
    )
    consequence: int = Field(
        ge=1, le=4, json_schema_extra=label("Konsekvens (1-4)", "Consequence (1-4)")
    )
    measure: OptText = Field("", json_schema_extra=label("Åtgärd", "Measure", widget="textarea"))


class ChangeRiskAssessment(Form):
    """The manager's risk assessment of the change, before it is decided."""

    title_sv = "Riskbedömning inför förändring"
    title_en = "Risk assessment before a change"

    risks: list[ChangeRisk] = Field(
        min_length=1, max_length=100, json_schema_extra=label("Risker", "Risks")
    )
    conclusion: NonEmpty = Field(
        json_schema_extra=label("Slutsats", "Conclusion", widget="textarea")
    )


class ChangeParticipation(Form):
    """The safety representative's own record of taking part in the assessment."""

    title_sv = "Skyddsombudets medverkan i riskbedömningen"
    title_en = "The safety representative's participation in the risk assessment"

    participated: Literal["yes", "no"] = Field(
        json_schema_extra=label(
            "Har du medverkat i riskbedömningen?",
            "Did you take part in the risk assessment?",
            choices={"yes": ("Ja", "Yes"), "no": ("Nej", "No")},
        )
    )
    views: OptText = Field("", json_schema_extra=label("Synpunkter", "Views", widget="textarea"))
