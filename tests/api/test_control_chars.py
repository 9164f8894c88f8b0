"""A control character in a request is refused with 422 naming where it is, never a
server error: PostgreSQL refuses NUL in a text (and in ``jsonb``), so one let in would stop
the write, or a later read of everyone's cases (``api.middleware.control_chars``, the
schemas' ``without_control``). Run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

import fastapi.routing
import pytest
from fastapi import params
from fastapi.routing import APIRoute

from api.middleware.form_checks import multipart_fields
from engine.domain.errors import ImportInvalid
from engine.domain.validation import without_control
from engine.plans import sheets
from engine.plans.sheets import SheetLimits
from engine.settings import Settings
from tests.api.conftest import Web, csrf_of
from tests.cases.test_doors import INCIDENT, cweb_any  # noqa: F401 (a fixture)
from tests.factories import people_csv, units_csv

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
    for route in fastapi.routing.iter_route_contexts(web.app.router.routes):
        path = getattr(route, "path", "")
        if "GET" in (getattr(route, "methods", None) or ()) and not path.startswith("/api"):
            hit(page, re.sub(r"\{[^}]+\}", "1", path), {"q": NUL, "year": NUL, "lang": NUL})
    assert not bad


# --- multipart forms and the files they carry ---------------------------------------------


def test_every_api_route_that_takes_a_form_checks_its_texts(cweb_any: Web) -> None:  # noqa: F811
    """A multipart form is parsed by its route, after the middleware: each API route with
    form or file parameters must carry ``api.middleware.form_checks.MULTIPART``."""
    checked, missing = [], []
    for context in fastapi.routing.iter_route_contexts(cweb_any.app.router.routes):
        route = getattr(context, "original_route", context)
        if not isinstance(route, APIRoute):
            continue
        if any(isinstance(f.field_info, params.Form) for f in route.dependant.body_params):
            calls = [d.call for d in route.dependant.dependencies]
            (checked if multipart_fields in calls else missing).append(context.path)
    assert not missing
    assert "/api/tasks/{task_id}/attachments" in checked and len(checked) >= 9


def _multipart(fields: dict[str, str], file: tuple[str, str, bytes]) -> tuple[bytes, str]:
    """A multipart body built by hand: httpx (like a browser) percent-encodes a control
    character in a file's name, a crafted request need not."""
    parts = [
        f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    field, name, content = file
    head = f'--b\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
    parts.append(head.encode() + b"Content-Type: text/plain\r\n\r\n" + content + b"\r\n")
    return b"".join(parts) + b"--b--\r\n", "multipart/form-data; boundary=b"


def test_a_control_character_in_a_multipart_field_or_file_name_is_refused(
    cweb_any: Web,  # noqa: F811
) -> None:
    web = cweb_any
    m1 = web.api("m1@x.se")
    task = int(m1.get("/api/inbox").json()["items"][0]["task_id"])
    body, kind = _multipart({}, ("file", NUL + ".pdf", b"%PDF-1.4"))
    got = m1.post(f"/api/tasks/{task}/attachments", content=body, headers={"content-type": kind})
    assert got.status_code == 422 and got.json()["errors"][0]["path"] == "file", got.text
    fine = m1.post(f"/api/tasks/{task}/attachments", files={"file": ("ok.pdf", b"%PDF-1.4")})
    assert fine.status_code == 201, fine.text
    director = web.api("dir@x.se")
    csv = b"krav;enheter;senast\nSkyddsrond saknas;U1;2027-02-15\n"
    form = {"unit": "DEP", "inspected_on": "2027-01-05", "reference": NUL}
    got = director.post("/api/inspections/file", data=form, files={"file": ("krav.csv", csv)})
    assert got.status_code == 422 and got.json()["errors"][0]["path"] == "reference", got.text
    hr = web.browser("hr@x.se")
    token = csrf_of(hr.get("/org/import").text)
    page = hr.post(
        "/org/import",
        data={"csrf_token": token, "_action": "preview", "units_csv": f"code,name\nX,{NUL}\n"},
        files={"people_file": ("people.csv", b"email,name\n", "text/csv")},
    )
    assert page.status_code == 422 and "units_csv" in page.text and "styrtecken" in page.text


def test_a_control_character_inside_an_uploaded_file_is_refused_naming_line_and_column(
    cweb_any: Web,  # noqa: F811
) -> None:
    web = cweb_any
    director = web.api("dir@x.se")
    form = {"unit": "DEP", "inspected_on": "2027-01-05", "reply_by": "2027-03-01"}
    csv = f"krav;enheter;senast\nSkyddsrond saknas;U1;2027-02-15\nRutin {NUL};U1;\n"
    got = director.post(
        "/api/inspections/file", data=form, files={"file": ("krav.csv", csv.encode())}
    )
    assert got.status_code == 422, got.text
    assert got.json()["errors"] == [
        {
            "path": "krav.csv:3: text",
            "message": "innehåller ett styrtecken",
            "file": "krav.csv",
            "line": 3,
            "column": "text",
        }
    ]
    hr = web.browser("hr@x.se")
    token = csrf_of(hr.get("/org/import").text)
    people = people_csv(extra=(f"m3@x.se,Mia {NUL}Chef,manager,U1,2020-01-01,",))
    page = hr.post(
        "/org/import",
        data={"csrf_token": token, "_action": "preview", "units_csv": units_csv()},
        files={"people_file": ("people.csv", people.encode(), "text/csv")},
    )
    assert page.status_code == 422, page.text
    assert re.search(r"people\.csv:\d+: name", page.text) and "(U+0000)" in page.text
    members = f"organ;enhet;typ;namn;epost;roll\nSK1;DEP;skyddskommitté;Kommitté {NUL};;\n"
    got = web.api("hr@x.se").post(
        "/api/coop/bodies/import", files={"file": ("organ.csv", members.encode())}
    )
    assert got.status_code == 422 and "organ.csv:2" in got.text, got.text
    assert "U+0000" in got.text


def test_a_sheet_refuses_a_control_character_naming_its_cell() -> None:
    limits = SheetLimits.of(Settings())
    assert sheets.read_rows("plan.csv", b"a;b;c\nx;y;z\tw\n", limits)[1][1][2] == "z\tw"
    with pytest.raises(ImportInvalid) as refused:
        sheets.read_rows("plan.csv", b"a;b;c\nx;y;z\x0bw\n", limits)
    error = refused.value.rows[0]
    assert (error.file, error.line, error.field) == ("plan.csv", 2, "C")
    assert "U+000B" in error.message_en and "styrtecken" in error.message_sv
    assert [sheets.column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_a_lone_surrogate_in_json_is_refused_and_the_refusal_can_be_written(
    cweb_any: Web,  # noqa: F811
) -> None:
    """JSON's ``"\\ud800"`` decodes to a lone surrogate, which no driver can send, and a
    reply naming it as a key could not be encoded: 422 naming the field, never a 500."""
    emp = cweb_any.api("emp@x.se")
    as_json = {"content-type": "application/json"}
    body = json.dumps({**INCIDENT, "what": "MARK"}).replace('"MARK"', '"a\\ud800b"')
    got = emp.post("/api/cases/incident", content=body, headers=as_json)
    assert got.status_code == 422 and got.json()["errors"][0]["path"] == "what", got.text
    for key, named in (("\\ud800", None), ("\\u0000x", "?x")):
        keyed = json.dumps(INCIDENT)[:-1] + f', "{key}": 1}}'
        got = emp.post("/api/cases/incident", content=keyed, headers=as_json)
        assert got.status_code == 422, got.text
        assert named is None or [e["path"] for e in got.json()["errors"]] == [named], got.text
