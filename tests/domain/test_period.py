"""Period dates as plans write them: parsing, formatting round trip, ordering by the end."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.domain import period as P
from engine.domain.period import Period, PeriodError, format_period, parse_period

years = st.integers(min_value=P.MIN_YEAR, max_value=P.MAX_YEAR - 1)
periods: st.SearchStrategy[Period] = st.one_of(
    st.dates(min_value=date(P.MIN_YEAR, 1, 1), max_value=date(P.MAX_YEAR, 12, 31)).map(P.day),
    st.builds(P.month, years, st.integers(1, 12)),
    st.builds(P.season, years, st.integers(0, 3)),
    st.builds(P.quarter, years, st.integers(1, 4)),
    st.builds(P.tertial, years, st.integers(1, 3)),
    st.builds(P.term, years, st.integers(0, 1)),
    st.builds(P.year_, years),
    st.just(P.open_ended()),
)


@given(periods, st.sampled_from(["sv", "en"]), st.sampled_from([str.lower, str.upper, str]))
def test_format_then_parse_gives_the_same_period_and_keeps_the_label(
    p: Period, lang: str, case: object
) -> None:
    text = case(format_period(p, lang))  # type: ignore[operator]
    back = parse_period(f"  {text} ")
    assert back == p
    assert back.kind == p.kind
    assert back.label == text  # as written (trimmed)
    assert back.shown == text


@given(periods)
def test_a_period_is_a_span_and_open_ended_has_no_deadline(p: Period) -> None:
    if p.open_ended:
        assert p.start is None and not p.overdue(date(P.MAX_YEAR, 12, 31))
    else:
        assert p.start is not None and p.end is not None and p.start <= p.end
        assert not p.overdue(p.end) and p.overdue(date.fromordinal(p.end.toordinal() + 1))


@given(st.lists(periods, min_size=2, max_size=12))
def test_periods_sort_by_their_end_open_ended_last(ps: list[Period]) -> None:
    ordered = sorted(ps)
    ends = [p.end or date.max for p in ordered]
    assert ends == sorted(ends)
    for a, b in itertools.pairwise(ordered):
        assert a <= b
    if any(p.open_ended for p in ps):
        assert ordered[-1].open_ended


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2017-02-15", date(2017, 2, 15), date(2017, 2, 15), "day"),
        ("feb 2017", date(2017, 2, 1), date(2017, 2, 28), "month"),
        ("Februari 2017", date(2017, 2, 1), date(2017, 2, 28), "month"),
        ("February 2016", date(2016, 2, 1), date(2016, 2, 29), "month"),
        ("2017-02", date(2017, 2, 1), date(2017, 2, 28), "month"),
        ("Våren 2017", date(2017, 3, 1), date(2017, 5, 31), "season"),
        ("sommaren 2017", date(2017, 6, 1), date(2017, 8, 31), "season"),
        ("under hösten 2017", date(2017, 9, 1), date(2017, 11, 30), "season"),
        ("vintern 2017", date(2017, 12, 1), date(2018, 2, 28), "season"),
        ("Q1 2017", date(2017, 1, 1), date(2017, 3, 31), "quarter"),
        ("kvartal 4 2017", date(2017, 10, 1), date(2017, 12, 31), "quarter"),
        ("T2 2017", date(2017, 5, 1), date(2017, 8, 31), "tertial"),
        ("tertial 3, 2017", date(2017, 9, 1), date(2017, 12, 31), "tertial"),
        ("HT 2019", date(2019, 8, 1), date(2019, 12, 31), "term"),
        ("2019", date(2019, 1, 1), date(2019, 12, 31), "year"),
        ("15 sept 2019", date(2019, 9, 15), date(2019, 9, 15), "day"),
        ("13/10 2019", date(2019, 10, 13), date(2019, 10, 13), "day"),
    ],
)
def test_forms_people_write(text: str, start: date, end: date, kind: str) -> None:
    p = parse_period(text)
    assert (p.start, p.end, p.kind, p.label) == (start, end, kind, text)


@pytest.mark.parametrize("text", ["Kontinuerligt", "löpande", "Ständigt pågående", "ongoing"])
def test_open_ended_words(text: str) -> None:
    assert parse_period(text).open_ended


def test_a_day_or_quarter_without_a_year_takes_the_plans_year() -> None:
    assert parse_period("13/10", default_year=2019).end == date(2019, 10, 13)
    assert parse_period("kvartal 1", default_year=2020).end == date(2020, 3, 31)
    with pytest.raises(PeriodError):
        parse_period("13/10")


@pytest.mark.parametrize("text", ["", "snart", "31/2 2017", "Q5 2017", "T4 2017", "1850", "x 2017"])
def test_not_a_period_is_refused_naming_the_forms(text: str) -> None:
    with pytest.raises(PeriodError) as exc:
        parse_period(text)
    assert "Q1 2017" in exc.value.message_en and "hösten 2017" in exc.value.message_sv


def test_review_dates_of_an_open_ended_measure() -> None:
    assert P.review_dates(date(2019, 1, 31), 6, date(2020, 8, 1)) == [
        date(2019, 7, 31),
        date(2020, 1, 31),
        date(2020, 7, 31),
    ]


SPELLINGS = ["full_sv", "short_sv", "full_en", "short_en", "iso"]


@given(
    years,
    st.integers(1, 12),
    st.sampled_from(SPELLINGS),
    st.sampled_from([str.lower, str.upper, str.title]),
)
def test_every_spelling_of_a_month_is_the_same_month(
    y: int, m: int, spelling: str, case: object
) -> None:
    words = {
        "full_sv": P.MONTHS_SV[m - 1],
        "short_sv": P.MONTHS_SV[m - 1][:3],
        "full_en": P.MONTHS_EN[m - 1],
        "short_en": P.MONTHS_EN[m - 1][:3],
    }
    text = f"{y}-{m:02d}" if spelling == "iso" else f"{case(words[spelling])} {y}"  # type: ignore[operator]
    got = parse_period(text)
    assert (got.kind, got.start, got.end) == ("month", date(y, m, 1), P.month(y, m).end)
    assert got.label == text


@given(st.text(max_size=40))
def test_any_text_is_a_period_or_a_clear_refusal(text: str) -> None:
    """Whatever a cell holds: a period (a span, or open-ended), or a PeriodError naming
    the forms it takes; never another exception."""
    try:
        p = parse_period(text, default_year=2027)
    except PeriodError as exc:
        assert exc.message_en and exc.message_sv
        return
    assert p.open_ended or (p.start is not None and p.end is not None and p.start <= p.end)
