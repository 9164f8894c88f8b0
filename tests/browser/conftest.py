"""Browser tests: the real app served by uvicorn on 127.0.0.1 (a free port) in a thread,
driven by Playwright in Debian's headless Chromium (/usr/bin/chromium)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from engine.domain.clock import FrozenClock
from tests.api.conftest import Web, history_web, make_web

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class Served:
    web: Web
    url: str


@pytest.fixture
def served(sqlite_url: str, clock: FrozenClock) -> Iterator[Served]:
    with serve(make_web(sqlite_url, clock)) as s:
        yield s


@pytest.fixture
def served_history(sqlite_url: str, clock: FrozenClock) -> Iterator[Served]:
    """The app over a year with history (tests/evidence/scenario.py)."""
    with serve(history_web(sqlite_url, clock)) as s:
        yield s


@contextmanager
def serve(web: Web) -> Iterator[Served]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web.app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # startup, not the app's clock: the app's time stays frozen
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Served(web, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        web.launcher.join(10)
        web.documents.join(60)
        web.engine.db.dispose()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (tests/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()
