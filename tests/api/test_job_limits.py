"""Evidence jobs from the web app are queued with limits (10 at once were +470 MB, 157 s):
the thread launcher starts only what the queue admits; too many waiting is a 429."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.services import jobs
from tests.api.conftest import Web

BODY = {"code": "U1", "year": 2027, "scope": "unit", "lang": "sv"}


@pytest.mark.slow  # real PDF jobs in real threads (~3-7 s each here)
def test_evidence_jobs_wait_in_a_queue_and_too_many_are_refused(hweb: Web) -> None:
    engine = hweb.engine
    engine.settings = replace(engine.settings, jobs_max_running=0)  # hold everything back
    hr = hweb.api("hr@x.se")
    ids = []
    for _ in range(3):
        got = hr.post("/api/evidence/jobs", json=BODY)
        assert got.status_code == 202, got.text
        ids.append(got.json()["id"])
    assert [hr.get(f"/api/jobs/{i}").json()["position"] for i in ids] == [1, 2, 3]
    refused = hr.post("/api/evidence/jobs", json=BODY)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert "jobb som väntar" in refused.json()["message"]
    page = hweb.browser("hr@x.se").get(f"/evidence/jobs/{ids[1]}")
    assert "Väntar på att starta (plats 2 i kön)" in page.text

    engine.settings = replace(engine.settings, jobs_max_running=2)
    director = hweb.api("dir@x.se")
    other = director.post("/api/evidence/jobs", json=BODY).json()["id"]
    # at most two at once, one of them HR's; whatever has finished meanwhile
    hr_states = [hr.get(f"/api/jobs/{i}").json()["status"] for i in ids]
    assert hr_states.count("running") <= 1 and "queued" in hr_states
    assert director.get(f"/api/jobs/{other}").json()["status"] in ("running", "done")
    waiting = [i for i, st in zip(ids, hr_states, strict=True) if st == "queued"]
    for i in waiting[1:]:  # keep the test short: one more of HR's runs after the first
        jobs.fail(engine, i, "withdrawn")
    hweb.documents.join(120)
    for i in [*ids[:1], waiting[0], other]:
        job = hr.get(f"/api/jobs/{i}").json()
        assert job["status"] == "done" and job["position"] is None, job
