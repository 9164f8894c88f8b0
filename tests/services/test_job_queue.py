"""Background jobs wait in a queue: at most so many run at once, overall and per person,
in the order they were asked for; a person with too many waiting is refused (429)."""

from __future__ import annotations

import threading

import pytest

from engine.context import App
from engine.domain.errors import TooManyJobs
from engine.workflow.batch import job_queue, jobs
from tests.factories import build_org


def statuses(app: App, ids: list[int]) -> list[str]:
    return [jobs.get(app, i).status for i in ids]


def test_jobs_run_within_the_limits_and_wait_their_turn(app: App) -> None:
    o = build_org(app)
    director, dep, m1 = o.actor("dir@x.se"), o.actor("dep@x.se"), o.actor("m1@x.se")
    params = {"scope": "subtree", "code": "ADM", "year": 2027, "lang": "sv"}
    order = [director, director, dep, m1, director]
    ids = [jobs.create(app, a, "evidence", params, "thread") for a in order]

    assert job_queue.admit(app, "thread") == [ids[0], ids[2]]  # 2 at once, 1 per person
    assert statuses(app, ids) == ["running", "queued", "running", "queued", "queued"]
    assert [jobs.get(app, i).position for i in ids] == [None, 1, None, 2, 3]
    assert job_queue.admit(app, "thread") == []  # full

    jobs.create(app, director, "evidence", params, "thread")  # a third one waiting: allowed
    with pytest.raises(TooManyJobs) as refused:
        jobs.create(app, director, "evidence", params, "thread")
    assert "3 jobs waiting" in refused.value.message("en")
    assert refused.value.message("sv").startswith("du har redan 3 jobb som väntar")

    jobs.finish(app, ids[0], {})
    assert job_queue.admit(app, "thread") == [ids[1]]  # the director's next one
    jobs.finish(app, ids[2], {})
    assert job_queue.admit(app, "thread") == [ids[3]]  # m1, not the director's third
    assert jobs.get(app, ids[4]).position == 1


def test_a_runner_admits_only_its_own_jobs_but_counts_all(app: App) -> None:
    o = build_org(app)
    a, b, c = (o.actor(e) for e in ("dir@x.se", "dep@x.se", "m1@x.se"))
    year = {"year": 2027}
    on_prefect = jobs.create(app, a, "start_year", year, "prefect")
    here = [jobs.create(app, p, "start_year", year, "thread") for p in (b, c)]
    assert job_queue.admit(app, "prefect") == [on_prefect]
    assert job_queue.admit(app, "thread") == [here[0]]  # one place left of two
    assert job_queue.waiting(app, "thread") == 1


def test_two_runners_at_once_never_admit_past_the_limit(app: App) -> None:
    app.settings = app.settings.model_copy(
        update={
            "jobs_max_running": 3,
            "jobs_max_running_per_person": 5,
        }
    )
    o = build_org(app)
    people = [o.actor(e) for e in ("dir@x.se", "dep@x.se", "m1@x.se", "m2@x.se")]
    for p in people:
        for _ in range(3):
            jobs.create(app, p, "start_year", {"year": 2027}, "thread")
    barrier = threading.Barrier(4)
    admitted: list[int] = []

    def admit() -> None:
        barrier.wait()
        admitted.extend(job_queue.admit(app, "thread"))

    threads = [threading.Thread(target=admit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == len(set(admitted)) == 3
