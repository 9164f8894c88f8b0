"""The Core-only read path (``engine.db.core`` tables, ``engine.db.reads``, the CLI's inbox)
agrees with the ORM models and with the engine's own inbox, and the driver-level unit of
work (``engine.db.unit``) behaves as a transaction."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from datetime import date

import pytest
from sqlalchemy import func, select

from cli.main import main
from engine.context import App, Tx
from engine.db import core, queries
from engine.db.models import Base, Substitute, Task
from engine.domain.workflow.template import parse_template
from engine.domain.workflow.titles import titles
from engine.rounds import rounds as safety_rounds
from engine.workflow import templates
from tests.factories import build_org

SURVEY = {
    "survey_name": "HME",
    "invited": 20,
    "answered": 15,
    "motivation": 75,
    "leadership": 70,
    "governance": 65,
}


def test_core_tables_match_the_models() -> None:
    for t in core.ALL:
        model = Base.metadata.tables[t.name]
        for c in t.c:
            assert c.name in model.c, f"{t.name}.{c.name} is not in the model"
            assert type(c.type) is type(model.c[c.name].type) or isinstance(
                model.c[c.name].type, type(c.type)
            ), f"{t.name}.{c.name}: {c.type!r} vs {model.c[c.name].type!r}"


def test_titles_read_alone_match_the_validated_template() -> None:
    for key, text in templates.packaged().items():
        full, light = parse_template(text, key), titles(text)
        assert set(light.stages) == {s.key for s in full.stages}
        for s in full.stages:
            assert (light.stage(s.key).title.sv, light.stage(s.key).title.en) == (
                s.title.sv,
                s.title.en,
            )
            for t in s.tasks:
                assert light.task(t.key).title == type(light.task(t.key).title)(
                    t.title.sv, t.title.en
                )


def test_cli_inbox_on_core_lists_what_the_engine_inbox_lists(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = build_org(sqlite_app)
    org.start()
    # the safety representative's task: their part in a safety round the manager leads
    plan = {"unit": "U1", "checklist": "general", "planned_on": "2027-01-20"}
    safety_rounds.plan(sqlite_app, org.actor("m1@x.se"), plan)
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", str(sqlite_app.settings.database_url))
    for email in ("m1@x.se", "so1@x.se", "dep@x.se"):
        expected = org.inbox(email)
        assert expected
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["inbox", email]) == 0
        lines = out.getvalue().splitlines()
        assert lines[0].startswith(f"{len(expected)} open")
        listed = [int(line.split()[0]) for line in lines[3:]]
        assert listed == [i.task_id for i in expected]
        for item in expected:
            assert any(item.title_en in line for line in lines[3:]), item.title_en


def test_cli_inbox_refuses_an_inactive_or_unknown_person(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_org(sqlite_app)
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", str(sqlite_app.settings.database_url))
    assert main(["inbox", "nobody@x.se"]) != 0


def test_unit_of_work_rolls_back_everything_on_error(app: App) -> None:
    org = build_org(app)
    org.start()
    task_id = org.task("m1@x.se", "employee_survey").task_id

    class Boom(Exception):
        pass

    def work(tx: Tx) -> None:
        ref = queries.load_task(tx.unit, task_id)
        queries.update_task(tx.unit, ref, status="cancelled")
        tx.session.add(
            Substitute(
                person_id=1,
                for_person_id=2,
                valid_from=date(2027, 1, 1),
                valid_to=date(2027, 2, 1),
                created_at=tx.now,
            )
        )
        tx.session.flush()  # the lazy ORM session writes in the same transaction
        raise Boom()

    with pytest.raises(Boom):
        app.run(work)
    with app.read() as s:
        assert s.scalar(select(Task.status).where(Task.id == task_id)) == "open"
        assert s.scalar(select(func.count()).select_from(Substitute)) == 0
    # the (kept) connection works after the failure, and a completion commits
    result = org.complete("m1@x.se", "employee_survey", SURVEY)
    assert result.status == "completed"
    with app.read() as s:
        assert s.scalar(select(Task.status).where(Task.id == task_id)) == "completed"
