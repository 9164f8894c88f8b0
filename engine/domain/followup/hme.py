"""HME (Hållbart medarbetarengagemang, SKR): nine questions answered 1–5.

Working rule (configurable, to be checked against SKR's calculation template): an answer
maps to (x − 1) × 25, a question's index is the mean of its answers, a sub-index the mean of
its three questions, HME the mean of the three sub-indices, all 0–100. Groups with fewer
answers than the threshold get no figures at all: none stored, none shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

SUB_INDICES = ("motivation", "leadership", "governance")
DEFAULT_MIN_ANSWERS = 5


@dataclass(frozen=True)
class HmeResult:
    answered: int
    suppressed: bool
    motivation: float | None = None
    leadership: float | None = None
    governance: float | None = None

    @property
    def total(self) -> float | None:
        parts = [self.motivation, self.leadership, self.governance]
        if any(p is None for p in parts):
            return None
        return round(fmean(p for p in parts if p is not None), 1)


def answer_index(answer_mean: float) -> float:
    """A 1–5 mean answer on the 0–100 scale."""
    if not 1 <= answer_mean <= 5:
        raise ValueError("answers are 1–5 | svaren är 1–5")
    return (answer_mean - 1) * 25


def from_question_means(
    answered: int, means: Mapping[str, Sequence[float]], min_answers: int = DEFAULT_MIN_ANSWERS
) -> HmeResult:
    """``means``: sub-index -> the mean answer (1–5) of each of its questions."""
    if answered < min_answers:
        return HmeResult(answered, suppressed=True)
    subs = {k: round(fmean(answer_index(x) for x in means[k]), 1) for k in SUB_INDICES}
    return HmeResult(answered, False, **subs)


def suppressed(answered: int | None, min_answers: int = DEFAULT_MIN_ANSWERS) -> bool:
    return answered is None or answered < min_answers
