"""A plan's review rhythm is changed after it was made (by those who may open a plan at
its unit: its manager or one above, HR, a director), audited, and its open review is
re-dated by the rhythm's rules (tests/plans/test_review_rhythm.py): due at the new
rhythm's first day after the later of the day the review was made and the last done
review's due day — a review done early still does not bring the next forward; when only
named dates are left and they have passed, the open later review is cancelled (none made
up). The API and the plan page do it too; bad input is a 422 naming the field, in Swedish
and English. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from api.app import create_app
from engine.context import App
from engine.db.models import AuditEvent
from engine.domain.clock import FrozenClock
from engine.domain.errors import InvalidInput, NotFound, NotPermitted
from engine.plans import own
from engine.settings import Settings
from tests.api.conftest import Web, _close, csrf_of
from tests.plans.test_own_plans import HEADER
from tests.plans.test_review_rhythm import _reviews, _to_follow_up


def _on(clock: FrozenClock, day: date) -> None:
    clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=clock.now().tzinfo))


def test_a_changed_rhythm_redates_the_open_review_by_the_rules(
    app: App, clock: FrozenClock
) -> None:
    _on(clock, date(2027, 2, 20))
    c, cid = _to_follow_up(app, clock, {**HEADER, "follow_up_months": 2})
    dir_ = c.o.actor("dir@x.se")
    plan_id = own.list_plans(app, dir_)[0].id
    assert _reviews(app, cid) == [("open", date(2027, 3, 10))]
    changed = own.change_rhythm(app, dir_, plan_id, own.parse_rhythm({"follow_up_months": 3}))
    assert (changed.next_review, changed.redated, changed.cancelled) == (date(2027, 4, 10), 1, 0)
    assert _reviews(app, cid) == [("open", date(2027, 4, 10))]
    shown = own.show(app, dir_, plan_id)
    assert (shown.follow_up_months, shown.next_review, shown.may_change_rhythm) == (
        3,
        date(2027, 4, 10),
        True,
    )
    # done early, the next is at the rhythm after its due day; a shorter rhythm now does
    # not bring it before that due day either
    _on(clock, date(2027, 3, 1))
    c.o.complete("dir@x.se", "plan_review", {"summary": "Pågår."}, cid)
    assert _reviews(app, cid)[-1] == ("open", date(2027, 7, 10))
    changed = own.change_rhythm(app, dir_, plan_id, own.parse_rhythm({"follow_up_months": 1}))
    assert _reviews(app, cid)[-1] == ("open", date(2027, 5, 10)) and changed.redated == 1
    # named dates and months: the earliest day of either
    own.change_rhythm(
        app,
        dir_,
        plan_id,
        own.parse_rhythm({"follow_up_months": 6, "review_dates": ["2027-06-01", "2027-05-01"]}),
    )
    assert _reviews(app, cid)[-1] == ("open", date(2027, 5, 1))
    assert own.show(app, dir_, plan_id).review_dates == [date(2027, 5, 1), date(2027, 6, 1)]
    # only named dates, all before the last done review's due day: no review left
    changed = own.change_rhythm(
        app, dir_, plan_id, own.parse_rhythm({"review_dates": ["2027-03-20"]})
    )
    assert (changed.next_review, changed.cancelled) == (None, 1)
    assert [s for s, _ in _reviews(app, cid)] == ["completed", "cancelled"]
    with app.read() as s:
        events = [
            (a, json.loads(d) if d else None)
            for a, d in s.execute(
                select(AuditEvent.action, AuditEvent.data)
                .where(
                    AuditEvent.chain == f"cycle:{cid}",
                    AuditEvent.action.in_(
                        ["plan.rhythm_changed", "task.due_changed", "task.cancelled"]
                    ),
                )
                .order_by(AuditEvent.id)
            ).tuples()
        ]
    assert [a for a, _ in events].count("plan.rhythm_changed") == 4
    assert [a for a, _ in events].count("task.due_changed") == 3
    first = next(d for a, d in events if a == "plan.rhythm_changed")
    assert first is not None
    assert (first["from"]["every_months"], first["to"]["every_months"]) == (2, 3)
    assert events[-1][0] == "task.cancelled"


def test_who_may_change_it_and_what_is_refused(app: App, clock: FrozenClock) -> None:
    _on(clock, date(2027, 2, 20))
    c, _cid = _to_follow_up(app, clock, HEADER)
    a = c.o.actor
    plan_id = own.list_plans(app, a("dir@x.se"))[0].id
    three = own.parse_rhythm({"follow_up_months": 3})
    with pytest.raises(NotFound):  # a plan of the administration: not U1's manager's
        own.change_rhythm(app, a("m1@x.se"), plan_id, three)
    with pytest.raises((NotFound, NotPermitted)):  # sees it, perhaps; may not change it
        own.change_rhythm(app, a("hso@x.se"), plan_id, three)
    own.change_rhythm(app, a("hr@x.se"), plan_id, three)  # HR may
    for bad, path in (
        ({}, "follow_up_months"),
        ({"follow_up_months": 13}, "follow_up_months"),
        ({"review_dates": ["första maj"]}, "review_dates"),
    ):
        with pytest.raises(InvalidInput) as refused:
            own.parse_rhythm(bad)
        assert refused.value.errors[0].path.startswith(path), bad
    with pytest.raises(InvalidInput) as early:
        own.change_rhythm(
            app, a("dir@x.se"), plan_id, own.parse_rhythm({"review_dates": ["2027-01-05"]})
        )
    assert early.value.errors[0].path == "review_dates"
    assert "2027-01-05" in early.value.errors[0].message("sv")
    assert own.show(app, a("dir@x.se"), plan_id).follow_up_months == 3


@pytest.fixture
def web(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    from tests.coop.scenario import build

    app = create_app(Settings(database_url=db_url), clock)
    engine: App = app.state.engine
    engine.cache["password_hasher"] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    c = build(engine)
    w = Web(app, engine, c.o, clock)
    yield w
    _close(w)


def test_the_api_and_the_page_change_the_rhythm(web: Web) -> None:
    _on(web.clock, date(2027, 2, 20))
    made = own.create(web.engine, web.org.actor("hr@x.se"), own.parse(HEADER))
    api = web.api("hr@x.se")
    bad = api.put(f"/api/plans/{made.plan_id}/rhythm", json={"follow_up_months": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "follow_up_months"
    none = api.put(f"/api/plans/{made.plan_id}/rhythm", json={})
    assert none.status_code == 422 and "minst ett datum" in none.text
    ok = api.put(
        f"/api/plans/{made.plan_id}/rhythm",
        json={"follow_up_months": 5, "review_dates": ["2027-09-01"]},
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["follow_up_months"], ok.json()["review_dates"]) == (5, ["2027-09-01"])
    assert api.put("/api/plans/999999/rhythm", json={"follow_up_months": 2}).status_code == 404
    hr = web.browser("hr@x.se")
    page = hr.get(f"/plans/{made.plan_id}")
    assert page.status_code == 200 and 'id="rhythm-months"' in page.text
    refused = hr.post(
        f"/plans/{made.plan_id}/rhythm",
        data={"csrf_token": csrf_of(page.text), "follow_up_months": "", "review_dates": "x"},
    )
    assert refused.status_code == 422 and 'href="#rhythm-dates"' in refused.text
    done = hr.post(
        f"/plans/{made.plan_id}/rhythm",
        data={
            "csrf_token": csrf_of(page.text),
            "follow_up_months": "",
            "review_dates": "2027-11-01\n2027-06-01\n",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    shown = hr.get(done.headers["location"]).text
    assert "Planens uppföljningsrytm är ändrad." in shown
    assert own.show(web.engine, web.org.actor("hr@x.se"), made.plan_id).review_dates == [
        date(2027, 6, 1),
        date(2027, 11, 1),
    ]
    english = hr.get(f"/plans/{made.plan_id}?lang=en").text
    assert "Change the plan's review rhythm" in english
    # who may not change it is not offered the form
    assert 'id="rhythm-months"' not in web.browser("hso@x.se").get(f"/plans/{made.plan_id}").text
