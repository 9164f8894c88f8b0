"""Small server-side SVG charts for reports (no JavaScript, print the same as on screen).

Each function returns SVG markup; every text in it is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BLUE, GREEN, AMBER, GREY = "#1f4e79", "#2e7d32", "#f2a900", "#b8c2cc"
ROW, LABEL_W, VALUE_W = 14, 150, 46


def _alt(title: str, values: Sequence[tuple[str, str]]) -> str:
    """The chart in words, for those who do not see it: its title and every value."""
    said = "; ".join(f"{label}: {value}" for label, value in values)
    return f"{title}: {said}" if title and said else title or said or "–"


def _svg(width: int, height: int, body: str, title: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="8">{body}</svg>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = "#111") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, color: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{color}"/>'


def bars(
    rows: Sequence[tuple[str, float | None]],
    *,
    maximum: float = 1.0,
    fmt: Callable[[float], str] = lambda v: f"{v * 100:.0f} %",
    title: str = "",
    width: int = 480,
    color: str = BLUE,
) -> Markup:
    """Horizontal bars, one per row (label, value); None is drawn as '–'."""
    span = width - LABEL_W - VALUE_W
    parts = []
    said = [(label, "–" if value is None else fmt(value)) for label, value in rows]
    for i, (label, value) in enumerate(rows):
        y = i * ROW
        parts.append(_text(LABEL_W - 4, y + 10, label[:32], "end"))
        if value is None:
            parts.append(_text(LABEL_W + 2, y + 10, "–"))
            continue
        w = max(0.0, min(1.0, value / maximum if maximum else 0.0)) * span
        parts.append(
            f'<rect x="{LABEL_W}" y="{y + 2}" width="{w:.1f}" height="10" fill="{color}"/>'
        )
        parts.append(_text(LABEL_W + w + 3, y + 10, fmt(value)))
    return _svg(width, max(ROW, len(rows) * ROW + 2), "".join(parts), _alt(title, said))


def stacked(
    rows: Sequence[tuple[str, Sequence[int]]],
    legend: Sequence[str],
    *,
    colors: Sequence[str] = (GREEN, AMBER, GREY),
    title: str = "",
    width: int = 480,
) -> Markup:
    """One bar per row split into parts (done / ongoing / planned), with the counts."""
    span = width - LABEL_W - VALUE_W
    parts = []
    for i, (label, values) in enumerate(rows):
        y = i * ROW
        total = sum(values) or 1
        x = float(LABEL_W)
        parts.append(_text(LABEL_W - 4, y + 10, label[:32], "end"))
        for value, color in zip(values, colors, strict=False):
            w = span * value / total
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="10" fill="{color}"/>'
                )
            x += w
        parts.append(_text(LABEL_W + span + 3, y + 10, "/".join(str(v) for v in values)))
    y = len(rows) * ROW + 4
    x = float(LABEL_W)
    for text, color in zip(legend, colors, strict=False):
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="8" height="8" fill="{color}"/>')
        parts.append(_text(x + 11, y + 7, text))
        x += 12 + 6 * len(text) + 10
    said = [
        (label, ", ".join(f"{n} {what}" for n, what in zip(values, legend, strict=False)))
        for label, values in rows
    ]
    return _svg(width, y + 12, "".join(parts), _alt(title, said))


def columns(
    points: Sequence[tuple[str, float | None]],
    *,
    maximum: float = 100.0,
    title: str = "",
    height: int = 110,
) -> Markup:
    """Vertical columns (e.g. an index per year); None is shown as '–' (suppressed)."""
    col, gap = 34, 18
    width = len(points) * (col + gap) + gap
    base = height - 14
    parts = [
        f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#888" stroke-width="0.5"/>'
    ]
    for i, (label, value) in enumerate(points):
        x = gap + i * (col + gap)
        parts.append(_text(x + col / 2, height - 3, label, "middle"))
        if value is None:
            parts.append(_text(x + col / 2, base - 4, "–", "middle"))
            continue
        h = (base - 12) * max(0.0, min(1.0, value / maximum))
        parts.append(
            f'<rect x="{x}" y="{base - h:.1f}" width="{col}" height="{h:.1f}" fill="{BLUE}"/>'
        )
        parts.append(_text(x + col / 2, base - h - 2, _one_decimal(value), "middle"))
    said = [(label, "–" if v is None else _one_decimal(v)) for label, v in points]
    return _svg(width, height, "".join(parts), _alt(title, said))


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")
