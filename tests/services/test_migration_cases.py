"""Migration 0012 moves inspections into the tables of process cases and back, keeping
their ids (audit events name ``inspection:<id>``), on both databases."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.db.migrate import downgrade, upgrade
from engine.db.session import normalise_url
from engine.domain.clock import FrozenClock
from engine.inspections import cases as inspections
from engine.workflow.tasks import active_person
from tests.conftest import PG_URL, make_app
from tests.evidence.test_inspections import ANSWER, YAML
from tests.factories import build_org


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def fresh_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A database of its own (this test migrates it up and down)."""
    if request.param == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "m.db")
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    if PG_URL is None:
        pytest.skip("PostgreSQL not configured (SAMFLOW_TEST_PG_URL)")
    name = f"samflow_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(PG_URL).rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


CASES = "SELECT id, kind, unit_id, cycle_id, reference, opened_on, deadline, data FROM process_case"


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql + " ORDER BY id"))]
    engine.dispose()
    return rows


def test_inspections_survive_the_move_both_ways(fresh_url: str, clock: FrozenClock) -> None:
    app = make_app(fresh_url, clock)
    o = build_org(app)
    first = inspections.register(
        app, o.actor("hr@x.se"), inspections.read_registration("i.yaml", YAML.encode())
    )
    for email in ("m1@x.se", "m2@x.se", "dep@x.se"):
        o.complete(email, "requirement_reply", ANSWER)
    inspections.draft_reply(app, o.actor("dep@x.se"), first.inspection_id)
    app.db.dispose()
    before = [
        _rows(fresh_url, CASES),
        _rows(fresh_url, "SELECT * FROM case_item"),
        _rows(fresh_url, "SELECT * FROM case_item_task"),
    ]
    downgrade(fresh_url, "0007")
    (insp,) = _rows(fresh_url, "SELECT id, reference, inspector, reply_digest FROM inspection")
    assert insp[:3] == (first.inspection_id, "2027/001234", "Eva Inspektör") and insp[3]
    assert len(_rows(fresh_url, "SELECT id FROM requirement_task")) == 3
    upgrade(fresh_url)
    after = [
        _rows(fresh_url, CASES),
        _rows(fresh_url, "SELECT * FROM case_item"),
        _rows(fresh_url, "SELECT * FROM case_item_task"),
    ]
    assert after == before
    app = make_app(fresh_url, clock)
    (summary,) = inspections.list_inspections(app, active_person(app, "dir@x.se"))
    assert summary.status == "drafted" and summary.done == 3
    again = inspections.register(
        app,
        active_person(app, "hr@x.se"),
        inspections.read_registration("i.yaml", YAML.replace("2027/001234", "2027/2").encode()),
    )
    assert again.inspection_id > first.inspection_id  # the ids go on where they were
    app.db.dispose()
