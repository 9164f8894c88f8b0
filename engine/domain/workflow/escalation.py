"""Reminders before a deadline, then escalation up the line once it has passed.

A task carries two counters: how many reminders went out and how far it has climbed.
``step`` decides, for one task at ``now``, the single thing to do (or nothing); the sweep
applies it with a guarded update so that running it twice does nothing twice. When the sweep
has not run for a while, only the latest due reminder is sent (nobody gets three stale
reminders at once), but escalation climbs the ladder one step at a time, in order: a task
found twenty days late goes to the manager above first, and to the director only after
the manager above has had the time the ladder gives between the two steps (a year started
late, or a sweep that was down, never skips a manager).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.domain.workflow.routing import RoleExpr


@dataclass(frozen=True)
class EscalationStep:
    after: timedelta
    to: RoleExpr


@dataclass(frozen=True)
class Ladder:
    """Reminders (time before due, largest first) and escalation steps (time after due)."""

    reminders: tuple[timedelta, ...]
    steps: tuple[EscalationStep, ...]

    def __post_init__(self) -> None:
        if list(self.reminders) != sorted(self.reminders, reverse=True):
            raise ValueError("reminders must be largest first | påminnelser i fallande ordning")
        if [s.after for s in self.steps] != sorted(s.after for s in self.steps):
            raise ValueError(
                "escalation steps in rising order | eskaleringssteg i stigande ordning"
            )


@dataclass(frozen=True)
class Position:
    """Where a task stands on its ladder."""

    due_at: datetime
    reminders_sent: int
    escalation_level: int


@dataclass(frozen=True)
class Remind:
    level: int  # reminders sent after this one


@dataclass(frozen=True)
class Escalate:
    level: int  # escalation level after this step (1 = first step)
    to: RoleExpr


Action = Remind | Escalate


def step(pos: Position, ladder: Ladder, now: datetime) -> Action | None:
    if now >= pos.due_at:
        reached = _reached_steps(pos.due_at, ladder, now)
        if reached > pos.escalation_level:
            level = pos.escalation_level + 1  # the next step, never one beyond it
            return Escalate(level, ladder.steps[level - 1].to)
        return None
    reached = sum(1 for before in ladder.reminders if now >= pos.due_at - before)
    if reached > pos.reminders_sent:
        return Remind(reached)
    return None


def apply(pos: Position, action: Action) -> Position:
    if isinstance(action, Remind):
        return Position(pos.due_at, action.level, pos.escalation_level)
    return Position(pos.due_at, pos.reminders_sent, action.level)


def next_check(
    pos: Position, ladder: Ladder, now: datetime, *, escalated: bool = False
) -> datetime | None:
    """When the sweep next needs to look at this task; None when nothing is left to do.

    Reminders stop mattering once the deadline has passed, so they are dropped then;
    a step whose time is already past is returned as is (the next sweep takes it), except
    right after an escalation (``escalated``): the next step then waits the ladder's time
    between the two steps from now, so whoever was just given the task has it that long.
    """
    candidates = (
        []
        if now >= pos.due_at
        else [pos.due_at - b for i, b in enumerate(ladder.reminders) if i >= pos.reminders_sent]
    )
    level = pos.escalation_level
    candidates += [pos.due_at + s.after for i, s in enumerate(ladder.steps) if i >= level]
    if escalated and 0 < level < len(ladder.steps):
        gap = ladder.steps[level].after - ladder.steps[level - 1].after
        candidates = [max(c, now + gap) for c in candidates]
    return min(candidates) if candidates else None


def _reached_steps(due_at: datetime, ladder: Ladder, now: datetime) -> int:
    return sum(1 for s in ladder.steps if now >= due_at + s.after)
