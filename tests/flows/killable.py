"""A notifier or a job in a process of its own, for tests that kill it with SIGKILL.

    python -m tests.flows.killable notify DATABASE_URL START_ISO SMTP_PORT
    python -m tests.flows.killable job DATABASE_URL START_ISO JOB_ID

The clock starts at START_ISO and runs (so heartbeats move). ``job`` pauses after the
first batch it reports (prints ``paused``) so the test can kill it mid-way, as a lost
worker or an OOM kill would; ``notify`` just sends, and the test's SMTP server holds one
mail open until the process is killed.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from typing import Any

from engine.context import App
from engine.db.session import Database
from engine.domain.clock import Clock
from engine.notify import notices as notify
from engine.notify.mailer import SmtpMailer
from engine.settings import Settings
from engine.workflow.batch import jobs


class Running(Clock):
    """Real time, shifted to start at ``start``."""

    def __init__(self, start: datetime) -> None:
        self.start, self.t0 = start, time.perf_counter()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.perf_counter() - self.t0)


def pause_after_first_progress() -> None:
    real = jobs.progress_sink

    def sink(app: App, job_id: int, every: float = 0.5) -> Any:
        report = real(app, job_id, 0.0)

        def pausing(done: int, total: int, what: str) -> None:
            report(done, total, what)
            if done > 0:
                print("paused", flush=True)
                time.sleep(600)

        return pausing

    jobs.progress_sink = sink  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    what, url, start, arg = argv
    # a heartbeat every second (from the environment: unknown names are ignored there)
    settings = Settings.from_env(
        {"SAMFLOW_JOB_HEARTBEAT_SECONDS": "1"},
        database_url=url,
        smtp_host="127.0.0.1",
        smtp_port=int(arg) if what == "notify" else 25,
        smtp_from="samflow <samflow@sam.example.se>",
        base_url="https://sam.example.se",
    )
    app = App(Database.connect(url), Running(datetime.fromisoformat(start)), settings)
    if what == "notify":
        print("sending", flush=True)
        notify.send_pending(app, SmtpMailer("127.0.0.1", int(arg)))
    else:
        pause_after_first_progress()
        jobs.run(app, int(arg), batch_size=2)


if __name__ == "__main__":
    main(sys.argv[1:])
