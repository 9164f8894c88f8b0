"""Inspections over the JSON API: register (JSON and files), list, show, answer through the
task, the reply previewed and then drawn up."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from tests.api.conftest import Web

INSPECTION: dict[str, Any] = {
    "unit": "DEP",
    "inspected_on": "2027-01-05",
    "reply_by": "2027-03-01",
    "reference": "2027/4711",
    "inspector": "Eva Inspektör",
    "requirements": [
        {"text": "Arbetsgivaren ska undersöka risker för hot och våld.", "units": ["U1"]},
        {"text": "Arbetsgivaren ska dokumentera fördelningen av uppgifter.", "units": ["U1", "U2"]},
    ],
}
ANSWER = {
    "actions": "Riskbedömning gjord på APT",
    "done_on": "2027-02-01",
    "evidence": ["Protokoll"],
}


def register(web: Web, body: dict[str, Any] | None = None) -> int:
    got = web.api("dir@x.se").post("/api/inspections", json=body or INSPECTION)
    assert got.status_code == 201, got.text
    inspection_id: int = got.json()["inspection_id"]
    return inspection_id


def requirement_tasks(web: Web, email: str) -> list[dict[str, Any]]:
    items = web.api(email).get("/api/inbox").json()["items"]
    return [i for i in items if i["form_key"] == "inspection_response"]


def test_register_list_and_show(web_any: Web) -> None:
    web = web_any
    got = web.api("dir@x.se").post("/api/inspections", json=INSPECTION)
    assert got.status_code == 201, got.text
    out = got.json()
    assert (out["requirements"], out["tasks"]) == (2, 3)
    rows = web.api("hr@x.se").get("/api/inspections").json()
    assert [(r["id"], r["unit_code"], r["status"], r["answers"]) for r in rows] == [
        (out["inspection_id"], "DEP", "open", 3)
    ]
    assert web.api("m1@x.se").get("/api/inspections").json() == []  # DEP is above U1
    one = web.api("dep@x.se").get(f"/api/inspections/{out['inspection_id']}").json()
    assert one["summary"]["reference"] == "2027/4711" and not one["complete"]
    first = one["requirements"][0]
    assert first["text"].startswith("Arbetsgivaren ska undersöka")
    assert [(a["unit"], a["status"]) for a in first["answers"]] == [("U1", "open")]
    assert "Maja Chef" in first["answers"][0]["waiting_on"]  # who holds it


def test_task_shows_the_requirement(web: Web) -> None:
    register(web)
    (task, *_) = requirement_tasks(web, "m1@x.se")
    got = web.api("m1@x.se").get(f"/api/tasks/{task['task_id']}").json()
    req = got["requirement"]
    assert req["number"] == 1 and req["reference"] == "2027/4711"
    assert req["text"].startswith("Arbetsgivaren ska undersöka")


def test_registration_refusals(web: Web) -> None:
    m1 = web.api("m1@x.se")
    assert m1.post("/api/inspections", json=INSPECTION).status_code == 403
    director = web.api("dir@x.se")
    early = director.post("/api/inspections", json={**INSPECTION, "reply_by": "2026-12-01"})
    assert early.status_code == 422
    assert early.json()["errors"][0]["path"] == "reply_by"
    unknown = director.post("/api/inspections", json={**INSPECTION, "unit": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "unit"
    elsewhere = {**INSPECTION, "unit": "U2", "requirements": [{"text": "x", "units": ["U1"]}]}
    got = director.post("/api/inspections", json=elsewhere)
    assert got.json()["errors"][0]["path"] == "requirements[0].units[0]"
    assert director.post("/api/inspections", json=[1, 2]).status_code == 422
    assert director.post(
        "/api/inspections", content=b"{", headers={"content-type": "application/json"}
    ).status_code in (400, 422)


def test_register_from_files(web: Web) -> None:
    director = web.api("dir@x.se")
    csv = "krav;enheter;senast\nSkyddsrond saknas;U1;2027-02-15\nRutin för tillbud;U1 U2;\n"
    form = {"unit": "DEP", "inspected_on": "2027-01-05", "reply_by": "2027-03-01"}
    got = director.post(
        "/api/inspections/file", data=form, files={"file": ("krav.csv", csv.encode(), "text/csv")}
    )
    assert got.status_code == 201, got.text
    assert got.json()["tasks"] == 3
    bad = "krav;enheter;senast\nSkyddsrond saknas;U1;2027-02-15\nRutin;U1;15 februari\n"
    got = director.post(
        "/api/inspections/file", data=form, files={"file": ("krav.csv", bad.encode(), "text/csv")}
    )
    assert got.status_code == 422
    (err,) = got.json()["errors"]
    assert (err["file"], err["line"], err["column"]) == ("krav.csv", 3, "due")
    assert err["path"] == "krav.csv:3: due"
    yaml = (
        "unit: U1\ninspected_on: 2027-01-05\nreply_by: 2027-03-01\n"
        "requirements:\n  - text: Ordna skyddsrond\n"
    )
    got = director.post("/api/inspections/file", files={"file": ("i.yaml", yaml.encode())})
    assert got.status_code == 201, got.text
    empty = director.post("/api/inspections/file", files={"file": ("i.yaml", b"")})
    assert empty.status_code == 422


def test_reply_preview_then_drawn_up(web_any: Web) -> None:
    web = web_any
    inspection_id = register(web)
    hr = web.api("hr@x.se")
    preview = hr.get(f"/api/inspections/{inspection_id}/reply", params={"format": "json"})
    assert preview.status_code == 200 and preview.json()["data"]["open"] == 3
    html = hr.get(f"/api/inspections/{inspection_id}/reply")
    assert html.headers["content-type"].startswith("text/html") and "2027/4711" in html.text
    early = hr.post(f"/api/inspections/{inspection_id}/reply")
    assert early.status_code == 409 and "1 (U1)" in early.json()["message"]
    for email in ("m1@x.se", "m2@x.se"):
        for task in requirement_tasks(web, email):
            done = web.api(email).post(
                f"/api/tasks/{task['task_id']}/complete", json={"data": ANSWER}
            )
            assert done.status_code == 200, done.text
    got = hr.post(f"/api/inspections/{inspection_id}/reply", params={"lang": "en"})
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(got.content)).pages)
    assert "Riskbedömning gjord på APT" in words
    assert hr.get("/api/inspections").json()[0]["status"] == "drafted"


def test_inspection_not_visible(web: Web) -> None:
    inspection_id = register(web, {**INSPECTION, "unit": "U2", "requirements": [{"text": "x"}]})
    m1 = web.api("m1@x.se")
    for path in (f"/api/inspections/{inspection_id}", f"/api/inspections/{inspection_id}/reply"):
        got = m1.get(path)
        assert got.status_code == 404 and "Enhet 2" not in got.text
    assert web.api("hr@x.se").get("/api/inspections/999").status_code == 404
    assert m1.post(f"/api/inspections/{inspection_id}/reply").status_code == 404


def test_a_case_file_in_windows_1252_is_read(web: Web) -> None:
    """A krav.csv saved by Excel on Swedish Windows: the decode was outside the error
    handling and a non-UTF-8 file was a server error."""
    director = web.api("dir@x.se")
    csv = "krav;enheter;senast\nSkyddsrond på lagret;U1;2027-02-15\n"
    form = {"unit": "DEP", "inspected_on": "2027-01-05", "reply_by": "2027-03-01"}
    files = {"file": ("krav.csv", csv.encode("cp1252"), "text/csv")}
    got = director.post("/api/inspections/file", data=form, files=files)
    assert got.status_code == 201, got.text
    shown = web.api("dir@x.se").get(f"/api/inspections/{got.json()['inspection_id']}")
    assert "Skyddsrond på lagret" in shown.text, shown.text


def unreadable(web: Web, name: str, content: bytes) -> dict[str, Any]:
    got = web.api("dir@x.se").post("/api/inspections/file", files={"file": (name, content)})
    assert got.status_code == 422, got.text
    (err,) = got.json()["errors"]
    assert err["file"] == name
    return dict(err)


def test_a_case_file_that_cannot_be_read_names_its_line(web: Web) -> None:
    err = unreadable(web, "i.yaml", b"unit: U1\nrequirements: [\n  - text: x\n")
    assert err["line"] == 3 and "kan inte läsa filen" in err["message"]
    err = unreadable(web, "i.json", b'{"unit": "U1",\n "requirements": [}')
    assert err["line"] == 2 and "kan inte läsa filen" in err["message"]
    err = unreadable(web, "i.yaml", b"unit: U1\n\x81\x8d\x90bad\n")  # no text at all
    assert err["line"] == 2 and "spara den som 'UTF-8'" in err["message"]
    head = b"krav;enheter;senast\nSkyddsrond;U1;2027-02-15\n"
    err = unreadable(web, "krav.csv", head + b"Rutin\rsaknas;U1;\n")  # a bare CR
    assert err["line"] == 3 and "som CSV" in err["message"]
    err = unreadable(web, "krav.csv", head + b"x" * 200_000 + b";U1;\n")  # over csv's limit
    assert err["line"] == 3 and "som CSV" in err["message"]


def test_a_yaml_alias_bomb_is_refused_at_once(web: Web) -> None:
    """Nine lines naming 10^9 texts by alias: every walk over the parsed file (validation,
    the control-character check) would visit each one. Aliases are refused when read."""
    import time

    lines = ["unit: U1", "inspected_on: 2027-01-05", 'a0: &a0 ["Ordna skyddsrond"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    lines += ["requirements:", "  - text: x", "    units: *a9"]
    started = time.perf_counter()
    err = unreadable(web, "i.yaml", "\n".join(lines).encode())
    assert time.perf_counter() - started < 5
    assert err["line"] == 4 and "alias" in err["message"]
