"""Safety rounds through the JSON API, the pages and the CLI (issue 12 §2): photos within
their limits (413 before the body is read, 422 naming the photo), 404 for a round one may
not see, the close refused naming each earlier finding, pages usable without a wide
screen."""

from __future__ import annotations

import json
from pathlib import Path

from engine.rounds import rounds
from tests.api.conftest import Web, csrf_of
from tests.rounds.scenario import FLOOR, JPEG, PLAN, PROTOCOL

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _fields(data: dict[str, object]) -> dict[str, str]:
    return {k: str(v) for k, v in data.items()}


def test_api_round_with_a_photo(web: Web) -> None:
    m1, rep, other = web.api("m1@x.se"), web.api("so1@x.se"), web.api("m2@x.se")
    lists = m1.get("/api/rounds/checklists").json()
    assert {"general", "kitchen", "office", "home_care"} <= {c["key"] for c in lists}
    made = m1.post("/api/rounds", json=PLAN)
    assert made.status_code == 201, made.text
    rid = made.json()["case_id"]
    assert rep.post("/api/rounds", json=PLAN).status_code == 403  # the manager leads it

    bad = rep.post(
        f"/api/rounds/{rid}/findings",
        data=_fields(FLOOR),
        files=[("photos", ("x.jpg", b"<html>", "image/jpeg"))],
    )
    assert bad.status_code == 422 and "photos[0]" in bad.text and "inte ett foto" in bad.text
    limit = web.engine.settings.round_photo_max_bytes * web.engine.settings.round_photos_max
    huge = rep.post(
        f"/api/rounds/{rid}/findings",
        content=b"x" * 10,
        headers={
            "Content-Length": str(limit + 100_000),
            "Content-Type": "multipart/form-data; boundary=x",
        },
    )
    assert huge.status_code == 413
    ok = rep.post(
        f"/api/rounds/{rid}/findings",
        data=_fields(FLOOR),
        files=[("photos", ("golv.png", PNG, "image/png"))],
    )
    assert ok.status_code == 201, ok.text and ok.json()["photos"] == 1

    body = m1.get(f"/api/rounds/{rid}").json()
    f = body["findings"][0]
    assert (f["risk_level"], f["status"], body["checklist"]) == ("high", "open", "kitchen")
    pic = m1.get(f"/api/rounds/photos/{f['photos'][0]}")
    assert pic.status_code == 200 and pic.headers["content-type"] == "image/png"
    assert pic.content == PNG
    for url in (f"/api/rounds/{rid}", f"/api/rounds/photos/{f['photos'][0]}"):
        assert other.get(url).status_code == 404
    assert "Enhet 1" not in other.get(f"/api/rounds/{rid}").text
    assert [r["id"] for r in other.get("/api/rounds").json()] == []

    measure = {"measure": {"what": "Matta", "responsible": "manager", "due_date": "2027-03-01"}}
    assert rep.post(f"/api/rounds/findings/{f['id']}/plan", json=measure).status_code == 403
    put = m1.post(f"/api/rounds/findings/{f['id']}/plan", json=measure)
    assert put.status_code == 200 and put.json()["item"] >= 1

    # the next round cannot close before the earlier finding is reviewed
    nxt = m1.post("/api/rounds", json={**PLAN, "planned_on": "2027-01-12"}).json()
    web.org.complete("m1@x.se", "lead_round", {**PROTOCOL, "answers": []}, nxt["cycle_id"])
    web.org.complete("so1@x.se", "take_part", {"took_part": True}, nxt["cycle_id"])
    refused = m1.post(f"/api/rounds/{nxt['case_id']}/close")
    assert refused.status_code == 409 and "Vått och halt golv" in refused.text


def test_round_pages_on_a_phone_sized_form(web: Web) -> None:
    out = rounds.plan(web.engine, web.org.actor("m1@x.se"), PLAN)
    browser = web.browser("so1@x.se")
    listing = browser.get("/rounds")
    assert listing.status_code == 200 and f"/rounds/{out.case_id}" in listing.text
    page = browser.get(f"/rounds/{out.case_id}").text
    assert 'capture="environment"' in page and "Ny iakttagelse" in page
    token = csrf_of(page)
    sent = browser.post(
        f"/rounds/{out.case_id}/findings",
        data={"csrf_token": token, **_fields(FLOOR)},
        files=[("photos", ("golv.jpg", JPEG, "image/jpeg"))],
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    page = browser.get(sent.headers["location"]).text
    assert "Iakttagelsen är sparad." in page and "Vått och halt golv" in page
    assert '<img src="/rounds/photos/' in page
    refused = browser.post(
        f"/rounds/{out.case_id}/findings",
        data={"csrf_token": token, **_fields({**FLOOR, "description": ""})},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and "Vid diskmaskinen" in refused.text  # kept
    assert web.browser("m2@x.se").get(f"/rounds/{out.case_id}").status_code == 404


def test_cli_round(web: Web, tmp_path: Path) -> None:
    from cli.main import main

    url = str(web.engine.settings.database_url)
    plan = tmp_path / "r.json"
    plan.write_text(json.dumps(PLAN))
    finding = tmp_path / "f.json"
    finding.write_text(json.dumps(FLOOR))
    photo = tmp_path / "golv.jpg"
    photo.write_bytes(JPEG)
    base = ["--db", url]
    assert main([*base, "round", "plan", str(plan), "--as", "m1@x.se"]) == 0
    rid = rounds.list_rounds(web.engine, web.org.actor("m1@x.se"))[0].id
    args = ["round", "finding", str(rid), str(finding), "--photo", str(photo), "--as", "so1@x.se"]
    assert main([*base, *args]) == 0
    assert rounds.show(web.engine, web.org.actor("m1@x.se"), rid).findings[0].photos
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"GIF89a")
    assert main([*base, *args[:4], "--photo", str(bad), "--as", "so1@x.se"]) == 2
