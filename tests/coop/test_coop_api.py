"""The cooperation API on the real app: the access matrix (each role × each cooperation
resource → seen, refused or 404), the protocol signed over HTTP and printed, refusals as
problem documents, and the routes in OpenAPI."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

import pytest
from pypdf import PdfReader

from api.app import create_app
from engine.context import App
from engine.coop import changes, meetings
from engine.domain.clock import FrozenClock
from engine.settings import Settings
from tests.api.conftest import Web, _close
from tests.coop.scenario import build
from tests.coop.test_changes import CHANGE


@pytest.fixture
def cweb(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    app = create_app(Settings(database_url=db_url), clock)
    engine: App = app.state.engine
    c = build(engine)
    w = Web(app, engine, c.o, clock)
    yield w
    _close(w)


#: who -> (sees the LSG of U1, sees the FSG of ADM, sees the change at U1, may sign the LSG)
MATRIX = {
    "hr@x.se": (True, True, True, False),
    "dir@x.se": (True, True, True, False),
    "m1@x.se": (True, False, True, False),  # chair of the LSG; the FSG is above them
    "dep@x.se": (True, False, True, False),  # the line above U1
    "m2@x.se": (False, False, False, False),  # a sibling unit's manager
    "so1@x.se": (True, False, True, False),  # LSG member (safety rep)
    "so2@x.se": (False, False, False, False),  # another unit's safety rep, no body
    "fack@x.se": (False, True, False, False),  # FSG's union rep only
    "fack2@x.se": (True, False, False, True),  # LSG's union rep
    "anna@x.se": (False, False, False, False),  # an employee
}


def test_access_matrix_of_bodies_meetings_protocols_and_changes(cweb: Web) -> None:
    o, engine = cweb.org, cweb.engine
    lsg = meetings.create_meeting(engine, o.actor("m1@x.se"), "LSG-U1", date(2027, 2, 3))
    item = meetings.add_item(engine, o.actor("m1@x.se"), lsg, "Schema")
    fsg = meetings.create_meeting(engine, o.actor("dir@x.se"), "FSG-ADM", date(2027, 2, 4))
    reg = changes.register(engine, o.actor("hr@x.se"), changes.parse_registration(CHANGE))
    for who, (sees_lsg, sees_fsg, sees_change, may_sign) in MATRIX.items():
        api = cweb.api(who)
        expect = 200 if sees_lsg else 404
        assert api.get("/api/coop/bodies/LSG-U1").status_code == expect, who
        assert api.get(f"/api/coop/meetings/{lsg}").status_code == expect, who
        got = api.get(f"/api/coop/meetings/{lsg}/protocol?format=json").status_code
        assert got == expect, who
        assert api.get(f"/api/coop/meetings/{fsg}").status_code == (200 if sees_fsg else 404), who
        listed = {b["code"] for b in api.get("/api/coop/bodies").json()}
        assert ("LSG-U1" in listed, "FSG-ADM" in listed) == (sees_lsg, sees_fsg), who
        assert api.get(f"/api/changes/{reg.change_id}").status_code == (
            200 if sees_change else 404
        ), who
        mbl = api.post(f"/api/coop/items/{item}/mbl")
        assert mbl.status_code == (201 if may_sign else 403 if sees_lsg else 404), who
    # the item went to MBL (fack2 asked); the chair ends it; only the union rep signs
    end = cweb.api("m1@x.se").post(
        f"/api/coop/items/{item}/mbl/end", json={"result": "agreement", "protocol": "Enighet."}
    )
    assert end.status_code == 204
    for who, (_, _, _, may_sign) in MATRIX.items():
        if not may_sign:
            assert cweb.api(who).post(f"/api/coop/meetings/{lsg}/sign").status_code in (403, 404)
    signed = cweb.api("fack2@x.se").post(f"/api/coop/meetings/{lsg}/sign")
    assert signed.status_code == 200 and len(signed.json()["digest"]) == 64
    pdf = cweb.api("so1@x.se").get(f"/api/coop/meetings/{lsg}/protocol?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Fredrik Facklig" in text and "Justerat" in text


def test_refusals_are_problem_documents_and_routes_are_in_openapi(cweb: Web) -> None:
    api = cweb.api("hr@x.se")
    reg = api.post("/api/changes", json=CHANGE)
    assert reg.status_code == 201
    change = reg.json()["change_id"]
    refused = cweb.api("m1@x.se").post(f"/api/changes/{change}/decide", json={})
    assert refused.status_code == 409
    body = refused.json()
    assert "riskbedömningen är inte gjord" in body["message"]
    english = cweb.api("m1@x.se").post(
        f"/api/changes/{change}/decide", json={}, headers={"Accept-Language": "en"}
    )
    assert "the risk assessment is not done" in english.json()["message"]
    bad = api.post("/api/coop/meetings", json={"body": "LSG-U1", "held_on": "nope"})
    assert bad.status_code == 422
    unknown = api.post(
        "/api/coop/bodies", json={"code": "X", "unit": "U1", "kind": "zz", "name": "X"}
    )
    assert unknown.status_code == 422 and "zz" in unknown.json()["message"]
    imported = api.post(
        "/api/coop/bodies/import?dry_run=true",
        files={"file": ("b.csv", b"organ,enhet,typ,namn\nAPT-U2,U2,apt,APT Enhet 2\n", "text/csv")},
    )
    assert imported.status_code == 200 and imported.json()["applied"] is False
    assert cweb.api("m1@x.se").get("/api/coop/bodies/APT-U2").status_code == 404
    binary = api.post(
        "/api/coop/bodies/import", files={"file": ("b.csv", b"\xff\xfe\x00", "text/csv")}
    )
    assert binary.status_code == 422
    paths = cweb.anonymous().get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/coop/bodies",
        "/api/coop/meetings/{meeting_id}/sign",
        "/api/coop/meetings/{meeting_id}/protocol",
        "/api/coop/items/{item_id}/mbl",
        "/api/coop/plans/{cycle_id}/establish",
        "/api/changes/{change_id}/decide",
    ):
        assert path in paths, path
