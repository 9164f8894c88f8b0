"""The organisation, substitutes, import, starting the year and the overview over the API."""

from __future__ import annotations

from tests.api.conftest import Web
from tests.factories import people_csv, units_csv


def test_units_in_scope(web: Web) -> None:
    o = web.org
    top = web.api("m1@x.se").get("/api/org/units").json()
    assert [u["code"] for u in top["children"]] == ["U1"] and top["unit"] is None
    unit = web.api("m1@x.se").get(f"/api/org/units/{o.units['U1']}").json()
    assert unit["unit"]["managers"] == ["Maja Chef"]
    assert {h["role"] for h in unit["holders"]} == {"manager", "safety_rep"}
    assert unit["cycles"][0]["year"] == 2027
    assert web.api("m1@x.se").get(f"/api/org/units/{o.units['U2']}").status_code == 404
    dep = web.api("dep@x.se").get(f"/api/org/units/{o.units['DEP']}").json()
    assert [u["code"] for u in dep["children"]] == ["U1", "U2"]
    assert dep["path"] == []  # ADM is above what the department manager sees
    hr = web.api("hr@x.se").get("/api/org/units").json()
    assert [u["code"] for u in hr["children"]] == ["ADM"]
    assert web.api("hr@x.se").get("/api/org/units/99999").status_code == 404


def test_substitutes_set_listed_and_ended(web: Web) -> None:
    me = web.api("m1@x.se")
    body = {
        "person_email": "so1@x.se",
        "for_email": "m1@x.se",
        "valid_from": "2027-01-10",
        "valid_to": "2027-02-10",
    }
    created = me.post("/api/org/substitutes", json=body)
    assert created.status_code == 201
    rows = me.get("/api/org/substitutes").json()
    assert [(r["person_email"], r["for_email"]) for r in rows] == [("so1@x.se", "m1@x.se")]
    # the substitute now sees and may act on the manager's tasks
    items = web.api("so1@x.se").get("/api/inbox").json()["items"]
    assert {"employee_survey", "safety_round"} <= {i["key"] for i in items}
    assert web.api("m2@x.se").get("/api/org/substitutes").json() == []
    assert (  # someone else's substitution, outside one's rights: as if there were none
        web.api("m2@x.se").delete(f"/api/org/substitutes/{created.json()['detail']}").status_code
        == 404
    )
    backwards = me.post("/api/org/substitutes", json={**body, "valid_to": "2027-01-01"})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["path"] == "valid_to"
    others = me.post("/api/org/substitutes", json={**body, "for_email": "m2@x.se"})
    assert others.status_code == 403
    assert me.delete(f"/api/org/substitutes/{created.json()['detail']}").status_code == 200
    assert me.get("/api/org/substitutes").json() == []
    assert me.delete("/api/org/substitutes/9999").status_code == 404


def test_import_previews_then_applies(web: Web) -> None:
    hr = web.api("hr@x.se")
    body = {
        "units_csv": units_csv() + "U3,Enhet 3,DEP,unit,12\n",
        "people_csv": people_csv(extra=("m3@x.se,Mia Chef,manager,U3,2020-01-01,",)),
    }
    preview = hr.post("/api/org/import", json=body).json()
    assert preview["applied"] is False and preview["units_created"] == ["U3"]
    assert preview["people_created"] == ["m3@x.se"] and preview["changes"] == 3
    assert hr.get("/api/org/units").json()["children"][0]["children"] == 1  # nothing changed
    applied = hr.post("/api/org/import", json={**body, "dry_run": False}).json()
    assert applied["applied"] is True
    bad = hr.post("/api/org/import", json={**body, "units_csv": "code,name\nX,\n"})
    assert bad.status_code == 422 and bad.json()["errors"]
    assert web.api("m1@x.se").post("/api/org/import", json=body).status_code == 403


def test_start_year_runs_as_a_job_with_progress(web: Web) -> None:
    hr = web.api("hr@x.se")
    reply = hr.post("/api/jobs/start-year", json={"year": 2028})
    assert reply.status_code == 202
    job = reply.json()
    assert job["runner"] == "thread" and job["kind"] == "start_year"
    web.launcher.join(30)
    done = hr.get(f"/api/jobs/{job['id']}").json()
    assert done["status"] == "done" and done["percent"] == 100
    assert done["result"]["started"] == 4
    assert web.api("m1@x.se").get(f"/api/jobs/{job['id']}").status_code == 404
    assert web.api("dir@x.se").get(f"/api/jobs/{job['id']}").status_code == 200


def test_start_year_is_checked_before_any_job(web: Web) -> None:
    assert web.api("m1@x.se").post("/api/jobs/start-year", json={"year": 2028}).status_code == 403
    hr = web.api("hr@x.se")
    assert hr.post("/api/jobs/start-year", json={"year": 1999}).status_code == 422
    unknown = hr.post("/api/jobs/start-year", json={"year": 2028, "root": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "root"
    assert hr.post("/api/jobs/start-year", json={"year": 2028, "template": "x"}).status_code == 422
    assert hr.get("/api/jobs/99999").status_code == 404
    scoped = web.api("hr@x.se").post("/api/jobs/start-year", json={"year": 2028, "root": "U1"})
    assert scoped.status_code == 202


def test_overview_per_department(web: Web) -> None:
    body = web.api("hr@x.se").get("/api/overview", params={"year": 2027}).json()
    names = [r["name"] for r in body["rows"]]
    assert names == ["Förvaltningen", "Avdelningen"]
    dep = body["rows"][1]
    assert dep["units"] == 3 and dep["cycles"] == 3 and dep["stages"] == {"survey": 3}
    assert dep["managers"] == 3 and dep["span_median"] == 30
    assert body["total"]["units"] == 4 and body["total"]["open_tasks"] == 12
    assert [s["key"] for s in body["stages"]][-2:] == ["completed", "not_started"]
    mine = web.api("m1@x.se").get("/api/overview", params={"year": 2027}).json()
    assert [r["name"] for r in mine["rows"]] == ["Enhet 1"]
    assert web.api("hr@x.se").get("/api/overview", params={"year": 1800}).status_code == 422
    hidden = web.api("m1@x.se").get(
        "/api/overview", params={"year": 2027, "root": web.org.units["U2"]}
    )
    assert hidden.status_code == 404


def test_people_are_found_by_name_or_email(web: Web) -> None:
    client = web.api("m1@x.se")
    found = client.get("/api/org/people", params={"q": "skyddsombud"}).json()
    assert {p["email"] for p in found} == {"so1@x.se"}  # a unit manager: their own unit
    found = web.api("hr@x.se").get("/api/org/people", params={"q": "skyddsombud"}).json()
    assert {p["email"] for p in found} == {"so1@x.se", "so2@x.se", "hso@x.se"}
    assert (
        client.get("/api/org/people", params={"q": "SO1@"}).json()[0]["name"] == "Sven Skyddsombud"
    )
    assert client.get("/api/org/people", params={"q": "x"}).status_code == 422
