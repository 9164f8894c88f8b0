"""A plan in its own right is reviewed at its own rhythm (issue 11, part 5): every so many
months from its plan date, on dates its header names, or both; a header naming neither
takes the setting. The first review follows the rhythm (not a fixed 91 days), a review
done early does not bring the next forward, and when only named dates were given and all
have passed no review is made up. The plan page, the API and the command line show it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from engine.context import App
from engine.db.models import Task
from engine.domain.clock import FrozenClock, local_date
from engine.domain.errors import InvalidInput
from engine.domain.period import add_months, next_review
from engine.plans import importer as plan_import
from engine.plans import own
from engine.workflow import cycles
from tests.coop.scenario import Coop, build
from tests.plans.test_own_plans import HEADER, PLAN_CSV


def test_the_next_review_at_a_rhythm_at_named_dates_or_both() -> None:
    start = date(2027, 1, 31)
    assert next_review(start, 4, [], date(2027, 1, 31)) == date(2027, 5, 31)
    assert next_review(start, 1, [], date(2027, 2, 1)) == date(2027, 2, 28)  # month's end
    assert next_review(start, 4, [], date(2027, 5, 31)) == date(2027, 9, 30)
    assert next_review(start, 4, [], date(2026, 6, 1)) == date(2027, 5, 31)  # before: first
    named = [date(2027, 3, 1), date(2027, 6, 15)]
    assert next_review(start, None, named, date(2027, 3, 1)) == date(2027, 6, 15)
    assert next_review(start, None, named, date(2027, 6, 15)) is None  # none made up
    assert next_review(start, 4, named, date(2027, 3, 1)) == date(2027, 5, 31)  # earliest
    assert next_review(start, 4, named, date(2027, 5, 31)) == date(2027, 6, 15)


# the same examples every run (a CI run once ended in hypothesis's FlakyStrategyDefinition
# on this pure strategy, under load): the property is checked, the run is reproducible
@settings(derandomize=True, database=None)
@given(
    st.dates(date(2000, 1, 1), date(2090, 12, 31)),
    st.integers(1, 12) | st.none(),
    st.lists(st.dates(date(2000, 1, 1), date(2099, 12, 31)), max_size=5),
    st.dates(date(1999, 1, 1), date(2095, 12, 31)),
)
def test_the_next_review_is_the_first_day_of_the_rhythm_after(
    start: date, months: int | None, named: list[date], after: date
) -> None:
    got = next_review(start, months, named, after)
    rhythm = {add_months(start, months * n) for n in range(1, 1300)} if months else set()
    days = {d for d in {*rhythm, *named} if d > after}
    assert got == (min(days) if days else None)


def _to_follow_up(app: App, clock: FrozenClock, header: dict[str, Any]) -> tuple[Coop, int]:
    """A plan drawn up, decided and past its cooperation stage: its follow-up is open."""
    c = build(app)
    a = c.o.actor
    made = own.create(app, a("hr@x.se"), own.parse(header))
    plan_import.import_plan(app, a("dir@x.se"), made.cycle_id, "plan.csv", PLAN_CSV)
    c.o.complete("dir@x.se", "action_plan", {"participants": "Ledningsgruppen"}, made.cycle_id)
    cycles.sign_off_stage(app, a("dir@x.se"), made.cycle_id, "action_plan")
    c.o.complete("dir@x.se", "approve_manager", {"decision": "approve"}, made.cycle_id)
    cycles.sign_off_stage(app, a("dir@x.se"), made.cycle_id, "cooperation")
    return c, made.cycle_id


def _reviews(app: App, cycle_id: int) -> list[tuple[str, date]]:
    with app.read() as s:
        return [
            (t.status, local_date(t.due_at))
            for t in s.scalars(
                select(Task)
                .where(Task.cycle_id == cycle_id, Task.key == "plan_review")
                .order_by(Task.id)
            )
        ]


def test_reviews_follow_the_plans_months_from_its_plan_date(app: App, clock: FrozenClock) -> None:
    clock.set(datetime(2027, 2, 20, 9, tzinfo=clock.now().tzinfo))
    header = {**HEADER, "plan_date": "2027-01-10", "follow_up_months": 2}
    c, cid = _to_follow_up(app, clock, header)
    assert _reviews(app, cid) == [("open", date(2027, 3, 10))]  # not 91 days on
    clock.set(datetime(2027, 3, 1, 9, tzinfo=clock.now().tzinfo))  # done early
    c.o.complete("dir@x.se", "plan_review", {"summary": "Pågår."}, cid)
    assert _reviews(app, cid) == [("completed", date(2027, 3, 10)), ("open", date(2027, 5, 10))]
    clock.set(datetime(2027, 6, 2, 9, tzinfo=clock.now().tzinfo))  # done late
    c.o.complete("dir@x.se", "plan_review", {"summary": "Pågår."}, cid)
    assert _reviews(app, cid)[-1] == ("open", date(2027, 7, 10))


def test_reviews_at_named_dates_end_when_the_dates_do(app: App, clock: FrozenClock) -> None:
    clock.set(datetime(2027, 2, 20, 9, tzinfo=clock.now().tzinfo))
    header = {
        **HEADER,
        "follow_up_months": None,
        "review_dates": ["2027-10-01", "2027-04-01", "2027-04-01"],
    }
    c, cid = _to_follow_up(app, clock, header)
    made = own.list_plans(app, c.o.actor("dir@x.se"))[0]
    shown = own.show(app, c.o.actor("dir@x.se"), made.id)
    assert (shown.follow_up_months, shown.review_dates) == (
        None,
        [date(2027, 4, 1), date(2027, 10, 1)],
    )
    assert shown.next_review == date(2027, 4, 1)
    assert _reviews(app, cid) == [("open", date(2027, 4, 1))]
    c.o.complete("dir@x.se", "plan_review", {"summary": "Första."}, cid)
    assert _reviews(app, cid)[-1] == ("open", date(2027, 10, 1))
    clock.advance(timedelta(days=230))
    c.o.complete("dir@x.se", "plan_review", {"summary": "Andra."}, cid)
    assert [s for s, _ in _reviews(app, cid)] == ["completed", "completed"]  # none made up


def test_a_header_naming_no_rhythm_takes_the_setting(app: App, clock: FrozenClock) -> None:
    app.settings = app.settings.model_copy(update={"plan_review_months": 5})
    clock.set(datetime(2027, 2, 20, 9, tzinfo=clock.now().tzinfo))
    header = {k: v for k, v in HEADER.items() if k != "follow_up_months"}
    c, cid = _to_follow_up(app, clock, header)
    plan_id = own.list_plans(app, c.o.actor("dir@x.se"))[0].id
    assert own.show(app, c.o.actor("dir@x.se"), plan_id).follow_up_months == 5
    assert _reviews(app, cid) == [("open", date(2027, 6, 10))]  # 2027-01-10 + 5 months


def test_review_dates_fall_after_the_plan_date() -> None:
    with pytest.raises(InvalidInput) as bad:
        own.parse({**HEADER, "review_dates": ["2026-12-01"]})
    assert bad.value.errors[0].path == "review_dates"
    assert "2026-12-01" in bad.value.errors[0].message("sv")
    with pytest.raises(InvalidInput) as bad:
        own.parse({**HEADER, "review_dates": ["första maj"]})
    assert bad.value.errors[0].path.startswith("review_dates")
