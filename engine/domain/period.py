"""Period dates as action plans write them: a day, a month, a season, a quarter, a tertial,
a school term, a year, or open-ended ("kontinuerligt").

A ``Period`` has a first and a last day and keeps the label as it was written. Periods
are sorted and compared by their end (a measure due "Q1 2017" is due 2017-03-31);
reminders and overdue are computed from the end. An open-ended period has neither and
sorts last; a measure with one gets review dates instead of a deadline (``review_dates``).

Forms read (case and spacing as people write them, Swedish and English)::

    2017-02-15 · 15/2 2017 · 15 feb 2017 · 15 februari 2017   a day
    feb 2017 · februari 2017 · February 2017 · 2017-02         a month
    våren/sommaren/hösten/vintern 2017 · spring 2017           a season (vintern 2017:
                                                               Dec 2017 – Feb 2018)
    Q1 2017 · kvartal 1 2017 · kv 1 2017 · 2017 Q1             a quarter
    T2 2017 · tertial 2 2017                                   a tertial (four months)
    VT 2017 · HT 2017 · vårterminen 2017 · höstterminen 2017   a term (Jan–Jun, Aug–Dec)
    2017                                                       a year
    kontinuerligt · löpande · ständigt pågående · ongoing      open-ended

``format_period`` writes the canonical label of a period (``parse_period`` of it gives the
same period back).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Kind = Literal["day", "month", "season", "quarter", "tertial", "term", "year", "open"]

MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")  # fmt: skip
MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august",
             "september", "october", "november", "december")  # fmt: skip
_MONTH: dict[str, int] = {}
for _n, (_sv, _en) in enumerate(zip(MONTHS_SV, MONTHS_EN, strict=True), start=1):
    for _word in (_sv, _en, _sv[:3], _en[:3], _sv[:4], _en[:4]):
        _MONTH.setdefault(_word, _n)
_MONTH.update({"sept": 9, "okt": 10})

SEASONS_SV = ("våren", "sommaren", "hösten", "vintern")
SEASONS_EN = ("spring", "summer", "autumn", "winter")
_SEASON: dict[str, int] = {
    **{w: i for i, w in enumerate(SEASONS_SV)},
    **{w: i for i, w in enumerate(SEASONS_EN)},
    "vår": 0, "sommar": 1, "höst": 2, "vinter": 3, "fall": 2,
    "under våren": 0, "under sommaren": 1, "under hösten": 2, "under vintern": 3,
}  # fmt: skip
_SEASON_START = (3, 6, 9, 12)
OPEN_WORDS = ("kontinuerligt", "löpande", "ständigt pågående", "ständigt", "fortlöpande",
              "pågående", "kontinuerlig", "ongoing", "continuous", "continuously",
              "continual")  # fmt: skip
_TERMS = {"vt": 0, "vårterminen": 0, "spring term": 0, "ht": 1, "höstterminen": 1,
          "autumn term": 1}  # fmt: skip

MIN_YEAR, MAX_YEAR = 1990, 2100


class PeriodError(ValueError):
    """Not a date or period; the message names the forms that are read."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(f"not a date or period: {text!r}")

    message_en = property(
        lambda self: (
            f"not a date or period: {self.text!r} (e.g. 2017-02-15, feb 2017, "
            "hösten 2017, Q1 2017, T2 2017, 2017, kontinuerligt)"
        )
    )
    message_sv = property(
        lambda self: (
            f"inte ett datum eller en period: {self.text!r} (t.ex. 2017-02-15, "
            "feb 2017, hösten 2017, Q1 2017, T2 2017, 2017, kontinuerligt)"
        )
    )


@dataclass(frozen=True)
class Period:
    """``start``..``end`` inclusive; both None for an open-ended period."""

    kind: Kind
    start: date | None
    end: date | None
    label: str = field(default="", compare=False)

    @property
    def open_ended(self) -> bool:
        return self.end is None

    def sort_key(self) -> tuple[date, date]:
        """By the end, then the start; open-ended last."""
        return (self.end or date.max, self.start or date.max)

    def __lt__(self, other: Period) -> bool:
        return self.sort_key() < other.sort_key()

    def __le__(self, other: Period) -> bool:
        return self.sort_key() <= other.sort_key()

    def overdue(self, on: date) -> bool:
        """Past its end on ``on`` (never for an open-ended period)."""
        return self.end is not None and on > self.end

    @property
    def shown(self) -> str:
        """The label as written, or the canonical one."""
        return self.label or format_period(self)


def day(d: date, label: str = "") -> Period:
    return Period("day", d, d, label)


def _last(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month(year: int, m: int, label: str = "") -> Period:
    return Period("month", date(year, m, 1), _last(year, m), label)


def season(year: int, index: int, label: str = "") -> Period:
    first = _SEASON_START[index]
    end_month, end_year = (first + 2, year) if first + 2 <= 12 else (first + 2 - 12, year + 1)
    return Period("season", date(year, first, 1), _last(end_year, end_month), label)


def quarter(year: int, q: int, label: str = "") -> Period:
    return Period("quarter", date(year, 3 * q - 2, 1), _last(year, 3 * q), label)


def tertial(year: int, t: int, label: str = "") -> Period:
    return Period("tertial", date(year, 4 * t - 3, 1), _last(year, 4 * t), label)


def term(year: int, t: int, label: str = "") -> Period:
    if t == 0:
        return Period("term", date(year, 1, 1), date(year, 6, 30), label)
    return Period("term", date(year, 8, 1), date(year, 12, 31), label)


def year_(y: int, label: str = "") -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31), label)


def open_ended(label: str = "") -> Period:
    return Period("open", None, None, label)


_SPACE = re.compile(r"\s+")
_YEAR = r"((?:19|20|21)\d\d)"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_YEAR}-(\d\d?)-(\d\d?)$"), "iso"),
    (re.compile(rf"^(\d\d?)/(\d\d?)(?:[ -/]{_YEAR})?$"), "dm"),
    (re.compile(rf"^(\d\d?)\.? ([a-zåäö]+)\.?(?: {_YEAR})?$"), "d_month"),
    (re.compile(rf"^{_YEAR}-(\d\d?)$"), "ym"),
    (re.compile(rf"^(?:q|kv|kv\.|kvartal|quarter) ?([1-4])(?:[ ,/-]*{_YEAR})?$"), "q"),
    (re.compile(rf"^{_YEAR} ?(?:q|kv|kvartal) ?([1-4])$"), "yq"),
    (re.compile(rf"^([1-4]):?a? ?(?:kvartalet|kvartal|quarter)[ ,/-]*{_YEAR}$"), "q"),
    (re.compile(rf"^(?:t|tertial) ?([1-3])(?:[ ,/-]*{_YEAR})?$"), "t"),
    (re.compile(rf"^{_YEAR} ?(?:t|tertial) ?([1-3])$"), "yt"),
    (re.compile(rf"^([a-zåäö]+(?: [a-zåäö]+)?)[ ,/-]*{_YEAR}$"), "word_year"),
    (re.compile(rf"^{_YEAR}$"), "year"),
]


def parse_period(text: str, *, default_year: int | None = None) -> Period:
    """The period ``text`` names (label kept as written); PeriodError if none.
    ``default_year`` completes a day written without one ("13/10")."""
    label = _SPACE.sub(" ", text.strip())
    s = label.lower().rstrip(".")
    if not s:
        raise PeriodError(text)
    if s in OPEN_WORDS:
        return open_ended(label)
    for pattern, form in _PATTERNS:
        m = pattern.match(s)
        if m is None:
            continue
        try:
            found = _build(form, m.groups(), label, default_year)
        except ValueError:
            raise PeriodError(text) from None
        if found is not None:
            if found.start is not None and not MIN_YEAR <= found.start.year <= MAX_YEAR:
                raise PeriodError(text)
            return found
    raise PeriodError(text)


def _build(
    form: str, g: tuple[str | None, ...], label: str, default_year: int | None
) -> Period | None:
    def year(x: str | None) -> int:
        if x is None:
            if default_year is None:
                raise ValueError("no year")
            return default_year
        return int(x)

    if form == "iso":
        return day(date(int(g[0] or 0), int(g[1] or 0), int(g[2] or 0)), label)
    if form == "dm":
        return day(date(year(g[2]), int(g[1] or 0), int(g[0] or 0)), label)
    if form == "d_month":
        mon = _MONTH.get(g[1] or "")
        return None if mon is None else day(date(year(g[2]), mon, int(g[0] or 0)), label)
    if form == "ym":
        return month(int(g[0] or 0), int(g[1] or 0), label)
    if form == "q":
        return quarter(year(g[1]), int(g[0] or 0), label)
    if form == "yq":
        return quarter(int(g[0] or 0), int(g[1] or 0), label)
    if form == "t":
        return tertial(year(g[1]), int(g[0] or 0), label)
    if form == "yt":
        return tertial(int(g[0] or 0), int(g[1] or 0), label)
    if form == "word_year":
        word, y = g[0] or "", int(g[1] or 0)
        if word in _MONTH:
            return month(y, _MONTH[word], label)
        if word in _SEASON:
            return season(y, _SEASON[word], label)
        if word in _TERMS:
            return term(y, _TERMS[word], label)
        return None
    if form == "year":
        return year_(int(g[0] or 0), label)
    return None


def format_period(p: Period, lang: str = "sv") -> str:
    """The canonical label: 2017-02-15, feb 2017, hösten 2017, Q1 2017, T2 2017, VT 2017,
    2017, kontinuerligt (or the English words)."""
    sv = lang != "en"
    if p.start is None or p.end is None:
        return "kontinuerligt" if sv else "ongoing"
    y = p.start.year
    if p.kind == "day":
        return p.start.isoformat()
    if p.kind == "month":
        return f"{(MONTHS_SV if sv else MONTHS_EN)[p.start.month - 1][:3]} {y}"
    if p.kind == "season":
        return f"{(SEASONS_SV if sv else SEASONS_EN)[_SEASON_START.index(p.start.month)]} {y}"
    if p.kind == "quarter":
        return f"Q{(p.start.month + 2) // 3} {y}"
    if p.kind == "tertial":
        return f"T{(p.start.month + 3) // 4} {y}"
    if p.kind == "term":
        return f"{'VT' if p.start.month == 1 else 'HT'} {y}"
    return str(y)


def from_stored(kind: str | None, start: date | None, end: date | None, label: str) -> Period:
    """The period of a stored row (kind, start, end, label); a plain date when no kind."""
    if kind is None or kind == "":
        return open_ended(label) if end is None else day(end, label)
    if kind not in ("day", "month", "season", "quarter", "tertial", "term", "year", "open"):
        raise ValueError(kind)
    return Period(kind, start, end, label)  # type: ignore[arg-type]


def add_months(start: date, n: int) -> date:
    """``start`` moved ``n`` months on (the 31st becomes the month's last day)."""
    total = start.month - 1 + n
    y, m = start.year + total // 12, total % 12 + 1
    return date(y, m, min(start.day, calendar.monthrange(y, m)[1]))


def review_dates(start: date, months: int, until: date) -> list[date]:
    """Review dates of an open-ended measure: every ``months`` from ``start`` up to
    ``until`` (the first one ``months`` after the start)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    out: list[date] = []
    n = 1
    while (d := add_months(start, months * n)) <= until:
        out.append(d)
        n += 1
    return out


def next_review(start: date, months: int | None, named: Sequence[date], after: date) -> date | None:
    """A plan's next review after the day ``after``, at the plan's own rhythm: the
    earliest of its named dates later than that and, with a rhythm of ``months``, the
    first day every ``months`` from ``start`` (the plan date) later than that. None when
    the plan names only dates and every one has passed: no review is made up."""
    found = [d for d in named if d > after]
    if months is not None:
        if months < 1:
            raise ValueError("months must be at least 1")
        gone = (after.year - start.year) * 12 + after.month - start.month
        n = max(1, gone // months)
        while (d := add_months(start, months * n)) <= after:
            n += 1
        found.append(d)
    return min(found, default=None)
