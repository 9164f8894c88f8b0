"""The work behind the annual flow as plain functions, without Prefect (both databases)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.context import App
from engine.domain.errors import NotPermitted
from engine.workflow import cycles
from engine.workflow.batch import jobs
from flows import runtime, work
from tests.factories import build_org


def test_a_failing_batch_is_reported_and_the_others_start(app: App) -> None:
    o = build_org(app)
    req = work.request_for(app, 2027, None, None, None)
    seen: list[tuple[int, int]] = []

    def run_batch(number: int, text: str, units: list[int]) -> cycles.BatchResult:
        if number == 2:
            raise OSError("connection reset")
        return cycles.start_batch(app, req.actor, req.year, text, units)

    outcome = work.start_in_batches(
        app, req, batch_size=1, run_batch=run_batch, progress=lambda d, t: seen.append((d, t))
    )
    summary = outcome.summary()
    assert summary["started"] == 3 and summary["batches"] == 4
    assert summary["failed_batches"] == [{"batch": 2, "error": "OSError: connection reset"}]
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert len(o.start().started) == 1  # the unit of the failed batch is still to start


def test_a_refusal_stops_at_once(app: App) -> None:
    o = build_org(app)
    job = jobs.create(app, o.actor("m1@x.se"), "start_year", {"year": 2027}, "prefect")
    req = work.request_for(app, None, None, None, job)
    assert req.actor == o.actor("m1@x.se") and jobs.get(app, job).status == "running"
    calls = []

    def run_batch(number: int, text: str, units: list[int]) -> cycles.BatchResult:
        calls.append(number)
        return cycles.start_batch(app, req.actor, req.year, text, units)

    with pytest.raises(NotPermitted):
        work.start_in_batches(
            app, req, batch_size=1, run_batch=run_batch, progress=lambda d, t: None
        )
    assert calls == [1]


def test_a_schedule_starts_this_year_as_the_system(app: App) -> None:
    req = work.request_for(app, None, None, None, None)
    assert req.year == 2027 and req.actor.is_system


def test_a_crashed_or_cancelled_run_fails_its_job(app: App, rt: runtime.Runtime) -> None:
    from flows.annual import job_stopped

    o = build_org(app)
    job = jobs.create(app, o.actor("hr@x.se"), "start_year", {"year": 2027}, "prefect")
    run = SimpleNamespace(parameters={"job_id": job})
    job_stopped(None, run, SimpleNamespace(name="Crashed", message="worker lost"))
    view = jobs.get(app, job)
    assert view.status == "failed" and view.error == "the flow run was crashed: worker lost"
    job_stopped(None, SimpleNamespace(parameters={}), SimpleNamespace(name="Cancelled", message=""))
