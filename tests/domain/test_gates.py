from datetime import date

from engine.domain.workflow.gates import (
    GATES,
    MeasureFact,
    RequiredStep,
    RiskFact,
    StageFacts,
    TaskFact,
    evaluate,
)
from engine.domain.workflow.states import MeasureStatus, TaskStatus

STEPS = [RequiredStep("a", "A", "A"), RequiredStep("b", "B", "B")]


def task(i: int, key: str, status: TaskStatus, **kw: object) -> TaskFact:
    return TaskFact(i, key, key.upper(), key.upper(), True, status, **kw)  # type: ignore[arg-type]


def test_every_unmet_step_is_reported_at_once() -> None:
    facts = StageFacts(
        "s",
        STEPS,
        [task(1, "a", TaskStatus.OPEN, waiting_on="Anna"), task(2, "b", TaskStatus.RETURNED)],
    )
    unmet = evaluate(["required_tasks_done"], facts)
    assert [u.subject for u in unmet] == ["task:1", "step:b"]
    assert "Anna" in unmet[0].message_en and "väntar på Anna" in unmet[0].message_sv
    assert facts.completed() == 0


def test_done_when_completed_and_nothing_open() -> None:
    facts = StageFacts(
        "s", STEPS, [task(1, "a", TaskStatus.COMPLETED), task(2, "b", TaskStatus.COMPLETED)]
    )
    assert evaluate(["required_tasks_done"], facts) == []
    assert facts.completed() == 2


def test_risks_need_seriousness_and_high_risks_a_measure() -> None:
    facts = StageFacts(
        "s",
        [],
        [],
        risks=[RiskFact(1, "Lyft", None, True, False), RiskFact(2, "Stress", False, False, False)],
    )
    assert [
        u.gate for u in evaluate(["risks_have_seriousness", "high_risks_have_measures"], facts)
    ] == ["risks_have_seriousness", "high_risks_have_measures"]


def test_measure_needs_what_who_when_unless_cancelled() -> None:
    m = MeasureFact(1, "1.1", "Taklyft", "", None, MeasureStatus.PLANNED, False)
    unmet = evaluate(["measures_have_what_who_when"], StageFacts("s", [], [], measures=[m]))
    assert "who, when" in unmet[0].message_en and "vem, när" in unmet[0].message_sv
    cancelled = MeasureFact(1, "1.1", "", "", None, MeasureStatus.CANCELLED, False)
    assert (
        evaluate(["measures_have_what_who_when"], StageFacts("s", [], [], measures=[cancelled]))
        == []
    )
    ok = MeasureFact(1, "1.1", "x", "y", date(2027, 1, 1), MeasureStatus.PLANNED, False)
    assert evaluate(["measures_have_what_who_when"], StageFacts("s", [], [], measures=[ok])) == []


def test_same_person_cannot_approve_twice() -> None:
    t = [
        task(1, "a", TaskStatus.COMPLETED, completed_by=7, decision="approve"),
        task(2, "b", TaskStatus.COMPLETED, completed_by=7, decision="approve"),
    ]
    assert evaluate(["approvals_distinct_people"], StageFacts("s", STEPS, t))
    t[1] = task(2, "b", TaskStatus.COMPLETED, completed_by=8, decision="approve")
    assert evaluate(["approvals_distinct_people"], StageFacts("s", STEPS, t)) == []


def test_every_gate_says_why() -> None:
    for name, gate in GATES.items():
        assert gate.__doc__ and len(gate.__doc__) > 30, name
