"""Signing in through the OpenID Connect provider in headless Chromium, on a phone-sized
window: samflow's sign-in page, the provider's form, back to the inbox."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
import uvicorn

from engine.domain.clock import FrozenClock
from tests.api.conftest import _close
from tests.api.test_oidc import oidc_web
from tests.browser.conftest import ARTIFACTS
from tests.oidc_provider import Provider, running


@pytest.mark.browser
def test_the_redirect_dance_in_chromium(sqlite_url: str, clock: FrozenClock, browser: Any) -> None:
    with running() as idp:
        idp.now = lambda: clock.now().timestamp()
        dance(sqlite_url, clock, idp, browser)


def dance(sqlite_url: str, clock: FrozenClock, idp: Provider, browser: Any) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    idp.redirect_uris.add(f"{url}/login/oidc/callback")
    web = oidc_web(sqlite_url, clock, idp, base=url)
    server = uvicorn.Server(uvicorn.Config(web.app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        page = browser.new_page(viewport={"width": 390, "height": 800}, locale="sv-SE")
        page.set_default_timeout(10_000)
        page.goto(f"{url}/login")
        page.get_by_role("link", name="Logga in med organisationens konto").click()
        page.wait_for_url(f"{idp.url}/authorize?**")
        page.get_by_label("Username").fill("m1@x.se")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{url}/home")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "oidc-signed-in-390.png"), full_page=True)
        assert page.get_by_role("button", name="Logga ut").is_visible()  # signed in
        page.close()
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        _close(web)
