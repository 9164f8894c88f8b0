"""The doors of policy and knowledge: the JSON API (in OpenAPI) with its access matrix
(404 for what one may not see, 403 for what one sees but may not do), the pages (a new
document, a version, the acknowledgement, the knowledge page, the year page's list) and
the CLI, on the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.main import main as cli_main
from tests.api.conftest import Web, _close, csrf_of
from tests.cases.test_doors import _web

DOC = {"code": "AMP", "unit": "ADM", "topic": "policy", "title": "Arbetsmiljöpolicy", "owner": "hr"}
LOCAL = {
    "code": "RUT-U2",
    "unit": "U2",
    "topic": "incidents",
    "title": "Rutin tillbud U2",
    "owner": "manager",
}
VERSION = {"body": "Vi arbetar förebyggande.", "valid_from": "2027-01-01"}
TRAINING = {
    "email": "m2@x.se",
    "unit": "U2",
    "role": "manager",
    "course_key": "bam",
    "taken_on": "2026-04-01",
}
#: who -> (sees the policy, sees U2's routine, may acknowledge the policy, may write,
#: sees U2's training)
MATRIX = {
    "hr@x.se": (True, True, False, True, True),
    "dir@x.se": (True, True, True, True, True),
    "dep@x.se": (True, True, True, False, True),
    "m1@x.se": (True, False, True, False, False),
    "m2@x.se": (True, True, True, False, True),
    "so1@x.se": (True, False, False, False, False),
    "emp@x.se": (True, False, False, False, False),
}


@pytest.fixture
def sweb(sqlite_url: str, clock: Any) -> Iterator[Web]:
    w = _web(sqlite_url, clock)
    yield w
    _close(w)


def test_api_and_its_access_matrix(sweb: Web) -> None:
    pweb = sweb  # the rules are the database's either way; the use cases run on both
    hr = pweb.api("hr@x.se")
    assert hr.post("/api/policy", json={"document": DOC, "version": VERSION}).status_code == 201
    assert hr.post("/api/policy", json={"document": LOCAL, "version": VERSION}).status_code == 201
    assert hr.post("/api/knowledge", json=TRAINING).status_code == 201
    for who, (policy, local, acks, writes, training) in MATRIX.items():
        api = pweb.api(who)
        assert api.get("/api/policy/AMP").status_code == (200 if policy else 404), who
        assert api.get("/api/policy/RUT-U2").status_code == (200 if local else 404), who
        listed = {d["code"] for d in api.get("/api/policy").json()["documents"]}
        assert ("RUT-U2" in listed) == local, who
        got = api.post("/api/policy/AMP/acknowledge")
        assert got.status_code == (200 if acks else 403), who
        new = api.post("/api/policy/AMP/versions", json={**VERSION, "valid_from": "2027-01-05"})
        assert new.status_code == (201 if writes else 403), who
        rows = api.get("/api/knowledge").json()["records"]
        assert any(r["email"] == "m2@x.se" for r in rows) == training, who
        unit = api.get("/api/knowledge", params={"unit": "U2"}).status_code
        assert unit == (200 if training else 404), who
    assert pweb.api("m2@x.se").post("/api/knowledge", json=TRAINING).status_code == 403
    assert hr.get("/api/policy/NOPE").status_code == 404
    shown = hr.get("/api/policy/AMP").json()
    assert [v["number"] for v in shown["versions"]] == [3, 2, 1]
    assert shown["employer"]["written_required"] is True
    bad = hr.post("/api/policy/AMP/versions", json={"body": "", "valid_from": "2027-01-06"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "body"
    eng = hr.post(
        "/api/policy/AMP/versions",
        json={"body": "", "valid_from": "nope"},
        headers={"Accept-Language": "en"},
    )
    assert eng.status_code == 422 and [e["path"] for e in eng.json()["errors"]] == ["valid_from"]
    worse = hr.post(
        "/api/knowledge", json={**TRAINING, "course_key": "zz", "valid_until": "2020-01-01"}
    )
    assert worse.status_code == 422
    assert {e["path"] for e in worse.json()["errors"]} >= {"valid_until"}
    paths = pweb.anonymous().get("/api/openapi.json").json()["paths"]
    assert {
        "/api/policy",
        "/api/policy/{code}",
        "/api/policy/{code}/versions",
        "/api/policy/{code}/acknowledge",
        "/api/knowledge",
    } <= set(paths)


def test_pages_and_cli(sweb: Web, tmp_path: Path, capsys: Any) -> None:
    hr = sweb.browser("hr@x.se")
    page = hr.get("/policy")
    assert page.status_code == 200 and "Ny policy eller rutin" in page.text
    assert "84 anställda" in page.text and "ska vara skriftliga" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        **DOC,
        "body": "",
        "valid_from": "2027-01-01",
        "review_by": "",
        "note": "",
    }
    refused = hr.post("/policy", data=form)
    assert refused.status_code == 422 and "skriftliga" in refused.text
    done = hr.post("/policy", data={**form, "body": "Text"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/policy/AMP")
    m1 = sweb.browser("m1@x.se")
    doc = m1.get("/policy/AMP")
    assert "Jag har läst den här versionen" in doc.text and "Ny version" not in doc.text
    ack = m1.post(
        "/policy/AMP/acknowledge", data={"csrf_token": csrf_of(doc.text)}, follow_redirects=False
    )
    assert ack.status_code == 303
    assert "Du har kvitterat" in m1.get("/policy/AMP").text
    emp = sweb.browser("emp@x.se")
    assert (
        emp.post(
            "/policy/AMP/acknowledge", data={"csrf_token": csrf_of(emp.get("/policy/AMP").text)}
        ).status_code
        == 403
    )
    k = hr.get("/knowledge")
    assert "Registrera utbildning" in k.text and "Maja Chef" in k.text  # lacking knowledge
    rec = hr.post(
        "/knowledge",
        data={
            "csrf_token": csrf_of(k.text),
            **TRAINING,
            "course": "",
            "valid_until": "",
            "note": "",
        },
        follow_redirects=False,
    )
    assert rec.status_code == 303
    assert "Mats Chef" in hr.get("/knowledge").text
    year = hr.get("/year").text
    assert "saknar den kunskap rollen kräver" in year and "Maja Chef" in year
    assert sweb.browser("so1@x.se").get("/policy/RUT-U2").status_code == 404

    url = str(sweb.engine.settings.database_url)
    text = tmp_path / "v2.md"
    text.write_text("Version två", encoding="utf-8")
    base = ["--db", url]
    assert (
        cli_main(
            [
                *base,
                "policy",
                "publish",
                "AMP",
                "--text",
                str(text),
                "--valid-from",
                "2027-01-05",
                "--as",
                "hr@x.se",
            ]
        )
        == 0
    )
    assert cli_main([*base, "policy", "show", "AMP", "--as", "hr@x.se"]) == 0
    out = capsys.readouterr().out
    assert "AMP Arbetsmiljöpolicy" in out and "Hugo HR" in out
    assert cli_main([*base, "policy", "ack", "AMP", "--as", "so1@x.se"]) == 4
    assert (
        cli_main(
            [
                *base,
                "knowledge",
                "record",
                "dep@x.se",
                "--unit",
                "DEP",
                "--role",
                "manager",
                "--course",
                "sam",
                "--taken-on",
                "2026-01-01",
                "--as",
                "hr@x.se",
            ]
        )
        == 0
    )
    assert cli_main([*base, "knowledge", "lacking", "--as", "hr@x.se"]) == 0
    lacking = capsys.readouterr().out
    assert "m1@x.se" in lacking and "dep@x.se" not in lacking
