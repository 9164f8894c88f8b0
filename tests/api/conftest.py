"""Fixtures for the web app: the real app (create_app) on a real database, driven over
HTTP in-process with Starlette's TestClient; people signed in with real API tokens or a
real sign-in through the login form."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

with warnings.catch_warnings():
    # Starlette 1.x nudges towards httpx2; the TestClient works the same on httpx 0.28.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from api.app import create_app
from api.launcher import ThreadLauncher
from engine.accounts import signin as accounts
from engine.accounts import tokens
from engine.context import Actor, App
from engine.domain.clock import FrozenClock
from engine.settings import Settings
from tests.factories import Org, build_org

PASSWORD = "ett-långt-lösenord"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Web:
    """The app under test, its organisation, and a client per signed-in person."""

    app: FastAPI
    engine: App
    org: Org
    clock: FrozenClock
    clients: list[TestClient] = field(default_factory=list)

    def api(self, email: str) -> TestClient:
        """A client that calls the API with a fresh token of this person."""
        secret, _ = tokens.create_token(self.engine, Actor.system("test"), email)
        client = self._client()
        client.headers["Authorization"] = f"Bearer {secret}"
        return client

    def browser(self, email: str, password: str = PASSWORD, *, new: bool = True) -> TestClient:
        """A client signed in through the login form (session cookie, CSRF token); ``new``
        sets the password first (which ends the person's other sessions)."""
        if new:
            accounts.set_password(self.engine, Actor.system("test"), email, password)
        client = self._client()
        page = client.get("/login")
        token = CSRF.search(page.text)
        assert token is not None
        reply = client.post(
            "/login",
            data={"csrf_token": token.group(1), "email": email, "password": password},
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text
        return client

    def anonymous(self) -> TestClient:
        return self._client()

    def _client(self) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=True)
        client.__enter__()
        self.clients.append(client)
        return client

    @property
    def launcher(self) -> ThreadLauncher:
        launcher = self.app.state.launcher
        assert isinstance(launcher, ThreadLauncher)
        return launcher

    @property
    def documents(self) -> ThreadLauncher:
        """The thread that lays out evidence packages made in the background."""
        launcher = self.app.state.document_launcher
        assert isinstance(launcher, ThreadLauncher)
        return launcher


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def make_web(url: str, clock: FrozenClock, *, start: bool = True, **settings: object) -> Web:
    app = create_app(Settings(database_url=url, **settings), clock)  # type: ignore[arg-type]
    engine: App = app.state.engine
    # argon2 as used in production, with small parameters so tests sign in quickly
    engine.cache["password_hasher"] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    org = build_org(engine)
    if start:
        org.start()
    return Web(app, engine, org, clock)


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(sqlite_url, clock)
    yield w
    _close(w)


@pytest.fixture
def web_any(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    """The web app on SQLite and on PostgreSQL."""
    w = make_web(db_url, clock)
    yield w
    _close(w)


@pytest.fixture
def hweb(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    """The web app over a year with history (tests/evidence/scenario.py)."""
    w = history_web(sqlite_url, clock)
    yield w
    _close(w)


@pytest.fixture
def hweb_any(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    """The same on SQLite and on PostgreSQL."""
    w = history_web(db_url, clock)
    yield w
    _close(w)


def history_web(url: str, clock: FrozenClock) -> Web:
    from tests.evidence.scenario import year_with_history

    w = make_web(url, clock, start=False)
    year_with_history(w.engine, clock)
    return w


def _close(w: Web) -> None:
    if isinstance(w.app.state.document_launcher, ThreadLauncher):
        w.documents.join(60)
    if isinstance(w.app.state.launcher, ThreadLauncher):
        w.launcher.join(30)
    for client in w.clients:
        client.__exit__(None, None, None)
    w.engine.db.dispose()
