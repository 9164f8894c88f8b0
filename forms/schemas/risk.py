"""Analysis stage: the written risk assessment (AFS 2023:1 11 §)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from forms.schemas.base import Form, NonEmpty, OptText, Scale, label


class Risk(Form):
    description: NonEmpty = Field(json_schema_extra=label("Risk", "Risk"))
    domain: Literal["physical", "organisational", "social"] = Field(
        json_schema_extra=label(
            "Område",
            "Domain",
            choices={
                "physical": ("Fysisk", "Physical"),
                "organisational": ("Organisatorisk", "Organisational"),
                "social": ("Social", "Social"),
            },
        )
    )
    probability: Scale = Field(json_schema_extra=label("Sannolikhet (1–4)", "Probability (1–4)"))
    consequence: Scale = Field(json_schema_extra=label("Konsekvens (1–4)", "Consequence (1–4)"))
    # None is allowed while the assessment is worked on together with the safety
    # representative; the analysis stage cannot be signed off until each risk says yes/no.
    serious: bool | None = Field(None, json_schema_extra=label("Allvarlig", "Serious"))
    # AFS 2023:2: a first-line manager's risk about their own workload or situation is owned
    # by the manager above (engine.cases.manager_risk.from_form), not by the unit's plan.
    own_work_situation: bool = Field(
        False,
        json_schema_extra=label(
            "Det här gäller min egen arbetssituation som chef",
            "This is about my own work situation as a manager",
        ),
    )


class RiskAssessment(Form):
    title_sv = "Riskbedömning"
    title_en = "Risk assessment"

    context: Literal["regular", "planned_change", "incident"] = Field(
        "regular",
        json_schema_extra=label(
            "Anledning",
            "Reason",
            choices={
                "regular": ("Regelbunden undersökning", "Regular investigation"),
                "planned_change": ("Planerad förändring", "Planned change"),
                "incident": ("Tillbud/olycka", "Incident/accident"),
            },
        ),
    )
    participants: NonEmpty = Field(json_schema_extra=label("Deltagare", "Participants"))
    safety_rep_participated: bool = Field(
        json_schema_extra=label("Skyddsombud deltog", "Safety representative took part")
    )
    risks: list[Risk] = Field(
        min_length=1, max_length=200, json_schema_extra=label("Risker", "Risks")
    )
    note: OptText = Field("", json_schema_extra=label("Kommentar", "Note", widget="textarea"))
