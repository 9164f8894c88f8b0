"""Positions and groups have a page (HR) and JSON routes: each position with who holds it
today and every holder's span, each group with its convener and members; a measure's
responsible is shown as written with the holder today beside it on the cycle page, and
the holder follows a change of holder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.domain.clock import FrozenClock
from engine.org import positions
from engine.plans import importer as plan_import
from tests.api.conftest import Web, _close, make_web
from tests.factories import drive_to
from tests.services.test_positions import PLAN, POSITIONS

LATER = POSITIONS.replace(
    "hr@x.se,2020-01-01",
    "hr@x.se,2020-01-01,2027-01-31,\nbefattning,HR-chef,ADM,dep@x.se,2027-02-01",
)


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(sqlite_url, clock)
    yield w
    _close(w)


def test_positions_page_api_and_holder_beside_the_responsible(web: Web) -> None:
    o, app = web.org, web.engine
    positions.import_positions(app, o.actor("hr@x.se"), POSITIONS)
    cid = o.cycle_of("U1")
    drive_to(o, cid, "action_plan")
    plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    hr = web.browser("hr@x.se")
    page = hr.get("/org/positions")
    assert page.status_code == 200
    for text in ("HR-chef", "Hugo HR", "Ledningsgruppen", "Gemensamt ansvar", "Maja Chef"):
        assert text in page.text
    api = web.api("hr@x.se")
    (pos,) = api.get("/api/positions").json()
    assert (pos["title"], pos["unit_code"], pos["holder"]) == ("HR-chef", "ADM", "Hugo HR")
    assert pos["holders"][0]["email"] == "hr@x.se" and pos["holders"][0]["current"]
    groups = {g["name"]: g for g in api.get("/api/groups").json()}
    assert groups["Gemensamt ansvar"]["convener"] == "Maja Chef"
    assert {m["email"] for m in groups["Gemensamt ansvar"]["members"]} == {"m1@x.se", "so1@x.se"}
    assert groups["Ledningsgruppen"]["kind"] == "management_team"
    assert groups["Ledningsgruppen"]["convener"] == "Dag Avdelningschef"
    assert api.get("/api/positions?unit=NOPE").status_code == 404
    # a manager administers nothing: an empty list, not someone else's positions
    assert web.api("m1@x.se").get("/api/positions").json() == []
    # the cycle page shows the responsible as written and who holds it today
    cycle = web.browser("m1@x.se").get(f"/cycles/{cid}")
    assert "HR-chef" in cycle.text and "Hugo HR" in cycle.text
    # a new holder: the page and the API follow
    positions.import_positions(app, o.actor("hr@x.se"), LATER)
    web.clock.set(web.clock.now().replace(year=2027, month=3, day=1))
    (pos,) = api.get("/api/positions").json()
    assert pos["holder"] == "Dag Avdelningschef"
    assert [h["current"] for h in pos["holders"]] == [False, True]
    cycle = web.browser("m1@x.se").get(f"/cycles/{cid}")
    assert "Dag Avdelningschef" in cycle.text
