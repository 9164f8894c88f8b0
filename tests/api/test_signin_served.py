"""Signing in against the real server: uvicorn on 127.0.0.1, configured as `samflow serve`
configures it (``server_config``), driven by threads over HTTP. The password checks are
counted by a real argon2 hasher."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from cli.admin import server_config
from engine.accounts import signin as accounts
from engine.context import Actor
from engine.settings import Settings
from tests.api.conftest import PASSWORD, Web
from tests.services.test_throttle import counting

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def served(web: Web, settings: Settings) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = server_config(web.app, settings, "127.0.0.1", port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # the server's start, not the app's (frozen) clock
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _form(client: httpx.Client) -> str:
    found = CSRF.search(client.get("/login").text)
    assert found is not None
    return found.group(1)


def _sign_in(
    client: httpx.Client, password: str = "fel", headers: dict[str, str] | None = None
) -> httpx.Response:
    data = {"csrf_token": _form(client), "email": "m1@x.se", "password": password}
    return client.post("/login", data=data, headers=headers or {})


def test_forty_parallel_wrong_tries_over_http_cost_five_checks(web_any: Web) -> None:
    """Reproducer: 40 parallel wrong tries gave 9 password checks instead of 5."""
    hasher = counting(web_any.engine, memory_cost=8192)
    accounts.set_password(web_any.engine, Actor.system("test"), "m1@x.se", PASSWORD)
    settings = web_any.engine.settings
    replies: list[httpx.Response] = []
    with served(web_any, settings) as url:
        clients = [httpx.Client(base_url=url, timeout=30) for _ in range(40)]
        token = _form(clients[0])  # one sign-in form, its cookie copied to every client
        for c in clients[1:]:
            c.cookies.update(clients[0].cookies)
        start = threading.Barrier(40)

        def guess(client: httpx.Client) -> None:
            start.wait()
            data = {"csrf_token": token, "email": "m1@x.se", "password": "fel"}
            replies.append(client.post("/login", data=data))

        threads = [threading.Thread(target=guess, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for c in clients:
            c.close()
    assert hasher.checks == 5
    assert sorted(r.status_code for r in replies) == [401] * 5 + [429] * 35
    refused = next(r for r in replies if r.status_code == 429)
    assert int(refused.headers["retry-after"]) == 15 * 60
    assert "försök igen om 15 minuter" in refused.text


def test_a_spoofed_forwarded_for_gets_no_fresh_tries(web: Web) -> None:
    """Reproducer: uvicorn believed X-Forwarded-For from anyone on loopback, so each made-up
    address got five fresh tries. By default no proxy is trusted."""
    accounts.set_password(web.engine, Actor.system("test"), "m1@x.se", PASSWORD)
    with served(web, web.engine.settings) as url, httpx.Client(base_url=url) as client:
        for i in range(5):
            spoof = {"X-Forwarded-For": f"198.51.100.{i}", "X-Forwarded-Proto": "https"}
            reply = _sign_in(client, headers=spoof)
            assert reply.status_code == 401
            assert "strict-transport-security" not in reply.headers  # nor is TLS believed
        refused = _sign_in(client, PASSWORD, {"X-Forwarded-For": "198.51.100.99"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 900


def test_a_trusted_proxy_names_the_client_by_its_own_hop(web: Web) -> None:
    accounts.set_password(web.engine, Actor.system("test"), "m1@x.se", PASSWORD)
    settings = web.engine.settings.model_copy(
        update={
            "trusted_proxies": "127.0.0.1, 10.0.0.0/8",
        }
    )
    via_proxy = {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"}
    with served(web, settings) as url, httpx.Client(base_url=url) as client:
        for _ in range(5):
            reply = _sign_in(client, headers=via_proxy)
            assert reply.status_code == 401
        assert reply.headers["strict-transport-security"] == "max-age=31536000"
        assert _sign_in(client, headers=via_proxy).status_code == 429
        # a client that makes up a first hop is still named by the hop the proxy added
        prepended = {"X-Forwarded-For": "203.0.113.7, 198.51.100.1, 10.1.2.3"}
        assert _sign_in(client, PASSWORD, prepended).status_code == 429
        other = _sign_in(client, PASSWORD, {"X-Forwarded-For": "198.51.100.2"})
    assert other.status_code == 303  # another client behind the proxy is not locked out


def test_serve_refuses_a_proxy_setting_it_cannot_read(
    web: Web, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    monkeypatch.setenv("SAMFLOW_TRUSTED_PROXIES", "127.0.0.1, proxy.example")
    assert main(["--db", web.engine.settings.database_url, "serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "SAMFLOW_TRUSTED_PROXIES" in err and "'proxy.example'" in err


def test_the_deploy_files_start_the_web_app_through_samflow_serve() -> None:
    """`samflow serve` passes the trusted proxies to uvicorn; a bare `uvicorn` would trust
    X-Forwarded-For from loopback by its own default."""
    deploy = Path(__file__).resolve().parents[2] / "deploy"
    texts = {p.name: p.read_text() for p in deploy.rglob("*") if p.is_file()}
    assert not [name for name, text in texts.items() if "uvicorn " in text]
    assert '"samflow", "serve"' in texts["compose.yaml"] and '"serve"' in texts["Dockerfile"]
    assert "samflow serve" in texts["samflow-web@.service"]
    assert "SAMFLOW_TRUSTED_PROXIES=\n" in texts["env.example"]
