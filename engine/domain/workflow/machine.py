"""Transitions are data. ``next_state`` looks an event up in a table or refuses it.

Anything not in a table is refused with ``TransitionNotAllowed``: denied unless permitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from engine.domain.errors import TransitionNotAllowed
from engine.domain.workflow.states import CycleStatus, MeasureStatus, StageStatus, TaskStatus

S = TypeVar("S", bound=str)

OPEN, DONE, RET, CANC = (
    TaskStatus.OPEN,
    TaskStatus.COMPLETED,
    TaskStatus.RETURNED,
    TaskStatus.CANCELLED,
)
TASK: Mapping[tuple[str, TaskStatus], TaskStatus] = {
    ("claim", OPEN): OPEN,
    ("release", OPEN): OPEN,
    ("delegate", OPEN): OPEN,
    ("extend", OPEN): OPEN,
    ("remind", OPEN): OPEN,
    ("escalate", OPEN): OPEN,
    ("reroute", OPEN): OPEN,
    ("save_draft", OPEN): OPEN,
    ("complete", OPEN): DONE,
    ("return", OPEN): RET,
    ("cancel", OPEN): CANC,
}

P, A, SO = StageStatus.PENDING, StageStatus.ACTIVE, StageStatus.SIGNED_OFF
STAGE: Mapping[tuple[str, StageStatus], StageStatus] = {
    ("activate", P): A,
    ("sign_off", A): SO,
    # A rejected cooperation approval sends the cycle back: the approval stage waits again
    # and the signed-off action plan is opened for revision.
    ("reset", A): P,
    ("reopen", SO): A,
}

CA, CC, CX = CycleStatus.ACTIVE, CycleStatus.COMPLETED, CycleStatus.CANCELLED
CYCLE: Mapping[tuple[str, CycleStatus], CycleStatus] = {
    ("complete", CA): CC,
    ("cancel", CA): CX,
    ("advance", CA): CA,
    # A closed case takes new items later (an inspection's föreläggande): open again.
    ("reopen", CC): CA,
}

MP, MI, MD, MPP, MC = (
    MeasureStatus.PLANNED,
    MeasureStatus.IN_PROGRESS,
    MeasureStatus.DONE,
    MeasureStatus.POSTPONED,
    MeasureStatus.CANCELLED,
)
MEASURE: Mapping[tuple[str, MeasureStatus], MeasureStatus] = {
    **{("start", s): MI for s in (MP, MPP)},
    **{("finish", s): MD for s in (MP, MI, MPP)},
    **{("postpone", s): MPP for s in (MP, MI, MPP)},
    **{("cancel", s): MC for s in (MP, MI, MPP)},
    **{("note", s): s for s in (MP, MI, MPP, MD)},
}

#: Measure events that must carry a written reason (13 §: nothing silently dropped).
MEASURE_EVENTS_NEEDING_REASON = frozenset({"postpone", "cancel"})

#: The event that brings a measure to a given status (used by follow-up forms).
MEASURE_EVENT_FOR_STATUS: Mapping[MeasureStatus, str] = {
    MI: "start",
    MD: "finish",
    MPP: "postpone",
    MC: "cancel",
}


def next_state(table: Mapping[tuple[str, S], S], entity: str, event: str, state: S) -> S:
    try:
        return table[(event, state)]
    except KeyError:
        raise TransitionNotAllowed(entity, event, str(state)) from None
