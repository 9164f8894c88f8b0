"""Swedish and English words for the codes printed in documents (statuses, roles, levels)."""

from __future__ import annotations

from engine.domain.workflow.states import CycleStatus, MeasureStatus, Role, StageStatus, TaskStatus

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
