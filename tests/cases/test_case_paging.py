"""The lists of cases a page at a time (keyset by date and id) with a count, through the
use case, the JSON API (X-Total-Count, Link rel=next) and the page; the latency read as an
aggregate agrees with the cases' own state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.cases import incidents
from engine.domain.errors import InvalidInput
from engine.workflow.process import cases as processes
from tests.api.conftest import Web, _close
from tests.cases.test_doors import _web
from tests.cases.test_duties import INCIDENT


@pytest.fixture
def pweb(db_url: str, clock: object) -> Iterator[Web]:
    w = _web(db_url, clock)  # type: ignore[arg-type]
    yield w
    _close(w)


def test_pages_of_cases_by_keyset_with_count(pweb: Web) -> None:
    web = pweb
    for day in ("2027-01-03", "2027-01-05", "2027-01-05", "2027-01-07", "2027-01-08"):
        for unit in ("U1", "U2"):
            subject = processes.parse_subject(
                "incident", {**INCIDENT, "unit": unit, "occurred_on": day, "serious": unit == "U1"}
            )
            processes.open_case(
                web.engine,
                web.org.actor("emp@x.se" if unit == "U1" else "dir@x.se"),
                "incident",
                subject,
            )
    director = web.org.actor("dir@x.se")
    whole = [r.id for r in processes.list_cases(web.engine, director, "incident")]
    assert len(whole) == 10
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = processes.page_cases(web.engine, director, "incident", after=after, limit=3)
        assert page.total == 10
        seen += [r.id for r in page.rows]
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == whole and pages == 4  # same order, nothing twice, nothing left out
    mine = processes.page_cases(web.engine, web.org.actor("emp@x.se"), "incident", limit=2)
    assert mine.total == 5 and len(mine.rows) == 2  # an employee: their own registrations
    m2 = processes.page_cases(web.engine, web.org.actor("m2@x.se"), "incident", limit=50)
    assert m2.total == 5 and {r.unit_code for r in m2.rows} == {"U2"}
    with pytest.raises(InvalidInput) as bad:
        processes.page_cases(web.engine, director, "incident", after="yesterday")
    assert bad.value.errors[0].path == "after"
    with pytest.raises(InvalidInput):
        processes.page_cases(web.engine, director, "incident", limit=500)
    lat = incidents.latency(web.engine, director, 2027)
    assert (lat.events, lat.serious, lat.not_reported) == (10, 5, 5)

    api = web.api("dir@x.se")
    got = api.get("/api/cases/incident", params={"limit": 4})
    assert got.status_code == 200 and len(got.json()) == 4
    assert got.headers["X-Total-Count"] == "10" and 'rel="next"' in got.headers["Link"]
    nxt = got.headers["Link"].split(">")[0].lstrip("<")
    assert [r["id"] for r in api.get(nxt).json()] == whole[4:8]
    assert api.get("/api/cases/incident", params={"after": "x"}).status_code == 422
    assert len(api.get("/api/cases/incident").json()) == 10  # without paging: all, as before

    browser = web.browser("dir@x.se")
    html = browser.get("/cases/incident").text
    assert "10 ärenden" in html and "Nästa sida" not in html  # 10 fit on a page of 50
    assert browser.get("/cases/incident", params={"after": "nonsense"}).status_code == 200
