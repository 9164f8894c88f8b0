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
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from engine.db.models import AuditEvent
from engine.db.models_notify import Notification
from engine.domain.clock import FrozenClock
from engine.services import jobs, notify, sweeps
from engine.services.context import App
from engine.services.mailer import SmtpMailer
from tests.conftest import START
from tests.factories import build_org
from tests.flows.conftest import LoopbackController, Mailbox
from tests.flows.helpers import build_units

ROOT = Path(__file__).resolve().parents[2]
EVERYONE = ["dep@x.se", "dir@x.se", "hso@x.se", "m1@x.se", "m2@x.se", "so1@x.se", "so2@x.se"]
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
def test_a_killed_job_is_failed_by_the_sweep_with_a_reason(app: App, clock: FrozenClock) -> None:
    app.settings = replace(app.settings, job_stale_seconds=60)
    o = build_units(app, 10)
    job_id = jobs.create(app, o.actor("hr@x.se"), "start_year", {"year": 2027}, "thread")
    proc = spawn("job", app.settings.database_url, START.isoformat(), job_id)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "paused"
        first = jobs.get(app, job_id)
        assert first.status == "running" and 0 < first.done < first.total
        assert first.heartbeat_at is not None
        # the process lives: its heartbeat moves on although no progress is reported
        wait_for(
            lambda: (jobs.get(app, job_id).heartbeat_at or START) > first.heartbeat_at,
            "a heartbeat",
        )
    finally:
        kill(proc)
    beat = jobs.get(app, job_id).heartbeat_at
    assert beat is not None

    clock.set(beat + timedelta(seconds=30))  # not yet stale: a slow job is not failed
    assert sweeps.sweep(app).jobs_failed == []
    assert jobs.get(app, job_id).status == "running"

    clock.set(beat + timedelta(seconds=61))
    assert sweeps.sweep(app).jobs_failed == [job_id]
    job = jobs.get(app, job_id)
    assert job.status == "failed" and job.finished_at == clock.now()
    assert job.reason("en") == "stopped: the process ended unexpectedly; start it again"
    assert job.reason("sv") == "avbröts: processen upphörde oväntat; starta det igen"
    assert 0 < job.done < job.total  # how far it came stays visible
    with app.read() as s:
        event = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "job.failed", AuditEvent.subject_id == str(job_id)
            )
        ).one()
    assert "process ended unexpectedly" in event.data
    assert sweeps.sweep(app).jobs_failed == []  # once

    # started again, it finishes what the killed run left (the work is idempotent)
    again = jobs.run(app, job_id)
    assert again.status == "done" and again.result is not None
    assert again.result["started"] + again.result["already_running"] == 12


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
    app.settings = replace(app.settings, outbox_stale_seconds=60, base_url="https://sam.example.se")
    build_org(app).start()
    proc = spawn("notify", app.settings.database_url, START.isoformat(), holding.port)
    try:
        wait_for(lambda: holding.holding, "the notifier to reach m1's mail")
    finally:
        kill(proc)
        holding.released = True
    with app.read() as s:
        stuck = list(s.scalars(select(Notification).where(Notification.status == "sending")))
    assert stuck and {n.email for n in stuck} == {""} and all(n.message_id for n in stuck)
    before = len(holding.to("m1@x.se"))
    assert before == (1 if holding.accept else 0)
    holding.hold = None

    clock.set(START + timedelta(seconds=30))  # a notifier this recent may still be sending
    early = notify.send_pending(app, SmtpMailer("127.0.0.1", holding.port))
    assert early.requeued == 0 and len(holding.to("m1@x.se")) == before
    with app.read() as s:
        assert {n.id for n in s.scalars(select(Notification).filter_by(status="sending"))} == {
            n.id for n in stuck
        }

    clock.set(START + timedelta(seconds=120))
    report = notify.send_pending(app, SmtpMailer("127.0.0.1", holding.port))
    assert report.requeued == len(stuck) and report.failed is None and report.mails == 1
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
