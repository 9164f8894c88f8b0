"""The flows' composition root: the App (database, clock, settings) built from the
environment the first time a flow needs it, once per process.

A Prefect worker or ``serve()`` runs each flow run in a fresh process, which builds its own
App from ``SAMFLOW_*`` settings. Tests (and the embedded demo) hand in a ready App with
``using(...)``. ``before_batch`` and ``after_batch`` are test hooks around each batch of the
annual start: raising in them makes a batch fail before its transaction, or after it has
committed (as a worker lost at the wrong moment would); ``before_sweep`` lets a test start
two sweeps at the same instant.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from engine.context import App
from engine.db import migrate
from engine.notify.mailer import Mailer, SmtpMailer
from engine.settings import Settings

#: Safe defaults for Prefect on a machine without internet (see README, "Flows").
PREFECT_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


@dataclass
class Runtime:
    app: App
    #: Seconds between the attempts of a failed batch (and of a failed sweep or mailing).
    retry_delays: list[float] = field(default_factory=lambda: [2.0, 10.0, 30.0])
    before_batch: Callable[[int, Sequence[int]], None] | None = None
    after_batch: Callable[[int, Sequence[int]], None] | None = None
    before_sweep: Callable[[], None] | None = None

    def mailer(self) -> Mailer | None:
        """A fresh SMTP mailer per run, or None when no SMTP host is configured."""
        return SmtpMailer.from_settings(self.app.settings)


_current: Runtime | None = None
_lock = threading.Lock()


def current() -> Runtime:
    global _current
    with _lock:
        if _current is None:
            _current = build(Settings.from_env())
        return _current


def build(settings: Settings) -> Runtime:
    if not migrate.is_current(settings.database_url):
        raise RuntimeError("the samflow database schema is not up to date; run: samflow db upgrade")
    return Runtime(App.from_settings(settings))


@contextmanager
def using(runtime: Runtime) -> Iterator[Runtime]:
    """Run flows in this process against ``runtime`` (tests, the demo)."""
    global _current
    with _lock:
        before, _current = _current, runtime
    try:
        yield runtime
    finally:
        with _lock:
            _current = before


def prefect_defaults() -> None:
    """Set Prefect's offline-friendly defaults unless the environment says otherwise.
    Call before importing prefect."""
    for name, value in PREFECT_ENV.items():
        os.environ.setdefault(name, value)
