"""Follow-up of one measure (13 §: completed measures are checked for effect)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from engine.domain.validation import bilingual
from forms.schemas.base import Form, OptText, label


class MeasureFollowUp(Form):
    title_sv = "Uppföljning av åtgärd"
    title_en = "Measure follow-up"

    status: Literal["in_progress", "done", "postponed", "cancelled"] = Field(
        json_schema_extra=label(
            "Status",
            "Status",
            choices={
                "in_progress": ("Pågår", "In progress"),
                "done": ("Genomförd", "Done"),
                "postponed": ("Uppskjuten", "Postponed"),
                "cancelled": ("Struken", "Cancelled"),
            },
        )
    )
    effect: OptText = Field("", json_schema_extra=label("Effekt", "Effect", widget="textarea"))
    effect_ok: bool | None = Field(
        None,
        json_schema_extra=label("Gav åtgärden avsedd effekt?", "Did it have the desired effect?"),
    )
    note: OptText = Field("", json_schema_extra=label("Anteckning", "Note", widget="textarea"))
    reason: OptText = Field(
        "", json_schema_extra=label("Skäl (vid uppskjuten/struken)", "Reason (postponed/cancelled)")
    )
    new_follow_up_date: date | None = Field(
        None, json_schema_extra=label("Nytt uppföljningsdatum", "New follow-up date")
    )

    @model_validator(mode="after")
    def _reasons(self) -> MeasureFollowUp:
        if self.status in ("postponed", "cancelled") and not self.reason:
            raise ValueError(
                bilingual(
                    f"a {self.status} measure needs a reason",
                    "en uppskjuten eller struken åtgärd behöver ett skäl",
                    field="reason",
                )
            )
        if self.status == "postponed" and self.new_follow_up_date is None:
            raise ValueError(
                bilingual(
                    "a postponed measure needs a new follow-up date",
                    "en uppskjuten åtgärd behöver ett nytt uppföljningsdatum",
                    field="new_follow_up_date",
                )
            )
        if self.status == "done" and self.effect_ok is None:
            raise ValueError(
                bilingual(
                    "say whether the measure had the desired effect",
                    "ange om åtgärden gav avsedd effekt",
                    field="effect_ok",
                )
            )
        return self
