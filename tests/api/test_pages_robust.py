"""No page answers 500, whatever the path parameters, query or form fields hold."""

from __future__ import annotations

import re

from starlette.routing import Route

from api.app import PAGE_ROUTERS
from tests.api.conftest import Web, csrf_of

ODD_IDS = ["1", "0", "-1", "abc", "99999999999999999999", "1.5"]
ODD_FORM = {
    "csrf_token": "",  # replaced by the real one
    "_action": "add:x[0]",
    "_version": "x",
    "stage": "nonsense",
    "reason": "",
    "to": "not-an-email",
    "due": "31/12",
    "year": "20x7",
    "root": "<script>",
    "units_csv": "a;b\n\u0000",
    "people_csv": "",
    "person_email": "",
    "valid_from": "x",
    "serious": "maybe",
    "cycle": "abc",
    "task_ids": "x",
}


def test_no_page_fails_on_odd_input(web: Web) -> None:
    o = web.org
    from tests.factories import drive_to

    drive_to(o, o.cycle_of("U1"), "analysis")
    client = web.browser("hr@x.se")
    token = csrf_of(client.get("/inbox").text)
    paths = sorted(
        {r.path for m in PAGE_ROUTERS for r in m.router.routes if isinstance(r, Route)}
        - {"/logout"}  # (signing out would end the test's session)
    )
    checked = 0
    for path in paths:
        for value in ODD_IDS if "{" in path else [""]:
            url = re.sub(r"\{[^}]+\}", value, path)
            for query in (
                {},
                {"lang": "xx", "year": "abc", "unit": "-1", "stage": "<b>", "q": "%_"},
            ):
                got = client.get(url, params=query)
                assert got.status_code < 500, (url, query, got.status_code)
            form = {**ODD_FORM, "csrf_token": token}
            posted = client.post(url, data=form)
            assert posted.status_code < 500, (url, posted.status_code)
            checked += 1
    assert checked > 20
