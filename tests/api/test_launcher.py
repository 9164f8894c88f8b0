"""Choosing who runs long work: SAMFLOW_RUNNER picks a launcher by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api import launcher
from api.app import create_app
from engine.context import App
from engine.domain.clock import FrozenClock
from engine.domain.errors import InvalidInput
from engine.settings import Settings
from tests.api.conftest import Web


class Recording:
    """A launcher that only notes what it was given (the protocol is the extension point)."""

    name = "recording"

    def __init__(self, app: App) -> None:
        self.app = app
        self.jobs: list[int] = []

    def submit(self, job_id: int) -> str | None:
        self.jobs.append(job_id)
        return f"run-{job_id}"


def test_thread_is_the_default(web: Web) -> None:
    assert isinstance(web.app.state.launcher, launcher.ThreadLauncher)
    assert web.app.state.launcher.name == "thread"


def test_a_runner_is_picked_by_name(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(launcher.LAUNCHERS, "recording", Recording)
    app = create_app(
        Settings(database_url=sqlite_url), FrozenClock(datetime(2027, 1, 10, tzinfo=UTC))
    )
    assert isinstance(launcher.launcher_for(app.state.engine, " Recording"), Recording)
    app.state.engine.db.dispose()


def test_an_unknown_runner_is_refused_by_name(sqlite_url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        create_app(Settings(database_url=sqlite_url, runner="celery"))
    assert (
        "thread" in caught.value.message("en") and caught.value.errors[0].path == "SAMFLOW_RUNNER"
    )


def test_prefect_runner_gives_the_prefect_launcher(sqlite_url: str) -> None:
    app = create_app(Settings(database_url=sqlite_url, runner="prefect"))
    assert app.state.launcher.name == "prefect"
    app.state.engine.db.dispose()


def test_the_job_records_the_launchers_name_and_reference(web: Web) -> None:
    recording = Recording(web.engine)
    web.app.state.launcher = recording
    reply = web.api("hr@x.se").post("/api/jobs/start-year", json={"year": 2028})
    assert reply.status_code == 202 and reply.json()["runner"] == "recording"
    job_id = reply.json()["id"]
    assert recording.jobs == [job_id]
    from engine.workflow.batch import jobs

    assert jobs.get(web.engine, job_id).external_ref == f"run-{job_id}"
    assert jobs.get(web.engine, job_id).status == "queued"  # the recording launcher ran nothing
