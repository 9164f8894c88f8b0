"""A control character in a request is refused with 422 naming where it is, never a
server error: PostgreSQL refuses NUL in a text (and in ``jsonb``), so one let in would stop
the write, or a later read of everyone's cases (``api.middleware.control_chars``, the
schemas' ``without_control``). Run on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from engine.domain.validation import without_control
from tests.api.conftest import Web, csrf_of
from tests.cases.test_doors import INCIDENT, cweb_any  # noqa: F401 (a fixture)

NUL = "a\x00b"


def test_without_control_names_texts_in_lists_and_keys() -> None:
    assert without_control({"a": ["x\ty", "line\nnext\r"]}) == {"a": ["x\ty", "line\nnext\r"]}
    for bad in ("a\x00", ["ok", "\x1b[31m"], {"k\x7f": "v"}, ("\x08",)):
        with pytest.raises(ValueError, match="control character"):
            without_control(bad)


def test_a_nul_in_a_json_field_is_refused_and_the_overview_still_answers(cweb_any: Web) -> None:  # noqa: F811
    web = cweb_any
    emp = web.api("emp@x.se")
    got = emp.post("/api/cases/incident", json={**INCIDENT, "what": NUL})
    assert got.status_code == 422, got.text
    assert [e["path"] for e in got.json()["errors"]] == ["what"]
    ok = emp.post("/api/cases/incident", json={**INCIDENT, "what": "Halkade\tpå\nvått golv"})
    assert ok.status_code == 201, ok.text
    lat = web.api("dir@x.se").get("/api/incidents/latency", params={"year": 2027})
    assert lat.status_code == 200 and lat.json()["events"] == 1


def test_a_nul_in_a_path_query_or_form_is_refused(cweb_any: Web) -> None:  # noqa: F811
    web = cweb_any
    d = web.api("dir@x.se")
    got = d.get("/api/org/people", params={"q": NUL})
    assert got.status_code == 422 and got.json()["errors"][0]["path"] == "q", got.text
    assert d.get("/api/policy/a%00b").status_code == 422
    assert d.get("/api/org/people", params={"q": "Anna"}).status_code == 200
    anon = web.anonymous()
    form = {"csrf_token": csrf_of(anon.get("/login").text), "email": NUL, "password": "x"}
    refused = anon.post("/login", data=form)
    assert refused.status_code == 422 and "email" in refused.text


def test_no_get_route_answers_a_nul_with_a_server_error(cweb_any: Web) -> None:  # noqa: F811
    web = cweb_any
    api, page = web.api("dir@x.se"), web.browser("dir@x.se")
    bad: list[tuple[str, int]] = []

    def hit(client: object, url: str, params: dict[str, str] | None = None) -> None:
        r = client.get(url, params=params)  # type: ignore[attr-defined]
        if r.status_code >= 500 or (r.status_code == 200 and params):
            bad.append((url, r.status_code))

    spec = api.get("/api/openapi.json").json()
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if op is None:
            continue
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        if names:
            hit(api, re.sub(r"\{[^}]+\}", "1", path), dict.fromkeys(names, NUL))
        if "{" in path:
            hit(api, re.sub(r"\{[^}]+\}", "a%00b", path))
    for route in web.app.routes:
        path = getattr(route, "path", "")
        if "GET" in (getattr(route, "methods", None) or ()) and not path.startswith("/api"):
            hit(page, re.sub(r"\{[^}]+\}", "1", path), {"q": NUL, "year": NUL, "lang": NUL})
    assert not bad
