"""Long work on Prefect, not in the web process (issue 15, part 3).

With ``SAMFLOW_RUNNER=prefect`` every kind of job a person starts in the web app (the
year's start, an evidence package, a large organisation import, a large plan import) is a
run of a Prefect deployment: the request only creates the run (``timeout=0``) and the web
process does none of the work. A worker then executes that very flow run: here ``work_off``
does what a worker does (read the run, load its deployment's entrypoint, run the flow with
the run's parameters) in this process, against the test's database and clock. The job the
person follows must then read exactly as when the embedded thread launcher did the work,
and a restart of the web process between request and work must lose nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.app import create_app
from api.launcher import ThreadLauncher
from api.prefect_launcher import PrefectLauncher
from engine.domain.clock import FrozenClock
from engine.settings import Settings
from engine.workflow.batch import jobs
from flows import runtime
from tests.api.conftest import Web, _close, make_web
from tests.evidence.test_plan_import import PLAN
from tests.factories import people_csv, units_csv

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness", "deployed")]

#: Small thresholds so a small file takes the job path, as a region's would.
SETTINGS: dict[str, Any] = {"org_import_job_rows": 3, "plan_import_job_rows": 2}
#: What a job shows a person, beyond the ids, times and who ran it.
SHOWN = ("kind", "status", "done", "total", "percent", "message", "result", "error")

#: The organisation's files with five new units and their managers (nothing ends).
MORE_UNITS = units_csv() + "".join(f"N{i},Ny enhet {i},DEP,unit,8\n" for i in range(1, 6))
MORE_PEOPLE = people_csv() + "".join(
    f"n{i}@x.se,Ny Chef {i},manager,N{i},2026-01-01,\n" for i in range(1, 6)
)


@pytest.fixture(scope="module")
def deployed(prefect_harness: None) -> None:
    """The deployments the web app runs, registered on the harness's server."""
    from prefect.types.entrypoint import EntrypointType

    from flows.annual import start_annual_cycles
    from flows.jobs import run_job

    by_module = EntrypointType.MODULE_PATH
    start_annual_cycles.to_deployment("annual", entrypoint_type=by_module).apply()
    run_job.to_deployment("jobs", entrypoint_type=by_module).apply()


def all_runs() -> dict[str, Any]:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return {str(r.id): r for r in client.read_flow_runs(limit=200)}


def runs_since(seen: dict[str, Any], job_id: int) -> list[Any]:
    """The flow runs created for a job since ``seen`` (each test's database counts jobs
    from 1, so older runs may carry the same job id)."""
    return [
        r
        for k, r in all_runs().items()
        if k not in seen and (r.parameters or {}).get("job_id") == job_id
    ]


def work_off(web: Web, run_id: str) -> tuple[Any, str]:
    """Be the worker: execute the scheduled flow run ``run_id`` as its deployment says;
    returns the run as Prefect then holds it and the deployment's "flow/name"."""
    from prefect import get_client
    from prefect.flow_engine import run_flow
    from prefect.utilities.importtools import import_object

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(run_id))
        assert run.deployment_id is not None
        deployment = client.read_deployment(run.deployment_id)
    assert deployment.entrypoint is not None
    flow = import_object(deployment.entrypoint)
    with runtime.using(runtime.Runtime(web.engine, retry_delays=[0.0])):
        run_flow(flow, flow_run=run, parameters=run.parameters)
    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(run_id)), f"{flow.name}/{deployment.name}"


def start_year(web: Web) -> int:
    got = web.api("hr@x.se").post("/api/jobs/start-year", json={"year": 2027})
    assert got.status_code == 202, got.text
    return int(got.json()["id"])


def evidence(web: Web) -> int:
    body = {"code": "U1", "year": 2027, "scope": "unit", "lang": "sv"}
    got = web.api("hr@x.se").post("/api/evidence/jobs", json=body)
    assert got.status_code == 202, got.text
    return int(got.json()["id"])


def org_import(web: Web) -> int:
    body = {"units_csv": MORE_UNITS, "people_csv": MORE_PEOPLE, "dry_run": False}
    got = web.api("hr@x.se").post("/api/org/import", json=body)
    assert got.status_code == 202, got.text
    return int(got.json()["id"])


def plan_import(web: Web) -> int:
    cycle = web.org.cycle_of("U1")
    got = web.api("m1@x.se").post(
        f"/api/cycles/{cycle}/plan-import", files={"file": ("plan.csv", PLAN.encode())}
    )
    assert got.status_code == 202, got.text
    return int(got.json()["id"])


#: kind -> (ask for it through the door, whether the organisation's year must be started)
DOORS: dict[str, tuple[Callable[[Web], int], bool]] = {
    "start_year": (start_year, False),
    "evidence": (evidence, True),
    "org_import": (org_import, True),
    "plan_import": (plan_import, True),
}


@pytest.fixture
def webs(sqlite_url: str, tmp_path: Any, clock: FrozenClock) -> Iterator[Callable[..., Web]]:
    made: list[Web] = []

    def make(runner: str, started: bool) -> Web:
        path = tmp_path / f"{runner}-{len(made)}.db"
        path.write_bytes(Path(sqlite_url.removeprefix("sqlite:///")).read_bytes())
        w = make_web(f"sqlite:///{path}", clock, start=started, runner=runner, **SETTINGS)
        made.append(w)
        return w

    yield make
    for w in made:
        _close(w)


def shown(web: Web, job_id: int, who: str) -> dict[str, Any]:
    got = web.api(who).get(f"/api/jobs/{job_id}")
    assert got.status_code == 200, got.text
    return {k: got.json()[k] for k in SHOWN}


def page(web: Web, job_id: int, who: str) -> str:
    """The job's page as the person reads it (its main part, the job's number blanked)."""
    got = web.browser(who).get(f"/jobs/{job_id}")  # other kinds redirect to their own page
    assert got.status_code == 200, got.text
    main = re.search(r"<main.*</main>", got.text, re.S)
    assert main is not None
    return main.group(0).replace(f"/{job_id}", "/N").replace(f"#{job_id}", "#N")


def same_result(got: dict[str, Any] | None, expected: dict[str, Any] | None) -> bool:
    """Every figure the thread launcher records, the same (a Prefect run adds its batches)."""
    assert got is not None and expected is not None
    return all(got.get(k) == v for k, v in expected.items() if k not in ("digest",))


@pytest.mark.parametrize("kind", list(DOORS))
def test_each_kind_of_job_runs_as_a_deployment_and_reads_as_with_threads(
    kind: str, webs: Callable[..., Web]
) -> None:
    door, started = DOORS[kind]
    who = "m1@x.se" if kind == "plan_import" else "hr@x.se"
    # the embedded default: a thread of the web server does the work
    threads = webs("thread", started)
    assert isinstance(threads.app.state.launcher, ThreadLauncher)
    by_thread = door(threads)
    threads.launcher.join(120)
    expected = shown(threads, by_thread, who)
    assert expected["status"] == "done" and expected["kind"] == kind, expected
    # on Prefect: the request creates one flow run and the web process does nothing more
    prefect = webs("prefect", started)
    assert isinstance(prefect.app.state.launcher, PrefectLauncher)
    seen = all_runs()
    job_id = door(prefect)
    before = shown(prefect, job_id, who)
    assert before["status"] == "running" and before["result"] is None  # admitted, not done
    [run] = runs_since(seen, job_id)  # one flow run for the job, never one per unit or row
    defaults = Settings()
    expected_deployment = (
        defaults.annual_deployment if kind == "start_year" else defaults.jobs_deployment
    )
    view = jobs.get(prefect.engine, job_id)
    assert view.runner == "prefect" and view.external_ref == str(run.id)
    finished, deployment = work_off(prefect, str(run.id))
    assert finished.state.is_completed(), finished.state
    assert deployment == expected_deployment
    got = shown(prefect, job_id, who)
    assert same_result(got.pop("result"), expected.pop("result")), (got, expected)
    assert got == expected  # progress, status, message: the same
    assert page(prefect, job_id, who) == page(threads, by_thread, who)
    assert len(runs_since(seen, job_id)) == 1


def test_a_restart_of_the_web_process_loses_no_job(
    webs: Callable[..., Web], clock: FrozenClock
) -> None:
    first = webs("prefect", True)
    seen = all_runs()
    job_id = evidence(first)
    [run] = runs_since(seen, job_id)
    _close(first)  # the web process ends (its lifespan ends, its database pool closes)
    settings = first.engine.settings
    app = create_app(settings, clock)  # a new web process on the same database
    second = Web(app, app.state.engine, first.org, clock)
    try:
        assert shown(second, job_id, "hr@x.se")["status"] == "running"
        finished, _ = work_off(second, str(run.id))
        assert finished.state.is_completed()
        after = shown(second, job_id, "hr@x.se")
        assert after["status"] == "done" and after["result"]["units"] == 1
        pdf = second.api("hr@x.se").get(f"/api/evidence/jobs/{job_id}/file")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    finally:
        _close(second)


def test_a_job_prefect_does_not_take_waits_queued_and_the_person_is_told(
    webs: Callable[..., Web],
) -> None:
    web = webs("prefect", True)
    web.engine.settings = web.engine.settings.model_copy(
        update={"jobs_deployment": "run-job/not-deployed"}
    )
    body = {"code": "U1", "year": 2027, "scope": "unit", "lang": "sv"}
    got = web.api("hr@x.se").post("/api/evidence/jobs", json=body)
    assert got.status_code == 503, got.text
    assert "waits" in got.json()["message"] or "väntar" in got.json()["message"]
    [job] = jobs.recent(web.engine, "evidence")
    assert job.status == "queued" and job.external_ref is None  # in the queue, not lost
