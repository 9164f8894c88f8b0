"""Swedish and English words for the codes printed in documents (statuses, roles, levels)."""

from __future__ import annotations

from engine.domain.workflow.states import CycleStatus, MeasureStatus, Role, StageStatus, TaskStatus
from forms.schemas.duties.change import CHANGE_KINDS
from forms.schemas.duties.policy import OWNER_CHOICES, TOPIC_CHOICES

_PAIRS: dict[str, dict[str, tuple[str, str]]] = {
    "role": {r.value: (r.sv, r.en) for r in Role},
    "task_status": {s.value: (s.sv, s.en) for s in TaskStatus},
    "stage_status": {s.value: (s.sv, s.en) for s in StageStatus},
    "cycle_status": {s.value: (s.sv, s.en) for s in CycleStatus},
    "measure_status": {s.value: (s.sv, s.en) for s in MeasureStatus},
    "level": {
        "low": ("Låg", "Low"),
        "medium": ("Medel", "Medium"),
        "high": ("Hög", "High"),
        "very_high": ("Mycket hög", "Very high"),
    },
    # The levels of the organisation tree as samflow's own import writes them; an
    # organisation's own words for its levels are shown as they are.
    "unit_level": {
        "administration": ("Förvaltning", "Administration"),
        "department": ("Avdelning", "Department"),
        "unit": ("Enhet", "Unit"),
    },
    "domain": {
        "physical": ("Fysisk", "Physical"),
        "organisational": ("Organisatorisk", "Organisational"),
        "social": ("Social", "Social"),
    },
    "decision": {"approve": ("Godkänd", "Approved"), "reject": ("Avslagen", "Rejected")},
    "measure_event": {
        "create": ("Upprättad", "Created"),
        "start": ("Påbörjad", "Started"),
        "finish": ("Genomförd", "Done"),
        "postpone": ("Uppskjuten", "Postponed"),
        "cancel": ("Struken", "Cancelled"),
        "note": ("Anteckning", "Note"),
    },
    "context": {
        "regular": ("Regelbunden undersökning", "Regular investigation"),
        "planned_change": ("Planerad förändring", "Planned change"),
        "incident": ("Tillbud/olycka", "Incident/accident"),
    },
    "round_kind": {
        "physical": ("Fysisk", "Physical"),
        "osa": ("Organisatorisk/social", "Organisational/social"),
        "both": ("Fysisk och organisatorisk/social", "Physical and OSA"),
    },
    # safety rounds (engine.rounds): a checklist point's answer, a finding's status, a review
    "checklist_answer": {
        "ok": ("Bra", "OK"),
        "finding": ("Brist", "Finding"),
        "na": ("Ej aktuellt", "Not applicable"),
    },
    "finding_status": {
        "open": ("Öppen", "Open"),
        "in_plan": ("I handlingsplanen", "In the action plan"),
        "resolved": ("Åtgärdad", "Resolved"),
    },
    "review_outcome": {
        "resolved": ("Åtgärdad", "Resolved"),
        "remains": ("Kvarstår", "Remains"),
    },
    # cooperation (engine.coop): a member's seat, an item's outcome, how MBL ended
    "coop_seat": {
        "chair": ("Ordförande (arbetsgivaren)", "Chair (the employer)"),
        "employer": ("Arbetsgivarens företrädare", "Employer's representative"),
        "union_rep": ("Facklig företrädare", "Union representative"),
        "safety_rep": ("Skyddsombud", "Safety representative"),
    },
    "coop_outcome": {
        "": ("Inte protokollfört", "Not recorded"),
        "decided": ("Beslutad", "Decided"),
        "disagreement": ("Oenighet antecknad", "Disagreement recorded"),
        "mbl": ("MBL-förhandling", "MBL negotiation"),
    },
    "coop_subject": {
        "plan": ("Handlingsplan", "Action plan"),
        "risk_assessment": ("Riskbedömning", "Risk assessment"),
        "change": ("Förändring", "Change"),
        "incident": ("Händelse", "Incident"),
        "annual_follow_up": ("Årlig uppföljning", "Annual follow-up"),
        "other": ("Övrigt", "Other"),
    },
    "mbl_result": {
        "agreement": ("enighet", "agreement"),
        "disagreement": ("oenighet", "disagreement"),
    },
    # task allocation (engine.alloc): an allocation's state, what a return lacks, the outcome
    "alloc_state": {
        "none": ("Ingen fördelning", "No allocation"),
        "offered": ("Erbjuden, inte accepterad", "Offered, not accepted"),
        "accepted": ("Accepterad och underskriven", "Accepted and signed"),
        "returned": ("Returnerad", "Returned"),
        "superseded": ("Ersatt", "Superseded"),
    },
    "alloc_lacking": {
        "authority": ("Befogenheter", "Authority"),
        "resources": ("Resurser", "Resources"),
        "knowledge": ("Kunskaper", "Knowledge"),
    },
    "alloc_outcome": {
        "resources": (
            "Resurser ges – uppgiften går tillbaka",
            "Resources given – the task goes back",
        ),
        "taken_back": ("Tas tillbaka av den som fördelade", "Taken back by the allocator"),
        "elsewhere": ("Fördelas till någon annan", "Allocated elsewhere"),
    },
    "change_kind": CHANGE_KINDS,
    # policy, routines and knowledge (engine.policy)
    "policy_topic": TOPIC_CHOICES,
    "policy_owner": OWNER_CHOICES,
    "training_state": {
        "valid": ("Gäller", "Valid"),
        "expiring": ("Går snart ut", "Expiring soon"),
        "lapsed": ("Har gått ut", "Lapsed"),
    },
    "activity": {
        "done": ("Klar", "Done"),
        "ongoing": ("Pågår", "Ongoing"),
        "planned": ("Planerad", "Planned"),
    },
}


def label(kind: str, value: object, lang: str) -> str:
    """The word for ``value`` of ``kind`` in ``lang``; the code itself if unknown."""
    if value is None:
        return "–"
    pair = _PAIRS.get(kind, {}).get(str(value))
    if pair is None:
        return str(value)
    return pair[0] if lang == "sv" else pair[1]


def words(kind: str) -> dict[str, tuple[str, str]]:
    """Every code of ``kind`` with its Swedish and English word (choices, validation)."""
    return dict(_PAIRS[kind])
