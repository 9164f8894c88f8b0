"""The flows for real, under Prefect's test harness (one temporary server per session).

Few tests, because each flow run costs about a second: the annual start (twice, and with a
batch that fails after committing and is retried), two sweeps at once on PostgreSQL, and
the mail flows against a real SMTP server.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.types.entrypoint import EntrypointType
from sqlalchemy import select

from api.prefect_launcher import PrefectLauncher
from engine.context import App
from engine.db.models import AuditEvent, Cycle, Task
from engine.domain.clock import FrozenClock
from engine.domain.errors import Conflict
from engine.workflow.batch import jobs
from flows import runtime
from flows.annual import start_annual_cycles
from flows.sweep import sweep, weekly_digest
from tests.flows.conftest import Mailbox
from tests.flows.helpers import build_units, calendar_of

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def started_per_unit(app: App) -> Counter[int]:
    with app.read() as s:
        return Counter(s.scalars(select(Cycle.unit_id).where(Cycle.status != "cancelled")))


def test_annual_flow_starts_every_unit_once_even_when_run_twice(
    app: App, rt: runtime.Runtime
) -> None:
    o = build_units(app, 7)
    job = jobs.create(app, o.actor("hr@x.se"), "start_year", {"year": 2027}, "prefect")
    first = start_annual_cycles(job_id=job, batch_size=3)
    assert first["started"] == 9 and first["batches"] == 3 and first["failed_batches"] == []
    view = jobs.get(app, job)
    assert (view.status, view.done, view.total, view.percent) == ("done", 9, 9, 100)
    assert view.result is not None and view.result["started"] == 9 and view.external_ref
    again = start_annual_cycles(year=2027, batch_size=3)
    assert again["started"] == 0 and again["already_running"] == 9
    assert set(started_per_unit(app).values()) == {1} and len(started_per_unit(app)) == 9


def test_a_batch_that_fails_after_committing_is_retried_without_duplicates(
    app: App, rt: runtime.Runtime
) -> None:
    build_units(app, 7)
    attempts: Counter[int] = Counter()

    def lose_the_worker(number: int, units: Sequence[int]) -> None:
        attempts[number] += 1
        if number == 2 and attempts[number] == 1:
            raise ConnectionError("worker lost after the batch committed")

    rt.after_batch = lose_the_worker
    result = start_annual_cycles(year=2027, batch_size=3)
    assert attempts == {1: 1, 2: 2, 3: 1}
    assert result["started"] == 9 and result["failed_batches"] == []
    assert set(started_per_unit(app).values()) == {1} and len(started_per_unit(app)) == 9
    with app.read() as s:
        per_cycle = Counter(
            s.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "cycle.started"))
        )
    assert len(per_cycle) == 9 and set(per_cycle.values()) == {1}


def test_a_batch_failing_every_attempt_is_reported_and_a_rerun_finishes(
    app: App, rt: runtime.Runtime
) -> None:
    o = build_units(app, 4)
    job = jobs.create(app, o.actor("hr@x.se"), "start_year", {"year": 2027}, "prefect")

    attempts: Counter[int] = Counter()

    def broken(number: int, units: Sequence[int]) -> None:
        attempts[number] += 1
        if number == 1:
            raise ConnectionError("database went away")

    rt.before_batch = broken
    with pytest.raises(RuntimeError, match="batches failed"):
        start_annual_cycles(job_id=job, batch_size=3)
    assert attempts == {1: 4, 2: 1}  # three retries
    view = jobs.get(app, job)
    assert view.status == "failed" and view.result is not None
    assert view.result["started"] == 3
    error = "ConnectionError: database went away"
    assert view.result["failed_batches"] == [{"batch": 1, "error": error}]
    rt.before_batch = None
    assert start_annual_cycles(year=2027, batch_size=3)["started"] == 3  # the rest
    assert set(started_per_unit(app).values()) == {1} and len(started_per_unit(app)) == 6


@pytest.mark.pg
@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_two_sweeps_at_once_take_each_step_once(
    app: App, clock: FrozenClock, rt: runtime.Runtime
) -> None:
    units = 300
    o = build_units(app, units)
    cycles = o.start().started
    n = len(cycles)  # every unit and the two above: three open tasks each
    rounds = [  # when, what, how many tasks are due for a step then
        (datetime(2027, 3, 2, 8, tzinfo=UTC), "task.reminded", n),  # survey due in 14 days
        (datetime(2027, 3, 17, 8, tzinfo=UTC), "task.escalated", n),  # survey overdue
        (datetime(2027, 4, 2, 8, tzinfo=UTC), "task.escalated", 3 * n),  # + the other two
    ]
    for at, action, due in rounds:
        clock.set(at)
        rt.before_sweep = threading.Barrier(2).wait  # both sweeps begin at the same instant
        with ThreadPoolExecutor(2) as pool:
            runs = [r["sweep"]["checked"] for r in pool.map(one_sweep, range(2))]
        assert sum(runs) == due and min(runs) > 0, runs  # each due task looked at once
        taken = steps_taken(app, action)
        assert set(taken.values()) == {1}, "a step was taken twice"
    assert len(steps_taken(app, "task.reminded")) == n
    assert len(steps_taken(app, "task.escalated")) == 4 * n  # survey twice, two tasks once
    with app.read() as s:
        levels = Counter(s.scalars(select(Task.escalation_level)))
    assert levels == {2: n, 1: 2 * n}


def one_sweep(_: int) -> dict[str, Any]:
    result: dict[str, Any] = sweep(batch=7, mail=False)
    return result


def steps_taken(app: App, action: str) -> Counter[tuple[str, int]]:
    with app.read() as s:
        rows = s.execute(
            select(AuditEvent.subject_id, AuditEvent.data).where(AuditEvent.action == action)
        )
        return Counter(
            (subject, json.loads(data).get("level", json.loads(data).get("reminder")))
            for subject, data in rows
        )


def test_mail_flows_send_each_notification_once(
    app: App, rt: runtime.Runtime, mailbox: Mailbox
) -> None:
    build_units(app, 2)
    start_annual_cycles(year=2027)
    first = sweep()
    assert first["sweep"]["checked"] == 0 and first["mail"]["mails"] == 4
    assert len(mailbox.to("m1@x.se")) == 1 and len(mailbox.to("m2@x.se")) == 1
    assert sweep()["mail"]["mails"] == 0  # a rerun mails nothing
    digest = weekly_digest()["digest"]
    assert digest["mails"] == 4 and weekly_digest()["digest"]["mails"] == 0
    assert len(mailbox.messages) == 8  # 4 new-task mails, 4 digests
    [week] = [m for m in mailbox.to("m1@x.se") if m["Subject"].startswith("Vecko")]
    assert len(calendar_of(week)) == 3


def test_the_web_app_starts_the_year_through_a_deployment(app: App, rt: runtime.Runtime) -> None:
    from prefect import get_client
    from prefect.client.schemas.objects import StateType

    o = build_units(app, 1)
    deployment = start_annual_cycles.to_deployment(
        "annual", entrypoint_type=EntrypointType.MODULE_PATH
    )
    deployment.apply()
    job = jobs.create(app, o.actor("hr@x.se"), "start_year", {"year": 2027}, "prefect")
    run_id = PrefectLauncher().submit(job)
    assert run_id is not None
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(run_id))
    assert run.parameters == {"job_id": job}
    assert run.state is not None and run.state.type == StateType.SCHEDULED
    assert PrefectLauncher.name == "prefect"


def test_sweep_anchors_the_audit_log_and_fails_on_a_shortened_one(
    app: App, rt: runtime.Runtime, tmp_path: Path
) -> None:
    from engine.audit import checkpoint as audit_checkpoint
    from tests.tampering import newest_event_removed

    audit_checkpoint.keygen(tmp_path / "audit.key")
    app.settings = app.settings.model_copy(
        update={
            "audit_key_file": str(tmp_path / "audit.key"),
            "audit_checkpoint_dir": str(tmp_path / "cp"),
        }
    )
    build_units(app, 2)
    start_annual_cycles(year=2027)
    assert sweep(mail=False)["audit"] == {"checkpoint": 1, "written": True}
    newest_event_removed(app, "org")
    with pytest.raises(Conflict, match="events removed"):
        sweep(mail=False)
