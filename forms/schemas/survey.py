"""Survey stage (kartläggning): employee survey results, safety round, absence review."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, model_validator

from engine.domain.followup.hme import DEFAULT_MIN_ANSWERS
from engine.domain.validation import bilingual
from forms.schemas.base import Form, NonEmpty, OptText, label

Index = Annotated[float, Field(ge=0, le=100)]


class SurveyResults(Form):
    """Employee survey (HME). Below the anonymity threshold no figures may be stored."""

    title_sv = "Medarbetarenkät"
    title_en = "Employee survey"

    survey_name: NonEmpty = Field(json_schema_extra=label("Enkät", "Survey"))
    invited: int = Field(ge=0, le=100000, json_schema_extra=label("Antal tillfrågade", "Invited"))
    answered: int = Field(ge=0, le=100000, json_schema_extra=label("Antal svar", "Answers"))
    motivation: Index | None = Field(
        None, json_schema_extra=label("Motivationsindex", "Motivation index")
    )
    leadership: Index | None = Field(
        None, json_schema_extra=label("Ledarskapsindex", "Leadership index")
    )
    governance: Index | None = Field(
        None, json_schema_extra=label("Styrningsindex", "Governance index")
    )
    findings: OptText = Field(
        "", json_schema_extra=label("Iakttagelser", "Findings", widget="textarea")
    )
    attachments: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list, max_length=20, json_schema_extra=label("Bilagor", "Attachments")
    )

    @model_validator(mode="after")
    def _anonymity(self, info: ValidationInfo) -> SurveyResults:
        if self.answered > self.invited:
            raise ValueError(
                bilingual(
                    "answered cannot exceed invited",
                    "antal svar kan inte överstiga antal tillfrågade",
                    field="answered",
                )
            )
        context = info.context if isinstance(info.context, dict) else {}
        threshold = int(context.get("min_answers", DEFAULT_MIN_ANSWERS))
        figures = [self.motivation, self.leadership, self.governance]
        if self.answered < threshold and any(f is not None for f in figures):
            raise ValueError(
                bilingual(
                    f"fewer than {threshold} answers: no index figures may be stored",
                    f"färre än {threshold} svar: inga indexvärden får lagras",
                    field="motivation",
                )
            )
        return self

    @property
    def hme(self) -> float | None:
        parts = [self.motivation, self.leadership, self.governance]
        if any(p is None for p in parts):
            return None
        return round(sum(p for p in parts if p is not None) / 3, 1)


class Finding(Form):
    description: NonEmpty = Field(json_schema_extra=label("Iakttagelse", "Finding"))
    serious: bool | None = Field(None, json_schema_extra=label("Allvarlig", "Serious"))


class SafetyRound(Form):
    """Skyddsrond: done together with the safety representative."""

    title_sv = "Skyddsrond"
    title_en = "Safety round"

    done_on: date = Field(json_schema_extra=label("Datum", "Date"))
    participants: NonEmpty = Field(json_schema_extra=label("Deltagare", "Participants"))
    kind: Literal["physical", "osa", "both"] = Field(
        "both",
        json_schema_extra=label(
            "Typ",
            "Kind",
            choices={
                "physical": ("Fysisk", "Physical"),
                "osa": ("Organisatorisk/social", "OSA"),
                "both": ("Båda", "Both"),
            },
        ),
    )
    findings: list[Finding] = Field(
        default_factory=list, max_length=100, json_schema_extra=label("Iakttagelser", "Findings")
    )
    note: OptText = Field("", json_schema_extra=label("Kommentar", "Note", widget="textarea"))


class AbsenceReview(Form):
    """Sick-leave review (riskorienterat arbetssätt): short absences point at risks."""

    title_sv = "Sjukfrånvaro"
    title_en = "Sick-leave review"

    short_term_pct: float = Field(
        ge=0, le=100, json_schema_extra=label("Korttidsfrånvaro (%)", "Short-term absence (%)")
    )
    total_pct: float = Field(
        ge=0, le=100, json_schema_extra=label("Total sjukfrånvaro (%)", "Total sick leave (%)")
    )
    repeated_short_absence: int = Field(
        0,
        ge=0,
        le=10000,
        json_schema_extra=label(
            "Medarbetare med upprepad korttidsfrånvaro", "Employees with repeated short absence"
        ),
    )
    note: OptText = Field("", json_schema_extra=label("Analys", "Analysis", widget="textarea"))
