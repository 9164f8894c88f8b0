import pytest

from engine.domain import risk
from engine.domain.errors import TransitionNotAllowed
from engine.domain.followup import hme
from engine.domain.workflow.machine import MEASURE, STAGE, TASK, next_state
from engine.domain.workflow.states import MeasureStatus, StageStatus, TaskStatus


def test_task_transitions_are_data() -> None:
    assert next_state(TASK, "task", "complete", TaskStatus.OPEN) == TaskStatus.COMPLETED
    with pytest.raises(TransitionNotAllowed) as err:
        next_state(TASK, "task", "complete", TaskStatus.RETURNED)
    assert (err.value.event, err.value.state) == ("complete", "returned")


def test_a_signed_off_stage_is_only_reopened_not_signed_twice() -> None:
    with pytest.raises(TransitionNotAllowed):
        next_state(STAGE, "stage", "sign_off", StageStatus.SIGNED_OFF)
    assert next_state(STAGE, "stage", "reopen", StageStatus.SIGNED_OFF) == StageStatus.ACTIVE


def test_cancelled_measure_stays_cancelled() -> None:
    with pytest.raises(TransitionNotAllowed):
        next_state(MEASURE, "measure", "finish", MeasureStatus.CANCELLED)


def test_risk_matrix() -> None:
    assert risk.level(1, 2).key == "low"
    assert risk.level(2, 2).key == "medium"
    assert risk.level(3, 3).must_act
    assert risk.level(4, 4).key == "very_high"
    assert len(risk.matrix()) == 4
    with pytest.raises(ValueError):
        risk.level(0, 5)


def test_hme_index_and_anonymity() -> None:
    r = hme.from_question_means(
        12, {"motivation": [4, 4, 4], "leadership": [5, 5, 5], "governance": [3, 3, 3]}
    )
    assert (r.motivation, r.leadership, r.governance, r.total) == (75, 100, 50, 75)
    hidden = hme.from_question_means(4, {"motivation": [4, 4, 4]})
    assert hidden.suppressed and hidden.total is None and hidden.motivation is None


def test_labels_in_both_languages() -> None:
    assert TaskStatus.RETURNED.label("sv") == "Returnerad"
    assert MeasureStatus.POSTPONED.label("en") == "Postponed"
