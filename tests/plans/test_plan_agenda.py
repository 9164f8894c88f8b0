"""A plan is put on a cooperation meeting's agenda from its own page, choosing the meeting
by its body and date (the meetings to come of the bodies over the plan's unit that the
person calls), never by typing an internal number; the page shows its rhythm and where the
plan is on an agenda."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from engine.coop import bodies, meetings
from engine.domain.clock import FrozenClock, local_date
from engine.plans import own
from tests.api.conftest import Web, _close, csrf_of, make_web
from tests.plans.test_own_plans import HEADER

BODIES = """organ;enhet;typ;namn;epost;roll;organisation
FSG-ADM;ADM;fsg;FSG Förvaltningen;dir@x.se;chair;
LSG-U1;U1;lsg;LSG Enhet 1;m1@x.se;chair;
"""


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(sqlite_url, clock)
    yield w
    _close(w)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_a_plan_goes_on_an_agenda_chosen_by_name(web: Web) -> None:
    e, a = web.engine, web.org.actor
    bodies.import_bodies(e, a("hr@x.se"), BODIES)
    today = local_date(web.clock.now())
    later = meetings.create_meeting(e, a("dir@x.se"), "FSG-ADM", today + timedelta(days=20))
    meetings.create_meeting(e, a("dir@x.se"), "FSG-ADM", today - timedelta(days=5), "Förra")
    meetings.create_meeting(e, a("m1@x.se"), "LSG-U1", today + timedelta(days=9), "Enhetens")
    made = own.create(e, a("hr@x.se"), own.parse({**HEADER, "unit": "DEP", "scope": "department"}))
    hr = web.browser("hr@x.se")
    page = hr.get(f"/plans/{made.plan_id}")
    assert page.status_code == 200
    text = _text(page.text)
    # the rhythm as the header gave it; no internal number to copy anywhere
    assert "med 4 månaders mellanrum räknat från plandatum" in text
    assert "nummer" not in text and f" {made.cycle_id})" not in text
    options = re.findall(r"<option value=\"(\d+)\">([^<]*)</option>", page.text)
    # only the FSG's meeting to come: the past one and the unit body's are not offered
    assert [(int(v), html.unescape(t)) for v, t in options] == [
        (later, f"FSG Förvaltningen {(today + timedelta(days=20)).isoformat()}")
    ]
    bad = hr.post(
        f"/plans/{made.plan_id}/agenda",
        data={"csrf_token": csrf_of(page.text), "meeting": "x", "title": "Handlingsplan"},
    )
    assert bad.status_code == 422 and "Möte" in bad.text and "välj ett möte" in bad.text
    done = hr.post(
        f"/plans/{made.plan_id}/agenda",
        data={"csrf_token": csrf_of(page.text), "meeting": str(later), "title": "Planen"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    shown = hr.get(done.headers["location"]).text
    assert "Punkten är lagd på dagordningen." in shown
    assert "På dagordningen" in shown and "§ 1" in shown
    assert not re.findall(r"<option value=\"\d+\">", shown)  # not offered twice
    (item,) = meetings.show_meeting(e, a("dir@x.se"), later).protocol["items"]
    assert (item["title"], item["subject_type"], item["subject_id"]) == (
        "Planen",
        "plan",
        made.cycle_id,
    )
    # who calls no meeting of a body over the unit is offered none (and is told so)
    dep = web.browser("dep@x.se").get(f"/plans/{made.plan_id}").text
    assert '<select id="agenda-meeting"' not in dep
    assert "Det finns inget kommande möte" in dep


def test_the_plan_api_shows_the_rhythm_and_refuses_early_dates(web: Web) -> None:
    header = {**HEADER, "unit": "DEP", "scope": "department", "review_dates": ["2027-09-01"]}
    dep = web.api("dep@x.se")
    created = dep.post("/api/plans", json=header)
    assert created.status_code == 201, created.text
    one = dep.get(f"/api/plans/{created.json()['plan_id']}").json()
    assert (one["follow_up_months"], one["review_dates"], one["next_review"]) == (
        4,
        ["2027-09-01"],
        None,
    )
    refused = dep.post("/api/plans", json={**header, "review_dates": ["2026-01-01"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == "review_dates"
