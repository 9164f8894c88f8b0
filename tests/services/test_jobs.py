import pytest

from engine.context import App
from engine.domain.errors import InvalidInput, NotPermitted
from engine.workflow.batch import jobs
from tests.factories import build_org


def test_start_year_job_records_progress_and_result(app: App) -> None:
    o = build_org(app, u2_manager=None)
    job_id = jobs.create(app, o.actor("hr@x.se"), "start_year", {"year": 2027}, "thread")
    assert jobs.get(app, job_id).status == "queued"
    view = jobs.run(app, job_id, batch_size=1)
    assert (view.status, view.percent) == ("done", 100)
    assert view.result is not None and view.result["started"] == 3
    u2 = o.units["U2"]
    assert view.result["gaps"] == [
        {"unit_id": u2, "code": "U2", "name": "Enhet 2", "missing": ["manager"]}
    ]
    again = jobs.run(app, job_id)  # retried: nothing new
    assert again.result is not None and again.result["started"] == 0


def test_failed_job_keeps_the_reason(app: App) -> None:
    o = build_org(app)
    job_id = jobs.create(app, o.actor("m1@x.se"), "start_year", {"year": 2027}, "thread")
    with pytest.raises(NotPermitted):
        jobs.run(app, job_id)
    view = jobs.get(app, job_id)
    assert view.status == "failed" and view.error and "HR" in view.error
    with pytest.raises(InvalidInput):
        jobs.create(app, o.actor("hr@x.se"), "reboot", {}, "thread")
