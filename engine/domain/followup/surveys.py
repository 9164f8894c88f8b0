"""Survey figures up the unit tree, and which of them may be shown (pure rules, no I/O).

A unit's figures cover everyone in its subtree: its own respondents (the *direct* group)
and those of every unit below it. Each answer is put on the 0–100 scale (``scaled``), a
question's index is the mean of its answers, a sub-index the mean of its three questions,
HME the mean of the three sub-indices (``engine.domain.followup.hme``).

**Suppression.** A unit with fewer answers than the minimum shows no figures (*primary*).
That is not enough: a unit's total minus the totals of the units shown below it gives the
sum of whoever is left (its direct group and the units hidden below it), and if those are
fewer than the minimum, their answers are known all the same. So for every shown unit the
*residual* — its respondents not covered by a shown unit below it — must be none or at
least the minimum (*complementary* suppression). Where it is not, the smallest shown unit
below it whose own residual is at least the minimum is hidden too (its residual joins the
parent's, which is then large enough); if there is none, the unit itself is hidden and its
residual passes up to its parent. One pass from the leaves up settles every unit.

Why that suffices: the subtrees form a laminar family, so every set of respondents whose
sum can be computed from the shown totals is a union of shown units' residuals; when each
residual is empty or at least the minimum, so is every such union.
``tests/domain/test_survey_suppression.py`` checks it with exact linear algebra.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean

QUESTIONS = ("m1", "m2", "m3", "l1", "l2", "l3", "g1", "g2", "g3")
SUB_QUESTIONS: dict[str, tuple[str, str, str]] = {
    "motivation": ("m1", "m2", "m3"),
    "leadership": ("l1", "l2", "l3"),
    "governance": ("g1", "g2", "g3"),
}
#: The question texts (SKR's HME; the governance wording unverified, see docs/surveys.md).
QUESTION_TEXT: dict[str, tuple[str, str]] = {
    "m1": ("Mitt arbete känns meningsfullt", "My work feels meaningful"),
    "m2": (
        "Jag lär nytt och utvecklas i mitt dagliga arbete",
        "I learn new things and develop in my daily work",
    ),
    "m3": ("Jag ser fram emot att gå till arbetet", "I look forward to going to work"),
    "l1": (
        "Min närmaste chef visar uppskattning för mina arbetsinsatser",
        "My immediate manager shows appreciation for my work",
    ),
    "l2": (
        "Min närmaste chef visar förtroende för mig som medarbetare",
        "My immediate manager shows confidence in me as an employee",
    ),
    "l3": (
        "Min närmaste chef ger mig förutsättningar att ta ansvar i mitt arbete",
        "My immediate manager gives me the means to take responsibility in my work",
    ),
    "g1": ("Jag är insatt i min arbetsplats mål", "I know my workplace's goals"),
    "g2": (
        "Jag vet vad som förväntas av mig i mitt arbete",
        "I know what is expected of me in my work",
    ),
    "g3": (
        "Min arbetsplats mål följs upp och utvärderas på ett bra sätt",
        "My workplace's goals are followed up and evaluated well",
    ),
}
SHOWN = None
NO_ANSWERS = "none"
TOO_FEW = "few"
DERIVABLE = "derivable"


def scaled(answer: float, low: int, high: int) -> float:
    """An answer on the ``low``–``high`` scale put on 0–100 (1–5: 1→0, 2→25 … 5→100)."""
    if high <= low:
        raise ValueError("the scale's top must be above its bottom | skalans topp under botten")
    if not low <= answer <= high:
        raise ValueError(f"answers are {low}–{high} | svaren är {low}–{high}")
    return (answer - low) * 100 / (high - low)


@dataclass
class Tally:
    """A group's answers: how many respondents, and per question the sum of their answers
    on the 0–100 scale (every counted respondent answered all nine)."""

    n: int = 0
    sums: list[float] = field(default_factory=lambda: [0.0] * len(QUESTIONS))

    def add(self, other: Tally) -> None:
        self.n += other.n
        for i, v in enumerate(other.sums):
            self.sums[i] += v

    def add_answers(self, values: Sequence[float], count: int = 1) -> None:
        """One respondent's nine scaled answers (``count`` respondents with these means)."""
        self.n += count
        for i, v in enumerate(values):
            self.sums[i] += v * count


@dataclass(frozen=True)
class Indices:
    motivation: float
    leadership: float
    governance: float
    hme: float
    questions: dict[str, float]


def indices(t: Tally) -> Indices | None:
    """The group's indices, rounded to one decimal; None without answers."""
    if t.n <= 0:
        return None
    q = {k: t.sums[i] / t.n for i, k in enumerate(QUESTIONS)}
    subs = {name: fmean(q[k] for k in keys) for name, keys in SUB_QUESTIONS.items()}
    total = fmean(subs.values())
    return Indices(
        round(subs["motivation"], 1),
        round(subs["leadership"], 1),
        round(subs["governance"], 1),
        round(total, 1),
        {k: round(v, 1) for k, v in q.items()},
    )


def bottom_up(parents: Mapping[int, int | None]) -> list[int]:
    """Every unit, each after all the units below it."""
    children: dict[int | None, list[int]] = {}
    for u, p in parents.items():
        children.setdefault(p if p in parents else None, []).append(u)
    order: list[int] = []
    stack: list[tuple[int, bool]] = [(u, False) for u in sorted(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        u, expanded = stack.pop()
        if expanded:
            order.append(u)
            continue
        if u in seen:
            continue
        seen.add(u)
        stack.append((u, True))
        stack.extend((c, False) for c in sorted(children.get(u, [])))
    return order


def roll_up(parents: Mapping[int, int | None], direct: Mapping[int, Tally]) -> dict[int, Tally]:
    """Each unit's tally over its whole subtree."""
    total: dict[int, Tally] = {}
    for u in bottom_up(parents):
        t = total.setdefault(u, Tally())
        if u in direct:
            t.add(direct[u])
        p = parents.get(u)
        if p is not None and p in parents:
            total.setdefault(p, Tally()).add(t)
    return total


def suppress(
    parents: Mapping[int, int | None], direct_n: Mapping[int, int], minimum: int
) -> dict[int, str | None]:
    """Per unit: ``None`` when its figures may be shown, else why not (``NO_ANSWERS``,
    ``TOO_FEW``, ``DERIVABLE``). See the module's docstring for the rule."""
    minimum = max(minimum, 1)
    order = bottom_up(parents)
    kids: dict[int, list[int]] = {u: [] for u in parents}
    for u, p in parents.items():
        if p is not None and p in parents:
            kids[p].append(u)
    n: dict[int, int] = {}
    for u in order:
        n[u] = direct_n.get(u, 0) + sum(n[c] for c in kids[u])
    reason: dict[int, str | None] = {}
    residual: dict[int, int] = {}  # respondents under u not covered by a shown unit below
    for u in order:
        if n[u] == 0:
            reason[u], residual[u] = NO_ANSWERS, 0
            continue
        reason[u] = TOO_FEW if n[u] < minimum else SHOWN
        h = direct_n.get(u, 0) + sum(residual[c] for c in kids[u] if reason[c] is not SHOWN)
        if reason[u] is SHOWN and 0 < h < minimum:
            helpers = [c for c in kids[u] if reason[c] is SHOWN and residual[c] >= minimum]
            if helpers:
                c = min(helpers, key=lambda k: (n[k], k))
                reason[c] = DERIVABLE
                h += residual[c]
            else:
                reason[u] = DERIVABLE
        residual[u] = h
    return reason


def shown_units(reasons: Mapping[int, str | None]) -> Iterable[int]:
    return (u for u, r in reasons.items() if r is SHOWN)
