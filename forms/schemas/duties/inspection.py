"""Inspections by Arbetsmiljöverket: registering one (its krav and reply deadline) and the
form a responsible manager answers a requirement with."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from engine.domain.validation import bilingual
from forms.schemas.base import Form, NonEmpty, OptText, label

UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


class RequirementInput(Form):
    text: NonEmpty = Field(json_schema_extra=label("Krav", "Requirement", widget="textarea"))
    units: list[UnitCode] = Field(
        default_factory=list,
        max_length=200,
        json_schema_extra=label(
            "Ansvariga enheter (tomt: den inspekterade enheten)",
            "Responsible units (empty: the inspected unit)",
        ),
    )
    due: date | None = Field(
        None,
        json_schema_extra=label(
            "Klart senast (tomt: några dagar före svarsdatum)",
            "Due (empty: a few days before the reply date)",
        ),
    )


class InspectionRegistration(Form):
    """What the inspection message (inspektionsmeddelande) says."""

    title_sv = "Registrera inspektion"
    title_en = "Register an inspection"

    unit: UnitCode = Field(json_schema_extra=label("Inspekterad enhet", "Inspected unit"))
    inspected_on: date = Field(json_schema_extra=label("Inspektionsdatum", "Inspected on"))
    reply_by: date = Field(json_schema_extra=label("Svar senast", "Reply by"))
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = Field(
        "", json_schema_extra=label("Diarienummer", "Reference")
    )
    inspector: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        "", json_schema_extra=label("Inspektör", "Inspector")
    )
    note: OptText = Field("", json_schema_extra=label("Anteckning", "Note", widget="textarea"))
    requirements: list[RequirementInput] = Field(
        min_length=1, max_length=100, json_schema_extra=label("Krav", "Requirements")
    )

    @model_validator(mode="after")
    def _dates(self) -> InspectionRegistration:
        if self.reply_by < self.inspected_on:
            raise ValueError(
                bilingual(
                    "reply_by cannot be before the inspection",
                    "svarsdatum kan inte ligga före inspektionen",
                    field="reply_by",
                )
            )
        for i, r in enumerate(self.requirements):
            if r.due is not None and r.due > self.reply_by:
                raise ValueError(
                    bilingual(
                        f"requirements[{i}].due is after the reply date",
                        f"requirements[{i}].due ligger efter svarsdatum",
                        field=f"requirements[{i}].due",
                    )
                )
        return self


class InspectionResponse(Form):
    """A responsible manager's answer to one requirement: what was done, and the proof."""

    title_sv = "Svar på krav från Arbetsmiljöverket"
    title_en = "Answer to a requirement from Arbetsmiljöverket"

    actions: NonEmpty = Field(
        json_schema_extra=label("Vidtagna åtgärder", "Actions taken", widget="textarea")
    )
    done_on: date = Field(json_schema_extra=label("Genomfört datum", "Done on"))
    evidence: list[Reference] = Field(
        default_factory=list,
        max_length=30,
        json_schema_extra=label(
            "Underlag (handlingsplan, protokoll, rutin …)",
            "Evidence (action plan, minutes, routine …)",
            widget="lines",
        ),
    )
    measure_ids: list[int] = Field(
        default_factory=list,
        max_length=50,
        json_schema_extra=label(
            "Åtgärder i handlingsplanen", "Measures in the action plan", widget="measures"
        ),
    )
    remaining: OptText = Field(
        "",
        json_schema_extra=label(
            "Det som återstår, med datum", "What remains, with dates", widget="textarea"
        ),
    )


class DecisionRequirement(Form):
    """One item of a föreläggande or förbud: what, by when, and the fine (vite)."""

    text: NonEmpty = Field(json_schema_extra=label("Krav", "Requirement", widget="textarea"))
    units: list[UnitCode] = Field(
        default_factory=list,
        max_length=200,
        json_schema_extra=label(
            "Ansvariga enheter (tomt: den inspekterade enheten)",
            "Responsible units (empty: the inspected unit)",
        ),
    )
    due: date = Field(json_schema_extra=label("Klart senast", "Due"))
    fine: int | None = Field(
        None, ge=0, le=100_000_000, json_schema_extra=label("Vite (kronor)", "Fine (kronor)")
    )


class InspectionDecision(Form):
    """A later föreläggande (injunction) or förbud (prohibition) on the same inspection."""

    title_sv = "Föreläggande eller förbud"
    title_en = "Injunction or prohibition"

    decision: Literal["injunction", "prohibition"] = Field(
        json_schema_extra=label(
            "Beslut",
            "Decision",
            choices={
                "injunction": ("Föreläggande", "Injunction"),
                "prohibition": ("Förbud", "Prohibition"),
            },
        )
    )
    decided_on: date = Field(json_schema_extra=label("Beslutsdatum", "Decided on"))
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = Field(
        "", json_schema_extra=label("Diarienummer", "Reference")
    )
    requirements: list[DecisionRequirement] = Field(
        min_length=1, max_length=100, json_schema_extra=label("Krav", "Requirements")
    )
