"""The forms of the annual follow-up's roll-up (``followup-rollup.yaml``): one level (a
department in February, the administration in March) and its head's summary."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from forms.schemas.base import Form, NonEmpty, OptText, label

UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class FollowupLevel(Form):
    """A level of the roll-up: the unit whose sub-units roll up into it, and the year
    followed up."""

    title_sv = "Uppföljning per nivå"
    title_en = "Follow-up per level"

    unit: UnitCode = Field(json_schema_extra=label("Enhet", "Unit"))
    year: int = Field(ge=2000, le=2100, json_schema_extra=label("År", "Year"))
    level: Literal["department", "administration"] = Field(
        json_schema_extra=label(
            "Nivå",
            "Level",
            choices={
                "department": ("Avdelning", "Department"),
                "administration": ("Förvaltning", "Administration"),
            },
        )
    )
    due_on: date = Field(json_schema_extra=label("Klar senast", "Due"))


class FollowupLevelSummary(Form):
    """The head of the level's own assessment, written on the summary of the level below."""

    title_sv = "Sammanfattning av uppföljningen"
    title_en = "Summary of the follow-up"

    assessment: NonEmpty = Field(
        json_schema_extra=label("Bedömning", "Assessment", widget="textarea")
    )
    proposals: OptText = Field(
        "", json_schema_extra=label("Förslag till åtgärder", "Proposed measures", widget="textarea")
    )
