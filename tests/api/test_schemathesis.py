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

from engine.context import Actor
from engine.domain.clock import FrozenClock
from engine.evidence import package as evidence
from engine.inspections import cases as inspections
from forms.exports.evidence_docs import evidence_html
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
    inspection = {"unit": "DEP", "inspected_on": "2027-01-05", "reply_by": "2027-03-01"}
    reg = inspections.parse_registration({**inspection, "requirements": [{"text": "Krav"}]})
    inspections.register(web.engine, web.org.actor("dir@x.se"), reg)
    yield web
    web.launcher.join(30)
    web.documents.join(120)
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
    # signing out everywhere revokes the token every operation uses: last, then
    operations.sort(key=lambda op: op.path.endswith("/sign-out-everywhere"))
    for operation in operations:
        try:
            _run(operation, mode, auth)
        except BaseException as exc:  # every operation's failures, reported together
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


def _run(
    operation: Any,
    mode: GenerationMode,
    auth: dict[str, str],
    real: dict[str, Any] | None = None,
    package: bytes = b"",
    examples: int = EXAMPLES,
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        if real is not None:
            _made_real(case, real, package)
        case.call_and_validate(headers=auth, checks=CHECKS)

    check()


# --- the document routes with real units and ids -------------------------------------------
DOCUMENT_PATHS = ("/api/evidence", "/api/inspections", "/api/audit", "/api/reports", "plan-import")
REAL = {"code": "U1", "unit": "U1", "root": "DEP", "inspection_id": 1, "cycle_id": 0}
PLAN = "Område;Åtgärd;Ansvarig;Klart senast\nBuller;Absorbenter;enhetschef;2027-10-01\n".encode()


def test_document_routes_with_real_units(st_web: Web, api_schema: Any) -> None:
    """Random requests rarely name a unit that exists: here the codes and ids are swapped
    for real ones (and uploads for real files), so packages, reports, replies and plan
    imports are made and validated against the schema too (as the director, who may also
    change plans)."""
    auth = {"Authorization": str(st_web.api("dir@x.se").headers["Authorization"])}
    real = {**REAL, "cycle_id": st_web.org.cycle_of("U2")}
    scope = evidence.Scope("unit", "U1", 2027)
    package = evidence_html(evidence.build(st_web.engine, Actor.system("t"), scope).document())
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if not any(p in operation.path for p in DOCUMENT_PATHS):
            continue
        try:
            _run(operation, GenerationMode.POSITIVE, auth, real, package.encode(), examples=15)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


def _made_real(case: Any, real: dict[str, Any], package: bytes) -> None:
    for part in (case.path_parameters, case.query):
        for key in list(part or {}):
            if key in real:
                part[key] = real[key]
    if isinstance(case.body, dict):
        if "code" in case.body:
            case.body["code"] = "U1"
        if "file" in case.body:
            case.body["file"] = PLAN if "plan-import" in case.path else package


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
