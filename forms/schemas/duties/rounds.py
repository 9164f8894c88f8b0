"""The forms of a safety round (skyddsrond, ``safety-round.yaml``): the round as the
manager plans it, the manager's protocol, the safety representative's part, one finding,
a finding taken into the plan, and the review of an earlier round's finding."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StringConstraints

from forms import checklists
from forms.schemas.base import Form, NonEmpty, OptText, Scale, label
from forms.schemas.plan import MeasureInput

UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
PointKey = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
if TYPE_CHECKING:
    ChecklistKey = str
else:  # the checklists there are (forms/checklists/*.yaml): a choice on the form
    ChecklistKey = Literal[tuple(checklists.all_checklists())]


class SafetyRoundPlan(Form):
    """A round at a unit, on a checklist; led by the manager, the safety representative
    takes part."""

    title_sv = "Planera skyddsrond"
    title_en = "Plan a safety round"

    unit: UnitCode = Field(json_schema_extra=label("Enhet", "Unit"))
    checklist: ChecklistKey = Field(
        json_schema_extra=label("Checklista", "Checklist", choices=checklists.choices())
    )
    planned_on: date = Field(json_schema_extra=label("Datum", "Date"))
    kind: Literal["physical", "osa", "both"] = Field(
        "both",
        json_schema_extra=label(
            "Typ",
            "Kind",
            choices={
                "physical": ("Fysisk", "Physical"),
                "osa": ("Organisatorisk/social", "Organisational/social"),
                "both": ("Båda", "Both"),
            },
        ),
    )
    area: Short = Field("", json_schema_extra=label("Område", "Area"))


class ChecklistAnswer(Form):
    point: PointKey = Field(json_schema_extra=label("Punkt", "Point"))
    answer: Literal["ok", "finding", "na"] = Field(
        json_schema_extra=label(
            "Svar",
            "Answer",
            choices={
                "ok": ("Bra", "OK"),
                "finding": ("Brist", "Finding"),
                "na": ("Ej aktuellt", "Not applicable"),
            },
        )
    )
    comment: Short = Field("", json_schema_extra=label("Kommentar", "Comment"))


class SafetyRoundProtocol(Form):
    """The manager's protocol: when, who took part, each checklist point answered."""

    title_sv = "Skyddsrondsprotokoll"
    title_en = "Safety round protocol"

    done_on: date = Field(json_schema_extra=label("Genomförd", "Done on"))
    participants: NonEmpty = Field(json_schema_extra=label("Deltagare", "Participants"))
    answers: list[ChecklistAnswer] = Field(
        default_factory=list, max_length=200, json_schema_extra=label("Checklista", "Checklist")
    )
    note: OptText = Field("", json_schema_extra=label("Kommentar", "Note", widget="textarea"))


class SafetyRoundParticipation(Form):
    """The safety representative's part: took part, and what they add."""

    title_sv = "Skyddsombudets medverkan"
    title_en = "The safety representative's part"

    took_part: bool = Field(json_schema_extra=label("Jag deltog i ronden", "I took part"))
    comments: OptText = Field(
        "", json_schema_extra=label("Synpunkter", "Comments", widget="textarea")
    )


class RoundFinding(Form):
    """One finding: where, what, how serious (probability × consequence, 1–4)."""

    title_sv = "Iakttagelse"
    title_en = "Finding"

    point: PointKey = Field("", json_schema_extra=label("Checklistpunkt", "Checklist point"))
    place: Short = Field(json_schema_extra=label("Plats", "Place"))
    description: NonEmpty = Field(
        json_schema_extra=label("Vad såg ni?", "What did you see?", widget="textarea")
    )
    probability: Scale = Field(json_schema_extra=label("Sannolikhet (1–4)", "Probability (1–4)"))
    consequence: Scale = Field(json_schema_extra=label("Konsekvens (1–4)", "Consequence (1–4)"))


class FindingToPlan(Form):
    """A finding taken into the unit's action plan: one measure (what, who, when)."""

    title_sv = "Till handlingsplanen"
    title_en = "To the action plan"

    measure: MeasureInput


class FindingReview(Form):
    """An earlier round's open finding, looked at again in this round."""

    title_sv = "Gå igenom tidigare iakttagelse"
    title_en = "Review an earlier finding"

    outcome: Literal["resolved", "remains"] = Field(
        json_schema_extra=label(
            "Bedömning",
            "Assessment",
            choices={
                "resolved": ("Åtgärdad", "Resolved"),
                "remains": ("Kvarstår", "Remains"),
            },
        )
    )
    note: OptText = Field("", json_schema_extra=label("Kommentar", "Note"))
