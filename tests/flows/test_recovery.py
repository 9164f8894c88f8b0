"""Stuck work and lost mail: a job or a notifier killed with SIGKILL mid-way (real
processes, a real SMTP server on loopback, both databases), then the sweep or the next
notifier recovers: the job is failed with a reason, the mail goes out under its Message-ID.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from engine.context import App
from engine.db.models import AuditEvent
from engine.db.models.workflow.notify import Notification
from engine.domain.clock import FrozenClock
from engine.notify import notices as notify
from engine.notify.mailer import SmtpMailer
from engine.workflow import sweeps
from engine.workflow.batch import jobs
from tests.conftest import START
from tests.factories import build_org
from tests.flows.conftest import LoopbackController, Mailbox
from tests.flows.helpers import build_units

ROOT = Path(__file__).resolve().parents[2]
# Whoever the year start gives a task: the managers (the manager leads the safety round since
# sam-annual v2; the safety representatives have none until the approvals) and, for the unit
# without a manager, the manager above and the director.
EVERYONE = ["dep@x.se", "dir@x.se", "m1@x.se", "m2@x.se"]
MESSAGE_ID = re.compile(r"<notification-\d+\.[0-9a-f]{16}@sam\.example\.se>")


def spawn(*args: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.flows.killable", *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_for(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(10) == -signal.SIGKILL
    assert proc.stdout is not None
    proc.stdout.close()


# --- a job whose process died ---------------------------------------------------------------
def start_job(app: App) -> tuple[int, subprocess.Popen[str]]:
    """A start of the year in a process of its own, paused after its first batch."""
    o = build_units(app, 10)
    job_id = jobs.create(app, o.actor("hr@x.se"), "start_year", {"year": 2027}, "thread")
    proc = spawn("job", app.settings.database_url, START.isoformat(), job_id)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "paused"
    job = jobs.get(app, job_id)
    assert job.status == "running" and 0 < job.done < job.total
    return job_id, proc


def job_failures(app: App, job_id: int) -> list[str]:
    with app.read() as s:
        return list(
            s.scalars(
                select(AuditEvent.data).where(
                    AuditEvent.action == "job.failed", AuditEvent.subject_id == str(job_id)
                )
            )
        )


def test_a_killed_job_is_failed_by_the_sweep_with_a_reason(app: App, clock: FrozenClock) -> None:
    job_id, proc = start_job(app)
    kill(proc)
    # SAMFLOW_JOB_STALE_SECONDS (300) after its last sign of life, the sweep fails it
    clock.set(START + timedelta(minutes=10))
    sweeps.sweep(app)
    job = jobs.get(app, job_id)
    assert job.status == "failed" and job.finished_at == clock.now()
    assert job.error == "stopped: the process ended unexpectedly; start it again"
    assert job.reason("sv") == "avbröts: processen upphörde oväntat; starta det igen"
    assert 0 < job.done < job.total  # how far it came stays visible
    [event] = job_failures(app, job_id)
    assert "process ended unexpectedly" in event
    sweeps.sweep(app)
    assert len(job_failures(app, job_id)) == 1  # once

    # started again, it finishes what the killed run left (the work is idempotent)
    again = jobs.run(app, job_id)
    assert again.status == "done" and again.result is not None
    assert again.result["started"] + again.result["already_running"] == 12


def test_a_live_job_beats_and_is_left_alone(app: App, clock: FrozenClock) -> None:
    job_id, proc = start_job(app)
    try:
        first = jobs.get(app, job_id).heartbeat_at
        assert first is not None
        # no progress is reported while it pauses, but its heartbeat moves on (every 1 s)
        wait_for(lambda: (jobs.get(app, job_id).heartbeat_at or START) > first, "a heartbeat")
        beat = jobs.get(app, job_id).heartbeat_at
        assert beat is not None
        clock.set(beat + timedelta(seconds=app.settings.job_stale_seconds - 10))
        assert sweeps.sweep(app).jobs_failed == []
        assert jobs.get(app, job_id).status == "running"
    finally:
        kill(proc)


# --- a notifier killed while sending --------------------------------------------------------
class HoldingMailbox(Mailbox):
    """Holds the mail to ``hold`` open (no reply to DATA) until ``released``; with
    ``accept`` it has already kept the message, as a server that stored it would."""

    def __init__(self, hold: str, accept: bool) -> None:
        super().__init__()
        self.hold: str | None = hold
        self.accept = accept
        self.holding = False
        self.released = False

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.hold not in envelope.rcpt_tos:
            return await super().handle_DATA(server, session, envelope)
        if self.accept:
            await super().handle_DATA(server, session, envelope)
        self.holding = True
        while not self.released:
            await asyncio.sleep(0.02)
        return "451 4.3.0 gone"


@pytest.fixture
def holding(request: pytest.FixtureRequest, app: App) -> Iterator[HoldingMailbox]:
    """A loopback SMTP server holding m1's mail (``accept``: after keeping it)."""
    box = HoldingMailbox("m1@x.se", accept=request.param)
    controller = LoopbackController(box, hostname="127.0.0.1", port=0)
    controller.start()
    box.port = controller.port
    yield box
    box.released = True
    controller.stop()


def by_message_id(box: Mailbox) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for rcpt, msg in box.messages:
        out[str(msg["Message-ID"])] += rcpt
    return out


@pytest.mark.parametrize(
    "holding",
    [False, True],
    ids=["killed-before-the-server-took-it", "killed-after"],
    indirect=True,
)
def test_mail_of_a_killed_notifier_goes_out_once_per_message_id(
    app: App, clock: FrozenClock, holding: HoldingMailbox
) -> None:
    app.settings = app.settings.model_copy(
        update={
            "base_url": "https://sam.example.se",
        }
    )
    build_org(app).start()
    proc = spawn("notify", app.settings.database_url, START.isoformat(), holding.port)
    try:
        wait_for(lambda: holding.holding, "the notifier to reach m1's mail")
    finally:
        kill(proc)
        holding.released = True
    with app.read() as s:
        stuck = list(s.scalars(select(Notification).where(Notification.status == "sending")))
    assert stuck and {n.email for n in stuck} == {""}
    before = len(holding.to("m1@x.se"))
    assert before == (1 if holding.accept else 0)
    holding.hold = None

    clock.set(START + timedelta(minutes=1))  # a notifier this recent may still be sending
    notify.send_pending(app, SmtpMailer("127.0.0.1", holding.port))
    assert len(holding.to("m1@x.se")) == before
    with app.read() as s:
        assert {n.id for n in s.scalars(select(Notification).filter_by(status="sending"))} == {
            n.id for n in stuck
        }

    clock.set(START + timedelta(minutes=11))  # SAMFLOW_OUTBOX_STALE_SECONDS (600) later
    report = notify.send_pending(app, SmtpMailer("127.0.0.1", holding.port))
    assert report.failed is None and report.mails == 1
    with app.read() as s:
        assert set(s.scalars(select(Notification.status))) == {"sent"}
    mails = by_message_id(holding)
    assert all(MESSAGE_ID.fullmatch(mid) for mid in mails), list(mails)
    # one Message-ID per person's mail; a receiver that drops duplicates gets each once
    assert sorted(r for rcpts in mails.values() for r in set(rcpts)) == EVERYONE
    [m1_id] = [mid for mid, rcpts in mails.items() if "m1@x.se" in rcpts]
    assert mails[m1_id] == ["m1@x.se"] * (2 if holding.accept else 1)
    assert {n.message_id for n in stuck} == {m1_id}
    assert notify.send_pending(app, SmtpMailer("127.0.0.1", holding.port)).mails == 0
