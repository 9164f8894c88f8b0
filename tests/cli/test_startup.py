"""Starting the command line stays cheap: ``samflow --help`` loads no web stack and no
database layer, ``samflow inbox`` neither (it reads through the driver alone;
``bench/cli_startup.py`` has the figures). Checked by the modules a fresh interpreter has
loaded, which a busy machine cannot upset."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WEB_STACK = ("fastapi", "starlette", "uvicorn", "weasyprint", "prefect")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PROBE = """
import json, sys
from cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)))
sys.exit(code or 0)
"""


def loaded_modules(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """Every module a fresh interpreter has loaded after running the command."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.rsplit("MODULES ", 1)[1]))


def loaded(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The top-level packages loaded."""
    return {m.split(".")[0] for m in loaded_modules(*args, env=env)}


def test_help_loads_no_web_stack_and_no_database_layer() -> None:
    modules = loaded("--help")
    assert not modules & {*WEB_STACK, "sqlalchemy", "alembic", "pydantic", "jinja2"}, modules
    assert {"cli", "flows"} <= modules  # the flows' commands are registered too


def test_group_help_loads_no_web_stack() -> None:
    for group in ("task", "evidence", "report", "flows", "serve"):
        assert not loaded(group, "--help") & {*WEB_STACK, "sqlalchemy"}, group


def test_inbox_loads_no_web_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    assert main(["org", "import", str(EXAMPLES / "units.csv"), str(EXAMPLES / "people.csv")]) == 0
    assert main(["cycle", "start", "--year", "2027", "--as", "hanna.hr@example.se"]) == 0
    env = os.environ | {"SAMFLOW_DATABASE_URL": url}
    modules = loaded_modules("inbox", "anna.hn@example.se", env=env)
    assert {"engine.db.reads.plain", "sqlite3", "engine.views.inbox"} <= modules  # it read
    # on the driver alone (issue 9: <= 0.3 s of CPU): the SQL SQLAlchemy compiled from the
    # read model's statements (engine/db/reads/compiled.json), so no SQLAlchemy, no ORM, no
    # PostgreSQL driver, no settings model, no pydantic, Jinja2 or Babel
    heavy = ("sqlalchemy", "alembic", "psycopg", "pydantic", "jinja2", "babel", *WEB_STACK)
    assert not {m for m in modules if m.split(".")[0] in heavy}, sorted(
        m for m in modules if m.split(".")[0] in heavy
    )
    assert "engine.db.models" not in modules and "engine.settings" not in modules
    # a URL the plain path leaves to SQLAlchemy: Core only, still no ORM, no PostgreSQL
    # driver or dialect, no settings model, no pydantic
    core_url = url.replace("sqlite:///", "sqlite+pysqlite:///", 1)
    modules = loaded_modules(
        "inbox", "anna.hn@example.se", env=env | {"SAMFLOW_DATABASE_URL": core_url}
    )
    assert "sqlalchemy.engine" in modules  # the ordinary path read
    heavy = ("sqlalchemy.orm", "psycopg", "sqlalchemy.dialects.postgresql", "pydantic")
    assert not {m for m in modules if m.startswith(heavy)}, sorted(
        m for m in modules if m.startswith(heavy)
    )
    assert "engine.db.models" not in modules and "engine.settings" not in modules


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _helps(parser: argparse.ArgumentParser, path: str = "") -> dict[str, str]:
    """Every (sub-)command's help text, by its path."""
    out = {path: parser.format_help()}
    for name, child in _commands(parser).items():
        out.update(_helps(child, f"{path} {name}"))
    return out


def test_running_one_command_builds_only_its_parser_and_the_same_one() -> None:
    from cli.main import build_parser, command_of, one_command_parser, parser_for

    full = _commands(build_parser())
    assert "inbox" in full and "flows" in full
    for name, parser in full.items():
        one = one_command_parser(name)
        if name == "flows":  # a plugin's command: the whole command line is built for it
            assert one is None
            assert "flows" in _commands(parser_for(["flows", "--help"]))
            continue
        assert one is not None, name
        assert list(_commands(one)) == [name]
        assert _helps(_commands(one)[name]) == _helps(parser), name
    assert command_of(["--db", "sqlite://", "--lang=sv", "inbox", "x@y.se"]) == "inbox"
    assert command_of(["--help"]) is None and command_of([]) is None
    assert one_command_parser("no-such-command") is None
