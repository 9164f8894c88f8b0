"""The forms of the SAM duties beyond the annual cycle that run as cases (issue 10):
an incident, accident or occupational illness (AML 3:3a) and its report and
investigation; a safety representative's request (AML 6:6a) and the employer's reply; a
manager's risk about their own work environment (AFS 2023:2) and the reply from above."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from engine.domain.validation import bilingual
from forms.schemas.base import Form, NonEmpty, OptText, Scale, label
from forms.schemas.plan import MeasureInput

UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


# --- incidents (AML 3:3a) ------------------------------------------------------------------
class IncidentRegistration(Form):
    """What anyone with an account reports from their phone: short on purpose."""

    title_sv = "Rapportera tillbud, olycka eller arbetssjukdom"
    title_en = "Report an incident, accident or occupational illness"

    unit: UnitCode = Field(json_schema_extra=label("Enhet", "Unit"))
    kind: Literal["near_miss", "accident", "illness"] = Field(
        json_schema_extra=label(
            "Vad gäller det?",
            "What is it?",
            choices={
                "near_miss": ("Tillbud", "Near miss"),
                "accident": ("Olycksfall", "Accident"),
                "illness": ("Arbetssjukdom", "Occupational illness"),
            },
        )
    )
    occurred_on: date = Field(json_schema_extra=label("Datum", "Date"))
    occurred_time: time | None = Field(None, json_schema_extra=label("Klockslag", "Time"))
    place: Short = Field("", json_schema_extra=label("Plats", "Place"))
    what: NonEmpty = Field(
        json_schema_extra=label("Vad hände?", "What happened?", widget="textarea")
    )
    serious: bool = Field(
        False,
        json_schema_extra=label(
            "Allvarligt (dödsfall, svår personskada, flera skadade eller allvarligt tillbud)",
            "Serious (death, severe injury, several injured or a serious near miss)",
        ),
    )

    def occurred_at(self) -> datetime:
        return datetime.combine(self.occurred_on, self.occurred_time or time(0, 0))


class IncidentReport(Form):
    """The report to Arbetsmiljöverket of a serious event (AML 3:3a: utan dröjsmål)."""

    title_sv = "Anmälan till Arbetsmiljöverket"
    title_en = "Report to Arbetsmiljöverket"

    reported_at: datetime = Field(
        json_schema_extra=label("Anmäld (datum och tid)", "Reported (date and time)")
    )
    av_reference: Reference = Field(
        min_length=1,
        json_schema_extra=label("Arbetsmiljöverkets diarienummer", "Arbetsmiljöverket's reference"),
    )
    note: OptText = Field("", json_schema_extra=label("Anteckning", "Note", widget="textarea"))


class IncidentInvestigation(Form):
    """The manager's investigation: why it happened and what is done so it does not
    happen again (the measures go into the unit's action plan)."""

    title_sv = "Utredning av händelsen"
    title_en = "Investigation of the event"

    causes: NonEmpty = Field(json_schema_extra=label("Orsaker", "Causes", widget="textarea"))
    measures: list[MeasureInput] = Field(
        default_factory=list,
        max_length=30,
        json_schema_extra=label("Åtgärder (till handlingsplanen)", "Measures (to the action plan)"),
    )
    no_measures_reason: OptText = Field(
        "",
        json_schema_extra=label(
            "Om inga åtgärder: varför", "If no measures: why", widget="textarea"
        ),
    )

    @model_validator(mode="after")
    def _measures_or_reason(self) -> IncidentInvestigation:
        if not self.measures and not self.no_measures_reason:
            raise ValueError(
                bilingual(
                    "name at least one measure, or say why none is needed",
                    "ange minst en åtgärd, eller varför ingen behövs",
                    field="measures",
                )
            )
        return self


# --- a safety representative's request (AML 6:6a) ------------------------------------------
class SafetyRequest(Form):
    """The written request: what, why, and by when the employer must answer."""

    title_sv = "Begäran från skyddsombud (AML 6 kap. 6 a §)"
    title_en = "Request from a safety representative (AML 6:6a)"

    unit: UnitCode = Field(json_schema_extra=label("Enhet", "Unit"))
    filed_on: date = Field(json_schema_extra=label("Datum för begäran", "Date of the request"))
    what: NonEmpty = Field(
        json_schema_extra=label("Vad begärs?", "What is requested?", widget="textarea")
    )
    why: NonEmpty = Field(json_schema_extra=label("Varför?", "Why?", widget="textarea"))
    reply_by: date = Field(json_schema_extra=label("Svar senast", "Reply by"))

    @model_validator(mode="after")
    def _dates(self) -> SafetyRequest:
        if self.reply_by < self.filed_on:
            raise ValueError(
                bilingual(
                    "reply_by cannot be before the request",
                    "svarsdatum kan inte ligga före begäran",
                    field="reply_by",
                )
            )
        return self


class SafetyRequestReply(Form):
    """The employer's written reply: agreed, partly agreed or refused, with the reasons."""

    title_sv = "Arbetsgivarens svar på begäran"
    title_en = "The employer's reply to the request"

    decision: Literal["accepted", "partly", "refused"] = Field(
        json_schema_extra=label(
            "Beslut",
            "Decision",
            choices={
                "accepted": ("Bifalls", "Accepted"),
                "partly": ("Bifalls delvis", "Partly accepted"),
                "refused": ("Avslås", "Refused"),
            },
        )
    )
    answer: NonEmpty = Field(
        json_schema_extra=label("Svar och skäl", "Reply and reasons", widget="textarea")
    )
    done_by: date | None = Field(None, json_schema_extra=label("Åtgärdat senast", "Done by"))


# --- the manager's own work environment (AFS 2023:2) ---------------------------------------
class ManagerRisk(Form):
    """A manager's risk about their own workload or situation: it goes to the manager
    above, whose plan it lands in."""

    title_sv = "Risk i min egen arbetsmiljö som chef"
    title_en = "A risk in my own work environment as a manager"

    unit: UnitCode = Field(json_schema_extra=label("Min enhet", "My unit"))
    noted_on: date = Field(json_schema_extra=label("Datum", "Date"))
    description: NonEmpty = Field(
        json_schema_extra=label(
            "Risken (arbetsbelastning, situation)",
            "The risk (workload, situation)",
            widget="textarea",
        )
    )
    probability: Scale = Field(json_schema_extra=label("Sannolikhet", "Probability"))
    consequence: Scale = Field(json_schema_extra=label("Konsekvens", "Consequence"))
    proposal: OptText = Field(
        "", json_schema_extra=label("Förslag på åtgärd", "Proposed measure", widget="textarea")
    )


class ManagerRiskResponse(Form):
    """The manager above answers: what they will do about it."""

    title_sv = "Svar på chefens arbetsmiljörisk"
    title_en = "Reply to the manager's work-environment risk"

    actions: NonEmpty = Field(
        json_schema_extra=label("Vad görs?", "What is done?", widget="textarea")
    )
    follow_up_on: date | None = Field(None, json_schema_extra=label("Följs upp", "Follow-up"))


# --- a returned task: the allocator decides (AFS 2023:1 9 §; engine/alloc/returns.py) ------
class AllocationReturnCase(Form):
    """What the returning manager handed back, as the allocator's decision task shows it
    (written by samflow when the task or case is returned, not typed by anyone)."""

    title_sv = "Returnerad arbetsmiljöuppgift"
    title_en = "Returned work-environment task"

    unit: UnitCode = Field(json_schema_extra=label("Enheten som returnerar", "Returning unit"))
    returned_on: date = Field(json_schema_extra=label("Returnerad", "Returned"))
    what: Short = Field(json_schema_extra=label("Vad som returneras", "What is returned"))
    lacking: Short = Field(json_schema_extra=label("Det här saknas", "What is lacking"))
    reason: NonEmpty = Field(json_schema_extra=label("Skäl", "Reason", widget="textarea"))


class AllocationReturnDecision(Form):
    """The allocator's decision on a return: give what is lacking (the work goes back),
    take the task back, or allocate it to someone else."""

    title_sv = "Beslut om returnerad uppgift"
    title_en = "Decision on a returned task"

    outcome: Literal["resources", "taken_back", "elsewhere"] = Field(
        json_schema_extra=label(
            "Beslut",
            "Decision",
            choices={
                "resources": (
                    "Jag ger det som saknas – uppgiften går tillbaka",
                    "I give what is lacking – the task goes back",
                ),
                "taken_back": ("Jag tar tillbaka uppgiften", "I take the task back"),
                "elsewhere": ("Uppgiften fördelas till någon annan", "Allocated to someone else"),
            },
        )
    )
    note: OptText = Field(
        "",
        json_schema_extra=label(
            "Vad som ges eller varför", "What is given, or why", widget="textarea"
        ),
    )
    to: Short = Field(
        "",
        json_schema_extra=label("Fördelas till (e-postadress)", "Allocated to (e-mail address)"),
    )

    @model_validator(mode="after")
    def _what_the_outcome_needs(self) -> AllocationReturnDecision:
        if self.outcome == "resources" and not self.note.strip():
            raise ValueError(
                bilingual(
                    "say what is given (authority, resources, knowledge)",
                    "ange vad som ges (befogenheter, resurser, kunskaper)",
                    field="note",
                )
            )
        if self.outcome == "elsewhere" and not self.to.strip():
            raise ValueError(
                bilingual(
                    "name the person it is allocated to",
                    "ange personen uppgiften fördelas till",
                    field="to",
                )
            )
        return self
