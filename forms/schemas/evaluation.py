"""The annual follow-up of SAM (14 §), feeding next year's cycle."""

from __future__ import annotations

from pydantic import Field

from forms.schemas.base import Form, NonEmpty, OptText, Scale, label

CHECKLIST = {
    "policy": (
        "Arbetsmiljöpolicy finns och är känd",
        "Work environment policy exists and is known",
    ),
    "routines": ("Rutiner finns och följs", "Routines exist and are followed"),
    "task_distribution": (
        "Uppgiftsfördelningen är skriftlig och aktuell",
        "Task distribution is written and current",
    ),
    "knowledge": (
        "Chefer och skyddsombud har tillräckliga kunskaper",
        "Managers and safety representatives have the knowledge needed",
    ),
    "cooperation": ("Medarbetare och skyddsombud deltar", "Employees and safety reps take part"),
    "risk_assessment": (
        "Risker undersöks och bedöms skriftligt",
        "Risks are investigated and assessed in writing",
    ),
    "action_plan": ("Åtgärder planeras och genomförs", "Measures are planned and carried out"),
    "incidents": (
        "Ohälsa, olyckor och tillbud utreds",
        "Ill-health, accidents, incidents investigated",
    ),
    "ohs": ("Företagshälsovård anlitas vid behov", "Occupational health service used when needed"),
}


class OwnRisk(Form):
    """A risk in the manager's own work situation noted at the annual follow-up."""

    description: NonEmpty = Field(
        json_schema_extra=label(
            "Risken (arbetsbelastning, situation)", "The risk (workload, situation)"
        )
    )
    probability: Scale = Field(json_schema_extra=label("Sannolikhet (1–4)", "Probability (1–4)"))
    consequence: Scale = Field(json_schema_extra=label("Konsekvens (1–4)", "Consequence (1–4)"))
    proposal: OptText = Field("", json_schema_extra=label("Förslag på åtgärd", "Proposed measure"))


class AnnualEvaluation(Form):
    title_sv = "Årlig uppföljning av SAM"
    title_en = "Annual SAM follow-up"

    policy: bool = Field(json_schema_extra=label(*CHECKLIST["policy"]))
    routines: bool = Field(json_schema_extra=label(*CHECKLIST["routines"]))
    task_distribution: bool = Field(json_schema_extra=label(*CHECKLIST["task_distribution"]))
    knowledge: bool = Field(json_schema_extra=label(*CHECKLIST["knowledge"]))
    cooperation: bool = Field(json_schema_extra=label(*CHECKLIST["cooperation"]))
    risk_assessment: bool = Field(json_schema_extra=label(*CHECKLIST["risk_assessment"]))
    action_plan: bool = Field(json_schema_extra=label(*CHECKLIST["action_plan"]))
    incidents: bool = Field(json_schema_extra=label(*CHECKLIST["incidents"]))
    ohs: bool = Field(json_schema_extra=label(*CHECKLIST["ohs"]))
    findings: NonEmpty = Field(
        json_schema_extra=label(
            "Vad fungerar, vad fungerar inte?", "What works and what does not?", widget="textarea"
        )
    )
    improvements: OptText = Field(
        "",
        json_schema_extra=label(
            "Förbättringar till nästa år", "Improvements for next year", widget="textarea"
        ),
    )
    # AFS 2023:2: risks in the manager's own work situation go to the manager above.
    own_risks: list[OwnRisk] = Field(
        default_factory=list,
        max_length=20,
        json_schema_extra=label(
            "Risker i min egen arbetssituation som chef",
            "Risks in my own work situation as a manager",
        ),
    )
