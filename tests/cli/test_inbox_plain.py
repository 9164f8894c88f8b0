"""``samflow inbox`` on the driver alone (``engine.db.reads.plain``): the SQL it sends is
what SQLAlchemy compiles from the one read model's Core statements (``compiled.json``,
checked against a fresh compilation like the i18n catalogues), the rows and the whole inbox
are the ordinary read model's on SQLite and PostgreSQL, the command answers the same, and
whatever the plain path does not handle is read the ordinary way."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from cli.workflow import tasks as task_commands
from engine.context import Actor, App
from engine.db import reads
from engine.db.reads import plain, statements
from engine.domain.clock import FrozenClock
from engine.domain.workflow.titles import titles
from engine.org import admin
from engine.views import inbox
from engine.workflow import sweeps, tasks
from tests.factories import build_org, drive_to

D = timedelta(days=1)
PEOPLE = ("m1@x.se", "m2@x.se", "dep@x.se", "dina@x.se", "dir@x.se", "so1@x.se", "hr@x.se")


def test_the_kept_sql_is_what_sqlalchemy_compiles_now() -> None:
    kept = plain.COMPILED.read_text("utf-8")
    assert kept == reads.compiled_text(), (
        "engine/db/reads/compiled.json is out of date: run scripts/reads_sql.py update"
    )
    names = {r.name for r in reads.ALL}
    assert names == set(plain.plans("sqlite")) == set(plain.plans("postgresql"))


@pytest.mark.parametrize("dialect", sorted(statements.DIALECTS))
def test_lists_and_parameters_are_filled_in_as_sqlalchemy_does(dialect: str) -> None:
    compiled_for = statements.DIALECTS[dialect]()
    for r in reads.ALL:
        core = statements.ReadCompiled(r.stmt, compiled_for)
        kept = plain.Plan(plain.plans(dialect)[r.name])
        for n in (0, 1, 3):
            values: dict[str, Any] = dict.fromkeys(core.required, 7)
            values.update(day=date(2027, 1, 5), email="a@x.se")
            for name in core.expanding:
                values[name] = [f"r{i}" if name == "roles" else 10 + i for i in range(n)]
            assert kept.statement(values) == core.statement(values), (r.name, n)


def test_columns_are_converted_as_the_column_types_do() -> None:
    dialect = statements.DIALECTS["sqlite"]()
    core = statements.ReadCompiled(statements.INBOX, dialect)
    kept = plain.Plan(plain.plans("sqlite")["INBOX"])
    raw = [None] * len(kept.results)
    raw[kept.make._fields.index("due_at")] = "2027-03-15 07:30:00.250000"
    raw[kept.make._fields.index("created_at")] = "2027-01-01 00:00:00"
    raw[kept.make._fields.index("required")] = 1
    assert kept.row(raw) == core.row(raw)
    assert kept.row(raw).due_at == datetime(2027, 3, 15, 7, 30, 0, 250000, tzinfo=UTC)
    assert kept.row(raw).required is True


def _world(app: App, clock: FrozenClock) -> None:
    """Tasks assigned, routed to roles (with a deputy), stood in for, and escalated."""
    o = build_org(app, extra=("dina@x.se,Dina Ställföreträdare,deputy,U2,2020-01-01,",))
    o.start()
    drive_to(o, o.cycle_of("U1"), "follow_up")
    claimable = [i for i in o.inbox("dina@x.se") if i.may_claim]
    tasks.claim_task(app, o.actor("dina@x.se"), claimable[0].task_id)  # assigned to her
    today = clock.now().date()
    admin.set_substitute(app, Actor.system("test"), "so1@x.se", "m2@x.se", today, today + 400 * D)
    clock.advance(90 * D)
    for _ in range(3):
        sweeps.sweep(app)
        clock.advance(10 * D)


def _plain_conn(url: str) -> plain.Plain:
    conn = plain.open_url(url, busy_seconds=5)
    assert conn is not None, url
    return conn


def _read(conn: Any, email: str, now: datetime, **filters: Any) -> inbox.Inbox:
    parsed: dict[int, Any] = {}

    def template_of(template_id: int) -> Any:
        if template_id not in parsed:
            parsed[template_id] = titles(reads.template_text(conn, template_id)[0])
        return parsed[template_id]

    me, _, _ = reads.person(conn, email)
    return inbox.read(conn, me, now, template_of, **filters)


def test_plain_and_core_read_the_same_inbox(app: App, clock: FrozenClock) -> None:
    _world(app, clock)
    url = str(app.settings.database_url)
    now = clock.now()
    stages = ("follow_up", "survey", "cooperation")
    filters: list[dict[str, Any]] = [{}, {"overdue_only": True}, *({"stage": s} for s in stages)]
    conn = _plain_conn(url)
    try:
        with app.read_core() as core:
            # the live dialect (server version and all) compiles what is kept
            for r in reads.ALL:
                live = statements.ReadCompiled(r.stmt, core.dialect)
                assert conn.plan(r.name).sql == live.compiled.string, r.name
            seen = {"assigned": 0, "role": 0, "escalated": 0, "substitute": 0}
            for email in PEOPLE:
                for f in filters:
                    ordinary = _read(core, email, now, **f)
                    assert asdict(_read(conn, email, now, **f)) == asdict(ordinary), (email, f)
                    for item in ordinary.items:
                        seen[item.why] += 1
            assert all(seen.values()), seen  # every way a task reaches a person was read
    finally:
        conn.close()


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which path read: "plain" or "core" (the ordinary one)."""
    used: list[str] = []
    read_plain, read_core = task_commands._read_plain, task_commands._read_core

    def on_plain(*a: Any, **k: Any) -> Any:
        try:
            found = read_plain(*a, **k)
        except Exception:  # a refusal (an unknown person) answered on the plain path
            used.append("plain")
            raise
        if found is not task_commands._FALL_BACK:
            used.append("plain")
        return found

    def on_core(*a: Any, **k: Any) -> Any:
        used.append("core")
        return read_core(*a, **k)

    monkeypatch.setattr(task_commands, "_read_plain", on_plain)
    monkeypatch.setattr(task_commands, "_read_core", on_core)
    return used


def test_the_command_answers_as_the_ordinary_path(
    app: App, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world(app, clock)
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", str(app.settings.database_url))
    used = _spy(monkeypatch)
    commands = [
        ("inbox", "m1@x.se"),
        ("--lang", "sv", "inbox", "m2@x.se"),
        ("inbox", "dep@x.se", "--overdue"),
        ("--lang", "sv", "inbox", "so1@x.se", "--stage", "follow_up"),
        ("inbox", "nobody@x.se"),  # unknown: one line naming them, exit 3
        ("--lang", "sv", "inbox", "nobody@x.se"),
    ]
    fast = [_run(*c) for c in commands]
    assert used == ["plain"] * len(commands), used
    used.clear()
    monkeypatch.setattr(plain, "open_url", lambda *_a, **_k: None)  # the ordinary path only
    ordinary = [_run(*c) for c in commands]
    assert used == ["core"] * len(commands)
    assert fast == ordinary
    assert fast[0][0] == 0 and "öppen" not in fast[0][1] and "open" in fast[0][1]
    assert "öppna" in fast[1][1] or "öppen" in fast[1][1]
    assert fast[4] == (3, "", "error: person nobody@x.se not found\n"), fast[4]
    assert fast[5][0] == 3 and fast[5][2].startswith("fel: ") and "nobody@x.se" in fast[5][2]


def _sqlite_at(path: Path, revision: str | None) -> str:
    with sqlite3.connect(path) as db:
        if revision is not None:
            db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            db.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    return f"sqlite:///{path}"


@pytest.mark.parametrize(
    "case",
    ["old schema", "no schema", "missing file", "other scheme", "password", "busy text"],
)
def test_what_the_plain_path_does_not_handle_is_read_the_ordinary_way(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = _spy(monkeypatch)
    env: dict[str, str] = {}
    url = {
        "old schema": lambda: _sqlite_at(tmp_path / "old.db", "0001"),
        "no schema": lambda: _sqlite_at(tmp_path / "empty.db", None),
        "missing file": lambda: f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}",
        "other scheme": lambda: f"sqlite+pysqlite:///{tmp_path / 'other.db'}",
        "password": lambda: "postgresql://samflow:change-me@127.0.0.1:1/samflow",
        "busy text": lambda: _sqlite_at(tmp_path / "busy.db", "0001"),
    }[case]()
    if case == "busy text":
        env["SAMFLOW_DB_BUSY_SECONDS"] = "soon"
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code, out, err = _run("--db", url, "inbox", "m1@x.se")
    assert used == ["core"], used
    assert code != 0 and out == "" and "Traceback" not in err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    if case in ("old schema", "no schema", "missing file", "other scheme"):
        assert "samflow db upgrade" in err, err
    if case == "password":
        assert "SAMFLOW_DATABASE_URL" in err, err  # the placeholder password is refused
    if case == "busy text":
        assert "SAMFLOW_DB_BUSY_SECONDS" in err, err


def test_a_database_error_on_the_plain_path_is_read_the_ordinary_way(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = _spy(monkeypatch)
    broken: Callable[..., Any] = plain.Plain.rows

    def fails(self: plain.Plain, name: str, values: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(plain.Plain, "rows", fails)
    code, _, err = _run("--db", sqlite_url, "inbox", "m1@x.se")
    monkeypatch.setattr(plain.Plain, "rows", broken)
    assert used == ["core"]
    assert code == 3 and "m1@x.se" in err  # the ordinary path answered (an empty database)
