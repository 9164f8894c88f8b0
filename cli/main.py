"""The ``samflow`` command line: what a new user and an admin type.

One module per capability's commands, grouped (``cli/people/org.py``,
``cli/workflow/tasks.py``, ``cli/duties/alloc.py`` ...), each with its ``reg_*`` functions
listed in ``COMMANDS`` below. Registering imports only argparse: a
handler imports the engine when it runs, so ``samflow --help`` loads no database layer and
no web stack, and ``samflow inbox`` only what the inbox needs.

Each command parses its arguments, calls one use case and prints the result. Errors are
one clear line and a non-zero exit code (2 bad input, 3 not found, 4 not permitted,
5 conflict), never a traceback; ``SAMFLOW_DEBUG=1`` shows the traceback of an unexpected one.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from cli import admin
from cli.common import close_apps
from cli.console import Console
from cli.duties import alloc, cases, coop, inspections, policy, rounds
from cli.followup import plans, reports, rollup, surveys
from cli.people import org
from cli.records import audit, evidence
from cli.workflow import cycles, tasks
from engine.domain.errors import (
    DatabaseBusy,
    GateBlocked,
    ImportNotPermitted,
    InvalidInput,
    SamflowError,
)

# The order of ``samflow --help``.
COMMANDS: list[Callable[[Any], None]] = [
    admin.reg_db,
    org.reg_org,
    cycles.reg_cycle,
    cycles.reg_stage,
    tasks.reg_inbox,
    tasks.reg_task,
    plans.reg_plan,
    cycles.reg_sweep,
    audit.reg_audit,
    cycles.reg_template,
    admin.reg_demo,
    admin.reg_serve,
    admin.reg_user,
    admin.reg_token,
    evidence.reg_evidence,
    inspections.reg_inspection,
    coop.reg_coop,
    coop.reg_change,
    cases.reg_case,
    policy.reg_policy,
    policy.reg_knowledge,
    alloc.reg_allocation,
    rounds.reg_round,
    reports.reg_report,
    rollup.reg_rollup,
    surveys.reg_survey,
    surveys.reg_absence,
    surveys.reg_roa,
    surveys.reg_health,
]

EXIT = {
    "invalid": 2,
    "not_found": 3,
    "forbidden": 4,
    "unauthenticated": 4,
    "rate_limited": 4,
    "conflict": 5,
    "unavailable": 6,
}


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, its plugins' commands included."""
    p, sub = _top()
    for register in COMMANDS:
        register(sub)
    for plugin in _plugins():
        plugin(sub)
    return p


def one_command_parser(name: str) -> argparse.ArgumentParser | None:
    """The command line with only the built-in command ``name`` (what ``main`` builds to
    run it: the other commands' parsers and the plugins are not made); None if no
    built-in command has that name."""
    p, sub = _top()
    one = _Only(sub, name)
    for register in COMMANDS:
        register(one)
    return p if one.found else None


def _top() -> tuple[argparse.ArgumentParser, Any]:
    p = argparse.ArgumentParser(
        prog="samflow",
        description="samflow: systematic work environment management (SAM, AFS 2023:1).",
        epilog="Database: --db or SAMFLOW_DATABASE_URL (default: sqlite:///samflow.db).",
    )
    p.add_argument("--db", metavar="URL", help="database URL (overrides SAMFLOW_DATABASE_URL)")
    p.add_argument(
        "--lang",
        choices=("sv", "en"),
        help="language of messages (default: en, or SAMFLOW_CLI_LANG)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    return p, sub


class _Ignored:
    """Stands in for the parsers of the commands not asked for: takes every call."""

    def __getattr__(self, _name: str) -> Callable[..., _Ignored]:
        return lambda *_a, **_k: self


class _Only:
    """The sub-command table, making a parser only for the one command asked for."""

    def __init__(self, sub: Any, name: str) -> None:
        self.sub, self.name, self.found = sub, name, False

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if name == self.name or self.name in kwargs.get("aliases", ()):
            self.found = True
            return self.sub.add_parser(name, **kwargs)
        return _Ignored()


#: The top-level options that take a value (``--db URL``), skipped to find the command.
_VALUED = ("--db", "--lang")


def command_of(argv: Sequence[str]) -> str | None:
    """The command a command line names (``samflow --db x inbox …`` -> ``inbox``), or None
    when it starts with another option (``--help``) or names none."""
    args = iter(argv)
    for arg in args:
        if arg in _VALUED:
            next(args, None)
        elif arg.startswith(_VALUED) and "=" in arg:
            continue
        elif arg.startswith("-"):
            return None
        else:
            return arg
    return None


def parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """Only the parser of the command asked for when it is a built-in one (starting is
    cheaper: ``samflow inbox``), else the whole command line with its plugins."""
    name = command_of(argv)
    found = one_command_parser(name) if name is not None else None
    return found if found is not None else build_parser()


def _plugins() -> list[Callable[[Any], None]]:
    """Other packages add commands through the ``samflow.cli`` entry point group (the
    Prefect flows add ``samflow flows ...`` this way, so this door never imports them)."""
    from importlib.metadata import entry_points

    return [ep.load() for ep in entry_points(group="samflow.cli")]


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser_for(argv).parse_args(argv)
    lang = args.lang or os.environ.get("SAMFLOW_CLI_LANG", "en")
    console = Console(lang)
    try:
        return _run(args, console, lang)
    finally:
        close_apps()


def _run(args: argparse.Namespace, console: Console, lang: str) -> int:
    try:
        code = args.handler(args, console)
        return int(code or 0)
    except InvalidInput as exc:
        console.error_list([e.render(lang) for e in exc.errors] or [exc.message(lang)])
        return EXIT["invalid"]
    except ImportNotPermitted as exc:
        rows = [r.as_field_error().render(lang) for r in exc.rows]
        console.error_list(rows or [exc.message(lang)])
        return EXIT["forbidden"]
    except GateBlocked as exc:
        console.error(exc.headline(lang))
        console.error_details([u.message(lang) for u in exc.unmet])
        return EXIT["conflict"]
    except SamflowError as exc:
        console.error(exc.message(lang))
        return EXIT.get(exc.category, 1)
    except DatabaseBusy as exc:
        console.error(exc.message(lang))
        return 6
    except OSError as exc:
        console.error(f"cannot read or write {exc.filename or ''}: {exc.strerror}")
        return 2
    except KeyboardInterrupt:
        console.error("interrupted; nothing half-done was committed")
        return 130
    except Exception as exc:  # the last line of defence: no traceback for the user
        problem = _database_problem(exc)
        if problem is not None:
            console.error(problem)
            return 6
        if os.environ.get("SAMFLOW_DEBUG"):
            traceback.print_exc()
        console.error(
            f"unexpected error ({type(exc).__name__}: {exc}); run with SAMFLOW_DEBUG=1 for details"
        )
        return 70


def _database_problem(exc: Exception) -> str | None:
    """The line to show for a database error (checked here, not in an ``except`` clause,
    so that commands which never touch the database never import SQLAlchemy)."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if not isinstance(exc, (OperationalError, ProgrammingError)):
        return None
    text = str(exc.orig)
    if "no such table" in text or "does not exist" in text:
        return "the database has no samflow tables yet; run: samflow db upgrade"
    return f"database error: {text.splitlines()[0]}"


if __name__ == "__main__":
    sys.exit(main())
