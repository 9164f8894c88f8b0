"""Property-based testing of the JSON API against its own OpenAPI schema (schemathesis):
random valid and invalid requests to every operation, as HR (who sees the most) on a real
organisation with a cycle under way. No request may make the server fail (5xx), and every
reply must have a documented status, content type and shape.

Bounded: a few dozen examples per operation, a couple of minutes in all.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.domain.clock import FrozenClock
from tests.api.conftest import Web, make_web
from tests.conftest import START
from tests.factories import drive_to

EXAMPLES = 60


@pytest.fixture(scope="module")
def st_web(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Web]:
    path = tmp_path_factory.mktemp("schemathesis") / "samflow.db"
    shutil.copy(sqlite_template, path)
    web = make_web(f"sqlite:///{path}", FrozenClock(START))
    drive_to(web.org, web.org.cycle_of("U1"), "follow_up")
    yield web
    web.launcher.join(30)
    web.engine.db.dispose()


@pytest.fixture(scope="module")
def api_schema(st_web: Web) -> Any:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", st_web.app)
    return schema


@pytest.fixture(scope="module")
def auth(st_web: Web) -> dict[str, str]:
    client = st_web.api("hr@x.se")
    return {"Authorization": str(client.headers["Authorization"])}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_fails(api_schema: Any, auth: dict[str, str], mode: GenerationMode) -> None:
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        try:
            _run(operation, mode, auth)
        except BaseException as exc:  # every operation's failures, reported together
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


def _run(operation: Any, mode: GenerationMode, auth: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        case.call_and_validate(headers=auth, checks=CHECKS)

    check()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
