"""The forms of policy, routines and knowledge (AFS 2023:1): a document's yearly review
(the case the sweep opens before its review date, and the owner's answer), and a training
that is about to lapse (the case the sweep opens before it does, and the renewal)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from engine.domain.validation import bilingual
from forms.schemas.base import Form, OptText, label

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PolicyReviewCase(Form):
    """A document due for review: filled in by the sweep, not by a person."""

    title_sv = "Översyn av policy eller rutin"
    title_en = "Review of a policy or routine"

    unit: Code = Field(json_schema_extra=label("Enhet", "Unit"))
    document: Code = Field(json_schema_extra=label("Dokument", "Document"))
    title: Short = Field(json_schema_extra=label("Titel", "Title"))
    version: int = Field(ge=1, json_schema_extra=label("Version", "Version"))
    opened_on: date = Field(json_schema_extra=label("Öppnad", "Opened"))
    review_by: date = Field(json_schema_extra=label("Ses över senast", "Review by"))
    # who owns it: exactly one is true (the template makes the review task for that role)
    owner_hr: bool = Field(False, json_schema_extra=label("Ägs av HR", "Owned by HR"))
    owner_director: bool = Field(
        False, json_schema_extra=label("Ägs av direktören", "Owned by the director")
    )
    owner_manager: bool = Field(
        False, json_schema_extra=label("Ägs av chefen", "Owned by the manager")
    )


class PolicyReview(Form):
    """The owner's yearly review: still right as it stands, or to be revised."""

    title_sv = "Se över policy eller rutin"
    title_en = "Review the policy or routine"

    outcome: Literal["unchanged", "revise"] = Field(
        json_schema_extra=label(
            "Resultat",
            "Outcome",
            choices={
                "unchanged": ("Gäller oförändrad", "Stands unchanged"),
                "revise": ("Ska revideras (ny version)", "To be revised (a new version)"),
            },
        )
    )
    note: OptText = Field("", json_schema_extra=label("Kommentar", "Comment", widget="textarea"))
    next_review: date | None = Field(
        None,
        json_schema_extra=label(
            "Nästa översyn (tomt: om ett år)", "Next review (empty: in a year)"
        ),
    )


class TrainingRenewalCase(Form):
    """A training about to lapse: filled in by the sweep."""

    title_sv = "Utbildning som går ut"
    title_en = "A training about to lapse"

    unit: Code = Field(json_schema_extra=label("Enhet", "Unit"))
    record: int = Field(ge=1, json_schema_extra=label("Utbildning", "Training"))
    person: Short = Field(json_schema_extra=label("Person", "Person"))
    role: Literal["manager", "safety_rep"] = Field(json_schema_extra=label("Roll", "Role"))
    course: Short = Field(json_schema_extra=label("Kurs", "Course"))
    opened_on: date = Field(json_schema_extra=label("Öppnad", "Opened"))
    valid_until: date = Field(json_schema_extra=label("Gäller till", "Valid until"))


class TrainingRenewal(Form):
    """The renewed training (a new record; the old one stays)."""

    title_sv = "Förnya utbildningen"
    title_en = "Renew the training"

    course: Short = Field(json_schema_extra=label("Kurs", "Course"))
    taken_on: date = Field(json_schema_extra=label("Genomförd", "Taken on"))
    valid_until: date | None = Field(
        None,
        json_schema_extra=label(
            "Gäller till (tomt: tills vidare)", "Valid until (empty: for good)"
        ),
    )

    @model_validator(mode="after")
    def _order(self) -> TrainingRenewal:
        if self.valid_until is not None and self.valid_until <= self.taken_on:
            raise ValueError(
                bilingual(
                    "must come after the day it was taken",
                    "måste komma efter dagen den genomfördes",
                    field="valid_until",
                )
            )
        return self


TOPIC_CHOICES = {
    "policy": ("Arbetsmiljöpolicy", "Work-environment policy"),
    "risk_assessment": ("Rutin för riskbedömning", "Routine for risk assessment"),
    "incidents": ("Rutin för tillbud och olyckor", "Routine for incidents and accidents"),
    "rehabilitation": ("Rutin för rehabilitering", "Routine for rehabilitation"),
    "victimisation": (
        "Rutin mot kränkande särbehandling",
        "Routine against victimisation",
    ),
    "task_allocation": ("Rutin för uppgiftsfördelning", "Routine for task allocation"),
    "first_aid": ("Rutin för första hjälpen och krisstöd", "Routine for first aid and crisis"),
    "other": ("Annan rutin", "Other routine"),
}
OWNER_CHOICES = {
    "hr": ("HR", "HR"),
    "director": ("Direktören", "The director"),
    "manager": ("Enhetens chef", "The unit's manager"),
}


class PolicyDocumentInput(Form):
    """A new document: the policy or a routine, at a unit, owned by a role there; its
    first version comes with it."""

    title_sv = "Ny policy eller rutin"
    title_en = "New policy or routine"

    code: Code = Field(json_schema_extra=label("Kortnamn (unikt)", "Short name (unique)"))
    unit: Code = Field(json_schema_extra=label("Enhet", "Unit"))
    topic: Literal[
        "policy",
        "risk_assessment",
        "incidents",
        "rehabilitation",
        "victimisation",
        "task_allocation",
        "first_aid",
        "other",
    ] = Field(
        json_schema_extra=label("Vad gäller den?", "What is it about?", choices=TOPIC_CHOICES)
    )
    title: Short = Field(json_schema_extra=label("Titel", "Title"))
    owner: Literal["hr", "director", "manager"] = Field(
        json_schema_extra=label("Ägare", "Owner", choices=OWNER_CHOICES)
    )


class PolicyVersionInput(Form):
    """A version of a document: its text, from when it applies, when it is reviewed."""

    title_sv = "Ny version"
    title_en = "New version"

    body: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100_000)] = Field(
        "", json_schema_extra=label("Text", "Text", widget="textarea")
    )
    valid_from: date = Field(json_schema_extra=label("Gäller från", "Applies from"))
    review_by: date | None = Field(
        None,
        json_schema_extra=label(
            "Ses över senast (tomt: om ett år)", "Review by (empty: in a year)"
        ),
    )
    note: OptText = Field(
        "", json_schema_extra=label("Vad är nytt?", "What is new?", widget="textarea")
    )

    @model_validator(mode="after")
    def _order(self) -> PolicyVersionInput:
        if self.review_by is not None and self.review_by <= self.valid_from:
            raise ValueError(
                bilingual(
                    "must come after the day it applies from",
                    "måste komma efter dagen den gäller från",
                    field="review_by",
                )
            )
        return self


class TrainingInput(Form):
    """A training a manager or safety representative has taken."""

    title_sv = "Registrera utbildning"
    title_en = "Record a training"

    email: Short = Field(json_schema_extra=label("Personens e-post", "The person's e-mail"))
    unit: Code = Field(json_schema_extra=label("Enhet", "Unit"))
    role: Literal["manager", "safety_rep"] = Field(
        json_schema_extra=label(
            "Som",
            "As",
            choices={
                "manager": ("Chef", "Manager"),
                "safety_rep": ("Skyddsombud", "Safety representative"),
            },
        )
    )
    course_key: Short = Field(json_schema_extra=label("Kurs", "Course"))
    course: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        "",
        json_schema_extra=label(
            "Kursens namn (tomt: kursens)", "Course title (empty: the course's)"
        ),
    )
    taken_on: date = Field(json_schema_extra=label("Genomförd", "Taken on"))
    valid_until: date | None = Field(
        None,
        json_schema_extra=label(
            "Gäller till (tomt: tills vidare)", "Valid until (empty: for good)"
        ),
    )
    note: OptText = Field("", json_schema_extra=label("Anteckning", "Note"))

    @model_validator(mode="after")
    def _order(self) -> TrainingInput:
        if self.valid_until is not None and self.valid_until <= self.taken_on:
            raise ValueError(
                bilingual(
                    "must come after the day it was taken",
                    "måste komma efter dagen den genomfördes",
                    field="valid_until",
                )
            )
        return self
