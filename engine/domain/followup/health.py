"""Health factors (*friskfaktorer*, SKR/Suntarbetsliv) a unit's health plan chooses two of,
and how a local goal's progress is judged against its administration goal (pure)."""

from __future__ import annotations

#: The eight of SKR/Suntarbetsliv (reference.md §5); ``SAMFLOW_HEALTH_FACTORS`` picks which
#: of them (and in which order) the organisation offers.
FACTORS: dict[str, tuple[str, str]] = {
    "leadership": (
        "Närvarande, tillitsfullt och engagerat ledarskap",
        "Present, trusting, engaged leadership",
    ),
    "participation": ("Delaktighet och inflytande", "Participation and influence"),
    "communication": ("Kommunikation och återkoppling", "Communication and feedback"),
    "sam": ("Arbetsmiljöarbete i vardagen", "Work environment management in everyday work"),
    "rehabilitation": (
        "Rehabilitering vid kort och lång frånvaro",
        "Rehabilitation for short and long absence",
    ),
    "fairness": ("Rättvis och tydlig organisation", "A fair and transparent organisation"),
    "competence": (
        "Kompetensutveckling genom hela arbetslivet",
        "Competence development through working life",
    ),
    "priorities": ("Prioritering av arbetsuppgifter", "Prioritisation of tasks"),
}
STATUSES = ("planned", "ongoing", "done")
DIRECTIONS = ("at_least", "at_most")


def reached(direction: str, target: float, value: float | None) -> bool | None:
    """Whether a figure meets the goal (``at_least``: value ≥ target); None without one."""
    if value is None:
        return None
    return value >= target if direction == "at_least" else value <= target
