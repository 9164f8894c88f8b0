"""Which units a risk-oriented review (ROA) is proposed for: a pure rule over absence figures.

SKR's *riskorienterat arbetssätt* points at workplaces with many repeated short absences
and with higher absence than comparable ones. The rule (its numbers are settings,
docs/surveys.md): a unit is proposed when, in at least ``periods`` consecutive periods of
the year, its short-term sick leave (spells shorter than 14 days) is at least
``threshold`` per cent **and** more than ``above`` per cent over the median of the
comparable units (the same level in the organisation, or the same parent) in that period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median


@dataclass(frozen=True)
class Rule:
    threshold: float  # per cent of scheduled time
    above: float  # per cent over the comparable median
    periods: int  # consecutive periods


@dataclass(frozen=True)
class Flag:
    period: str
    short_term: float
    comparable_median: float
    comparables: int


def proposals(
    rule: Rule,
    short_term: Mapping[int, Mapping[str, float]],
    group_of: Mapping[int, str],
    order: Sequence[str],
) -> dict[int, list[Flag]]:
    """Unit -> the run of flagged periods that proposes it (units not proposed left out).

    ``short_term``: unit -> period -> short-term per cent; ``group_of``: the comparable
    group of each unit; ``order``: the periods in time order."""
    medians: dict[tuple[str, str], tuple[float, int]] = {}
    by_group: dict[tuple[str, str], list[float]] = {}
    for unit, figures in short_term.items():
        for period, value in figures.items():
            by_group.setdefault((group_of.get(unit, ""), period), []).append(value)
    for key, values in by_group.items():
        medians[key] = (median(values), len(values))
    out: dict[int, list[Flag]] = {}
    for unit, figures in short_term.items():
        run: list[Flag] = []
        best: list[Flag] = []
        for period in order:
            got = figures.get(period)
            found = medians.get((group_of.get(unit, ""), period))
            if (
                got is not None
                and found is not None
                and found[1] >= 2
                and got >= rule.threshold
                and got > found[0] * (1 + rule.above / 100)
            ):
                run.append(Flag(period, got, found[0], found[1]))
                if len(run) > len(best):
                    best = list(run)
            else:
                run = []
        if len(best) >= max(rule.periods, 1):
            out[unit] = best
    return out
