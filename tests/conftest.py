"""Test fixtures: real databases (SQLite and PostgreSQL), a frozen clock, factories.

Service tests take the ``app`` fixture, which runs every test twice: on a SQLite file and on
PostgreSQL (``SAMFLOW_TEST_PG_URL``, started by ``tests/run``). Schemas are migrated once
per session with Alembic; each test gets a copy (SQLite) or emptied tables (PostgreSQL).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.context import App
from engine.db.all_models import Base
from engine.db.migrate import upgrade
from engine.db.session import Database, normalise_url
from engine.domain.clock import FrozenClock
from engine.settings import Settings

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

PG_URL = os.environ.get("SAMFLOW_TEST_PG_URL")
REQUIRE_PG = os.environ.get("SAMFLOW_REQUIRE_PG") == "1"
START = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL is None and REQUIRE_PG:
        raise pytest.UsageError("SAMFLOW_REQUIRE_PG=1 but SAMFLOW_TEST_PG_URL is not set")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    if PG_URL is None:
        pytest.skip("PostgreSQL not configured (SAMFLOW_TEST_PG_URL); tests/run sets it")
    name = f"samflow_test_{_worker()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(PG_URL).rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "samflow.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    _truncate_all(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "samflow.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


def make_app(url: str, clock: FrozenClock) -> App:
    return App(Database.connect(url), clock, Settings(database_url=url))


@pytest.fixture
def app(db_url: str, clock: FrozenClock) -> Iterator[App]:
    application = make_app(db_url, clock)
    yield application
    application.db.dispose()


@pytest.fixture
def sqlite_app(sqlite_url: str, clock: FrozenClock) -> Iterator[App]:
    application = make_app(sqlite_url, clock)
    yield application
    application.db.dispose()
