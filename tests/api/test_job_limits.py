"""Evidence jobs from the web app are queued with limits (10 at once were +470 MB, 157 s):
the thread launcher starts only what the queue admits; too many waiting is a 429."""

from __future__ import annotations

import pytest

from engine.workflow.batch import jobs
from tests.api.conftest import Web

BODY = {"code": "U1", "year": 2027, "scope": "unit", "lang": "sv"}


@pytest.mark.slow  # real PDF jobs in real threads (~3-7 s each here)
def test_evidence_jobs_wait_in_a_queue_and_too_many_are_refused(hweb: Web) -> None:
    engine = hweb.engine  # defaults: 2 running at once, 1 per person, 3 waiting per person
    hr = hweb.api("hr@x.se")
    ids = []
    for _ in range(4):
        got = hr.post("/api/evidence/jobs", json=BODY)
        assert got.status_code == 202, got.text
        ids.append(got.json()["id"])
    first, *waiting = (hr.get(f"/api/jobs/{i}").json() for i in ids)
    assert first["status"] in ("running", "done")  # one of HR's at a time
    assert [(j["status"], j.get("position")) for j in waiting] == [
        ("queued", 1),
        ("queued", 2),
        ("queued", 3),
    ]
    refused = hr.post("/api/evidence/jobs", json=BODY)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert "jobb som väntar" in refused.json()["message"]
    page = hweb.browser("hr@x.se").get(f"/evidence/jobs/{ids[2]}")
    assert "Väntar på att starta (plats 2 i kön)" in page.text

    director = hweb.api("dir@x.se")  # another person: the second place
    other = director.post("/api/evidence/jobs", json=BODY).json()["id"]
    assert director.get(f"/api/jobs/{other}").json()["status"] in ("running", "done")
    for i in ids[2:]:  # keep the test short: one more of HR's runs after the first
        jobs.fail(engine, i, "withdrawn")
    hweb.documents.join(120)
    for i in [*ids[:2], other]:
        job = hr.get(f"/api/jobs/{i}").json()
        assert job["status"] == "done" and job["position"] is None, job
