"""Cooperation approval: the manager and the safety representative each sign."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from engine.domain.validation import bilingual
from forms.schemas.base import Form, OptText, label


class Approval(Form):
    title_sv = "Godkännande i samverkan"
    title_en = "Cooperation approval"

    decision: Literal["approve", "reject"] = Field(
        json_schema_extra=label(
            "Beslut",
            "Decision",
            choices={"approve": ("Godkänn", "Approve"), "reject": ("Avslå", "Reject")},
        )
    )
    comment: OptText = Field("", json_schema_extra=label("Kommentar", "Comment", widget="textarea"))
    body: OptText = Field(
        "", json_schema_extra=label("Samverkansgrupp (t.ex. FSG, LSG, APT)", "Cooperation body")
    )
    established_on: date | None = Field(
        None, json_schema_extra=label("Fastställd datum", "Established on")
    )
    protocol_ref: OptText = Field("", json_schema_extra=label("Protokoll", "Protocol reference"))

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> Approval:
        if self.decision == "reject" and not self.comment:
            raise ValueError(
                bilingual(
                    "a rejection needs a comment saying why",
                    "ett avslag behöver en kommentar om varför",
                    field="comment",
                )
            )
        return self
