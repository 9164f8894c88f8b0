"""Geometry for the server-side SVG charts (no JavaScript, prints well, readable by screen
readers through the table the page shows beside it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LABEL_W = 230
BAR_W = 460
ROW_H = 30
BAR_H = 20
TOP = 10
LEGEND_COLS = 3
LEGEND_W = 220


@dataclass(frozen=True)
class Segment:
    key: str
    x: float
    width: float
    count: int
    index: int  # colour slot


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    total: int
    segments: list[Segment]
    overdue: int
    escalated: int


@dataclass(frozen=True)
class StackedChart:
    width: int
    height: int
    label_w: int
    bar_w: int
    bar_h: int
    bars: list[Bar]
    legend_y: int
    keys: list[str]
    legend_cols: int = LEGEND_COLS
    legend_w: int = LEGEND_W


def stacked(
    rows: Sequence[tuple[str, Mapping[str, int], int, int]], keys: Sequence[str]
) -> StackedChart:
    """One bar per row: its units split by stage reached, as shares of the row's units.
    ``rows``: (label, count per key, overdue, escalated)."""
    bars = []
    for i, (label, counts, overdue, escalated) in enumerate(rows):
        total = sum(counts.get(k, 0) for k in keys)
        x = float(LABEL_W)
        segments = []
        for slot, key in enumerate(keys):
            n = counts.get(key, 0)
            if n and total:
                w = BAR_W * n / total
                segments.append(Segment(key, round(x, 1), round(w, 1), n, slot))
                x += w
        bars.append(Bar(label, TOP + i * ROW_H, total, segments, overdue, escalated))
    legend_y = TOP + len(rows) * ROW_H + 14
    rows_of_legend = (len(keys) + LEGEND_COLS - 1) // LEGEND_COLS
    height = legend_y + rows_of_legend * 22 + 10
    width = max(LABEL_W + BAR_W + 150, LABEL_W + LEGEND_COLS * LEGEND_W)
    return StackedChart(width, height, LABEL_W, BAR_W, BAR_H, bars, legend_y, list(keys))
