"""The cooperation pages, signed in through the login form: a meeting's protocol page
(agenda, outcomes, MBL, signing by a union representative), the printed protocol, the
plan's header "Fastställd vid ...", the change page naming what is missing; 404 for
someone outside the body; English too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from api.app import create_app
from engine.context import App
from engine.coop import changes, meetings
from engine.domain.clock import FrozenClock
from engine.settings import Settings
from tests.api.conftest import Web, _close, csrf_of
from tests.coop.scenario import build
from tests.coop.test_changes import CHANGE
from tests.factories import drive_to


@pytest.fixture
def pweb(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    app = create_app(Settings(database_url=sqlite_url), clock)
    engine: App = app.state.engine
    engine.cache["password_hasher"] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    c = build(engine)
    w = Web(app, engine, c.o, clock)
    yield w
    _close(w)


def test_protocol_page_journey_to_a_plan_established(pweb: Web) -> None:
    o, engine = pweb.org, pweb.engine
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "cooperation")
    o.complete("m1@x.se", "approve_manager", {"decision": "approve", "comment": "OK"}, cid)
    chair = pweb.browser("m1@x.se")
    page = chair.get("/coop")
    assert page.status_code == 200 and "LSG Enhet 1" in page.text
    made = chair.post(
        "/coop/meetings",
        data={"csrf_token": csrf_of(page.text), "body": "LSG-U1", "held_on": "2027-04-02"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    url = made.headers["location"].split("?")[0]
    page = chair.get(url)
    added = chair.post(
        f"{url}/items",
        data={
            "csrf_token": csrf_of(page.text),
            "title": "Handlingsplan 2027",
            "subject_type": "plan",
            "subject_id": str(cid),
        },
    )
    assert "Handlingsplan 2027" in added.text and "Punkten är lagd" in added.text
    meeting_id = int(url.rsplit("/", 1)[1])
    item = meetings.show_meeting(engine, o.actor("m1@x.se"), meeting_id).protocol["items"][0]
    item_id = item["ref"].split(":")[1]
    bad = chair.post(
        f"{url}/outcome",
        data={
            "csrf_token": csrf_of(added.text),
            "item": item_id,
            "outcome": "decided",
            "decision": "",
        },
    )
    assert bad.status_code == 422 and "decision" in bad.text
    done = chair.post(
        f"{url}/outcome",
        data={
            "csrf_token": csrf_of(added.text),
            "item": item_id,
            "outcome": "decided",
            "decision": "Planen godkänns.",
        },
    )
    assert "Beslutet är protokollfört" in done.text
    assert "Justera protokollet" not in done.text  # the chair does not sign
    union = pweb.browser("fack2@x.se")
    page = union.get(url)
    assert "Justera protokollet" in page.text
    signed = union.post(f"{url}/sign", data={"csrf_token": csrf_of(page.text)})
    assert signed.status_code == 200 and "Protokollet är justerat" in signed.text
    pdf = union.get(f"{url}/protocol.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    plan_page = chair.get(f"/cycles/{cid}")
    assert "Fastställd vid LSG" in plan_page.text
    english = chair.get(f"/cycles/{cid}?lang=en")
    assert "Established at LSG" in english.text
    # someone outside the body: not found, on the page and the print
    outsider = pweb.browser("fack@x.se")
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"{url}/protocol.pdf").status_code == 404


def test_change_page_names_what_is_missing(pweb: Web) -> None:
    o, engine = pweb.org, pweb.engine
    reg = changes.register(engine, o.actor("hr@x.se"), changes.parse_registration(CHANGE))
    m = pweb.browser("m1@x.se")
    listing = m.get("/changes")
    assert "Nytt schema i hemtjänsten" in listing.text
    page = m.get(f"/changes/{reg.change_id}")
    assert "riskbedömningen är inte gjord" in page.text
    refused = m.post(f"/changes/{reg.change_id}/decide", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 409 and "skyddsombudet har inte registrerat" in refused.text
    assert pweb.browser("m2@x.se").get(f"/changes/{reg.change_id}").status_code == 404
    english = m.get(f"/changes/{reg.change_id}?lang=en")
    assert "the risk assessment is not done" in english.text
    assert "Mark the change decided" in english.text
