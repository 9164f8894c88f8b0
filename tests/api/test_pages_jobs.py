"""The job pages render for every kind of job in every state (issue 8: ``GET /jobs/2`` for
an evidence job answered 500, ``UndefinedError 'started'``)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.workflow.batch import jobs
from tests.api.conftest import Web

PARAMS: dict[str, dict[str, Any]] = {
    "start_year": {"year": 2027, "template": None, "root": None},
    "evidence": {"scope": "subtree", "code": "ADM", "year": 2027, "lang": "sv"},
    "org_import": {"units": 3000, "people_rows": 4000, "files": ["units.csv", "people.csv"]},
    "plan_import": {"cycle_id": 1, "file": "plan.csv", "items": 3, "measures": 4},
}
RESULTS: dict[str, dict[str, Any]] = {
    "start_year": {"year": 2027, "template": "sam-annual", "started": 3, "already_running": 1,
                   "gaps": [{"code": "U9", "name": "Enhet 9", "missing": ["manager"]}]},
    "evidence": {"filename": "underlag.pdf", "size": 12_000, "digest": "ab" * 32, "units": 4},
    "org_import": {"changes": 5, "units_created": 3, "units_updated": 1, "people_created": 1,
                   "people_updated": 0, "roles_added": 0, "roles_updated": 0, "roles_ended": 0},
    "plan_import": {"cycle_id": 1, "items": 3, "measures": 4, "status_changes": 3},
}  # fmt: skip
#: Where each kind's page is (``/jobs/N`` sends the others there).
PAGES = {
    "start_year": "/jobs/{}",
    "evidence": "/evidence/jobs/{}",
    "org_import": "/org/import/jobs/{}",
    "plan_import": "/jobs/{}",
}
LABELS = {"queued": "Väntar på att starta", "running": "", "done": "Klart", "failed": "gick inte"}


def _job(web: Web, kind: str, state: str) -> int:
    app = web.engine
    hr = web.org.actor("hr@x.se")
    # runner "prefect": the web app's own thread launcher leaves such a job alone, so each
    # stays in the state the test puts it in (a queued "thread" job would be run at once)
    job_id = jobs.create(app, hr, kind, PARAMS[kind], "prefect")
    if state in ("running", "done", "failed"):
        jobs.begin(app, job_id)
    if state == "done":
        jobs.finish(app, job_id, RESULTS[kind])
    if state == "failed":
        jobs.fail(app, job_id, "the disk was full")
    return job_id


@pytest.mark.parametrize("state", ["queued", "running", "done", "failed"])
@pytest.mark.parametrize("kind", jobs.KINDS)
def test_every_job_page_renders(web: Web, kind: str, state: str) -> None:
    job_id = _job(web, kind, state)
    client = web.browser("hr@x.se")
    for url in {f"/jobs/{job_id}", PAGES[kind].format(job_id)}:
        page = client.get(url)
        assert page.status_code == 200, (url, page.text[-500:])
        assert LABELS[state] in page.text
        if state == "failed":
            assert "the disk was full" in page.text
        if state == "done" and kind == "evidence":
            assert f"/evidence/jobs/{job_id}/file" in page.text
        if state == "done" and kind == "start_year":
            assert "Enhet 9 (U9)" in page.text
        if state == "done" and kind == "plan_import":
            assert "Import av handlingsplan" in page.text and 'href="/cycles/1"' in page.text
    for other, page_url in PAGES.items():  # another kind's page does not show this job
        if other != kind and page_url != "/jobs/{}":
            assert client.get(page_url.format(job_id)).status_code == 404
