"""States and roles, each with its Swedish and English label."""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A StrEnum whose members know their sv/en labels (from ``_LABELS`` below)."""

    @property
    def sv(self) -> str:
        return _LABELS[type(self).__name__][self.value][0]

    @property
    def en(self) -> str:
        return _LABELS[type(self).__name__][self.value][1]

    def label(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


class CycleStatus(Labelled):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class StageStatus(Labelled):
    PENDING = "pending"
    ACTIVE = "active"
    SIGNED_OFF = "signed_off"


class TaskStatus(Labelled):
    OPEN = "open"
    COMPLETED = "completed"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class MeasureStatus(Labelled):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class Role(Labelled):
    """Roles a person holds at a unit (RoleAssignment.role)."""

    MANAGER = "manager"
    DEPUTY = "deputy"
    SAFETY_REP = "safety_rep"
    CHIEF_SAFETY_REP = "chief_safety_rep"
    HR = "hr"
    DIRECTOR = "director"
    UNION_REP = "union_rep"
    EMPLOYEE = "employee"


_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "CycleStatus": {
        "active": ("Pågår", "Active"),
        "completed": ("Avslutad", "Completed"),
        "cancelled": ("Avbruten", "Cancelled"),
    },
    "StageStatus": {
        "pending": ("Väntar", "Pending"),
        "active": ("Pågår", "Active"),
        "signed_off": ("Signerad", "Signed off"),
    },
    "TaskStatus": {
        "open": ("Öppen", "Open"),
        "completed": ("Klar", "Completed"),
        "returned": ("Returnerad", "Returned"),
        "cancelled": ("Avbruten", "Cancelled"),
    },
    "MeasureStatus": {
        "planned": ("Planerad", "Planned"),
        "in_progress": ("Pågår", "In progress"),
        "done": ("Genomförd", "Done"),
        "postponed": ("Uppskjuten", "Postponed"),
        "cancelled": ("Struken", "Cancelled"),
    },
    "Role": {
        "manager": ("Chef", "Manager"),
        "deputy": ("Ställföreträdare", "Deputy"),
        "safety_rep": ("Skyddsombud", "Safety representative"),
        "chief_safety_rep": ("Huvudskyddsombud", "Chief safety representative"),
        "hr": ("HR", "HR"),
        "director": ("Förvaltningsdirektör", "Director"),
        "union_rep": ("Facklig företrädare", "Union representative"),
        "employee": ("Medarbetare", "Employee"),
    },
}

#: Words people write in a "responsible" column that name a role, not a person.
ROLE_ALIASES: dict[str, Role] = {
    **{r.value: r for r in Role},
    **{r.sv.lower(): r for r in Role},
    **{r.en.lower(): r for r in Role},
    "enhetschef": Role.MANAGER,
    "ec": Role.MANAGER,
    "verksamhetschef": Role.MANAGER,
    "avdelningschef": Role.MANAGER,
    "so": Role.SAFETY_REP,
    "hso": Role.CHIEF_SAFETY_REP,
    "hr-partner": Role.HR,
    "hr-chef": Role.HR,
    "direktör": Role.DIRECTOR,
}
