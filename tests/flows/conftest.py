"""Fixtures for the flows: Prefect's test harness (started once per session, only for the
tests that ask for it), a real SMTP server on loopback, and the flows' runtime.

Prefect reads its settings when first imported, so its home and the offline switches are
set here, before any test module imports ``prefect``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from engine.context import App
from flows import runtime

_HOME = tempfile.mkdtemp(prefix="samflow-prefect-home-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ["PREFECT_HOME"] = _HOME
for _name, _value in {
    **runtime.PREFECT_ENV,
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
}.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server (its own SQLite database); ~20 s to start, so once."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def rt(app: App) -> Iterator[runtime.Runtime]:
    """The flows run in this process against the test's database and frozen clock."""
    with runtime.using(runtime.Runtime(app, retry_delays=[0.0, 0.0, 0.0])) as r:
        yield r


# --- a real SMTP server on 127.0.0.1 ------------------------------------------------------
class Mailbox:
    """Collects what the server accepted; refuses the addresses in ``refuse`` (550)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()
        self.port = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]

    def recipients(self) -> list[str]:
        return sorted(r for rcpt, _ in self.messages for r in rcpt)


class LoopbackController(Controller):
    """aiosmtpd's Controller on a port the OS picks (port 0)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _check_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"sam", b"hemligt")
    return AuthResult(success=ok)


@pytest.fixture(params=["open"])
def mailbox(request: pytest.FixtureRequest, app: App) -> Iterator[Mailbox]:
    """A loopback SMTP server; parametrize with "login" for one that wants AUTH LOGIN/PLAIN
    (user ``sam``, password ``hemligt``; no TLS here, so allowed without it)."""
    box = Mailbox()
    auth: dict[str, Any] = {}
    if request.param == "login":
        auth = {"authenticator": _check_login, "auth_required": True, "auth_require_tls": False}
    controller = LoopbackController(box, hostname="127.0.0.1", port=0, **auth)
    controller.start()
    box.port = controller.port
    app.settings = app.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": controller.port,
            "smtp_from": "samflow <samflow@sam.example.se>",
            "base_url": "https://sam.example.se",
        }
    )
    yield box
    controller.stop()
