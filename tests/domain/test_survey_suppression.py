"""The suppression rule: no group below the minimum is ever derivable from shown totals.

The respondents of one unit's direct group are indistinguishable, so the unknowns are the
sums of the direct groups (one per unit with answers). A shown unit publishes the sum over
its subtree (mean × count; counts are shown). A set of direct groups has a derivable sum
exactly when its indicator vector lies in the span of the shown units' vectors: checked
with exact rational elimination, for every set of direct groups with fewer answers than
the minimum (not only the rule's own residuals).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.followup.surveys import (
    DERIVABLE,
    NO_ANSWERS,
    QUESTIONS,
    TOO_FEW,
    Tally,
    indices,
    roll_up,
    scaled,
    suppress,
)


def _subtree(parents: dict[int, int | None], u: int) -> set[int]:
    out = {u}
    changed = True
    while changed:
        changed = False
        for v, p in parents.items():
            if p in out and v not in out:
                out.add(v)
                changed = True
    return out


class Span:
    """Row-reduced basis over the rationals; ``contains`` reduces a vector by it."""

    def __init__(self, width: int) -> None:
        self.rows: list[tuple[int, list[Fraction]]] = []  # (pivot column, row)
        self.width = width

    def _reduce(self, v: list[Fraction]) -> list[Fraction]:
        v = list(v)
        for col, row in self.rows:
            if v[col] != 0:
                f = v[col] / row[col]
                v = [a - f * b for a, b in zip(v, row, strict=True)]
        return v

    def add(self, v: list[Fraction]) -> None:
        r = self._reduce(v)
        for col, x in enumerate(r):
            if x != 0:
                self.rows.append((col, r))
                return

    def contains(self, v: list[Fraction]) -> bool:
        return all(x == 0 for x in self._reduce(v))


@st.composite
def trees(draw: st.DrawFn) -> tuple[dict[int, int | None], dict[int, int], int]:
    size = draw(st.integers(1, 9))
    parents: dict[int, int | None] = {0: None}
    for u in range(1, size):
        parents[u] = draw(st.integers(0, u - 1))
    direct = {u: draw(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 8, 12])) for u in parents}
    minimum = draw(st.integers(2, 7))
    return parents, direct, minimum


@settings(max_examples=400, deadline=None)
@given(trees())
def test_no_group_below_the_minimum_is_derivable(
    case: tuple[dict[int, int | None], dict[int, int], int],
) -> None:
    parents, direct, minimum = case
    reasons = suppress(parents, direct, minimum)
    atoms = [u for u in sorted(parents) if direct[u] > 0]
    subtrees = {u: _subtree(parents, u) for u in parents}
    total = {u: sum(direct[v] for v in subtrees[u]) for u in parents}
    span = Span(len(atoms))
    for u, why in reasons.items():
        if why is None:
            assert total[u] >= minimum  # primary suppression
            span.add([Fraction(int(a in subtrees[u])) for a in atoms])
        elif total[u] == 0:
            assert why == NO_ANSWERS
        elif total[u] < minimum:
            assert why == TOO_FEW
        else:
            assert why == DERIVABLE
    for k in range(1, len(atoms) + 1):
        for group in combinations(range(len(atoms)), k):
            answers = sum(direct[atoms[i]] for i in group)
            if answers >= minimum:
                continue
            vector = [Fraction(int(i in group)) for i in range(len(atoms))]
            assert not span.contains(vector), (parents, direct, minimum, reasons, group)


def test_a_parent_minus_its_shown_children_would_reveal_its_own_two() -> None:
    # the department has 2 respondents of its own, its two units 6 and 9: showing all
    # three would give the two by subtraction, so the smaller unit is hidden as well
    parents: dict[int, int | None] = {1: None, 2: 1, 3: 1}
    reasons = suppress(parents, {1: 2, 2: 6, 3: 9}, 5)
    assert reasons == {1: None, 2: DERIVABLE, 3: None}


def test_a_small_unit_hides_a_sibling_or_the_parent() -> None:
    parents: dict[int, int | None] = {1: None, 2: 1, 3: 1}
    assert suppress(parents, {2: 3, 3: 7}, 5) == {1: None, 2: TOO_FEW, 3: DERIVABLE}
    # no shown unit below to hide: the parent goes; else the unit below it does
    assert suppress({1: None, 2: 1}, {2: 3, 1: 0}, 5) == {1: TOO_FEW, 2: TOO_FEW}
    assert suppress({1: None, 2: 1}, {1: 2, 2: 6}, 5) == {1: None, 2: DERIVABLE}
    assert suppress({1: None, 2: 1}, {1: 0, 2: 6}, 5) == {1: None, 2: None}


def test_the_published_method() -> None:
    assert [scaled(a, 1, 5) for a in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]
    assert scaled(4, 1, 7) == 50
    t = Tally()
    t.add_answers([scaled(5, 1, 5)] * 3 + [scaled(3, 1, 5)] * 3 + [scaled(4, 1, 5)] * 3)
    t.add_answers([scaled(4, 1, 5)] * 9)
    got = indices(t)
    assert got is not None
    assert (got.motivation, got.leadership, got.governance, got.hme) == (87.5, 62.5, 75, 75)
    assert set(got.questions) == set(QUESTIONS)
    parents: dict[int, int | None] = {1: None, 2: 1}
    up = roll_up(parents, {2: t, 1: Tally()})
    assert up[1].n == 2 and up[1].sums == t.sums
