from datetime import UTC, datetime, timedelta

import pytest

from engine.domain.workflow.escalation import (
    Escalate,
    EscalationStep,
    Ladder,
    Position,
    Remind,
    apply,
    next_check,
    step,
)
from engine.domain.workflow.routing import RoleExpr
from engine.domain.workflow.states import Role

DUE = datetime(2027, 3, 31, 22, 0, tzinfo=UTC)
D = timedelta(days=1)
LADDER = Ladder(
    (14 * D, 3 * D),
    (
        EscalationStep(0 * D, RoleExpr(Role.MANAGER, True)),
        EscalationStep(14 * D, RoleExpr(Role.DIRECTOR)),
    ),
)


def walk(times: list[datetime]) -> list[object]:
    pos, actions = Position(DUE, 0, 0), []
    for now in times:
        action = step(pos, LADDER, now)
        if action is not None:
            pos = apply(pos, action)
        actions.append(action)
    return actions


def test_nothing_before_the_first_reminder() -> None:
    assert step(Position(DUE, 0, 0), LADDER, DUE - 15 * D) is None


def test_reminders_then_escalation_each_once() -> None:
    times = [
        DUE - 14 * D,
        DUE - 10 * D,
        DUE - 3 * D,
        DUE - D,
        DUE + D,
        DUE + 2 * D,
        DUE + 14 * D,
        DUE + 30 * D,
    ]
    assert walk(times) == [
        Remind(1),
        None,
        Remind(2),
        None,
        Escalate(1, RoleExpr(Role.MANAGER, True)),
        None,
        Escalate(2, RoleExpr(Role.DIRECTOR)),
        None,
    ]


def test_a_late_sweep_takes_the_latest_reminder_but_the_ladder_in_order() -> None:
    # Never swept until 20 days late: no stale reminders, and the manager above first
    assert walk([DUE + 20 * D]) == [Escalate(1, RoleExpr(Role.MANAGER, True))]
    assert walk([DUE - 2 * D]) == [Remind(2)]


def test_after_a_late_first_step_the_manager_above_has_the_ladders_time() -> None:
    now = DUE + 20 * D
    pos = apply(Position(DUE, 0, 0), Escalate(1, RoleExpr(Role.MANAGER, True)))
    assert next_check(pos, LADDER, now, escalated=True) == now + 14 * D
    assert step(pos, LADDER, now + 14 * D) == Escalate(2, RoleExpr(Role.DIRECTOR))
    # on time, the second step keeps its own date (14 days after the deadline)
    pos = apply(Position(DUE, 2, 0), Escalate(1, RoleExpr(Role.MANAGER, True)))
    assert next_check(pos, LADDER, DUE, escalated=True) == DUE + 14 * D


@pytest.mark.parametrize("offset", [-20, -14, -5, -3, 0, 5, 14, 40])
def test_next_check_is_never_a_time_with_nothing_to_do(offset: int) -> None:
    now = DUE + offset * D
    pos = Position(DUE, 0, 0)
    action = step(pos, LADDER, now)
    if action is not None:
        pos = apply(pos, action)
    nxt = next_check(pos, LADDER, now, escalated=isinstance(action, Escalate))
    if nxt is not None:
        assert nxt > now
        assert step(pos, LADDER, nxt) is not None


def test_exhausted_ladder_needs_no_more_checks() -> None:
    assert next_check(Position(DUE, 2, 2), LADDER, DUE + 20 * D) is None


def test_overdue_task_drops_pending_reminders() -> None:
    assert next_check(Position(DUE, 0, 1), LADDER, DUE + D) == DUE + 14 * D


def test_ladder_order_is_checked() -> None:
    with pytest.raises(ValueError):
        Ladder((3 * D, 14 * D), ())
