"""What every command module shares: the composition root (settings, app, actor) and
small argparse helpers. Imports nothing heavy at module level: ``samflow --help`` loads it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.domain.clock import FrozenClock, local_date
from engine.domain.errors import InvalidInput, NotReady

if TYPE_CHECKING:
    from engine.context import Actor, App
    from engine.settings import Settings


Sub = Any  # argparse's private _SubParsersAction


def settings_of(args: argparse.Namespace) -> Settings:
    from engine.settings import Settings

    overrides = {"database_url": args.db} if getattr(args, "db", None) else {}
    return Settings.from_env(**overrides)


def app_of(args: argparse.Namespace, *, clock: FrozenClock | None = None) -> App:
    from engine.context import App
    from engine.db import migrate

    settings = settings_of(args)
    if not migrate.is_current(settings.database_url):
        raise NotReady(
            "the database schema is not up to date; run: samflow db upgrade",
            "databasens schema är inte uppdaterat; kör: samflow db upgrade",
        )
    app = App.from_settings(settings, clock)
    OPENED.append(app)
    return app


#: Apps a command opened: their connections are closed when the command ends
#: (``close_apps``), not left to the garbage collector.
OPENED: list[App] = []


def close_apps() -> None:
    while OPENED:
        OPENED.pop().db.dispose()


def actor_of(app: App, email: str | None) -> Actor:
    from engine.context import Actor
    from engine.workflow import tasks

    return tasks.active_person(app, email) if email else Actor.system("cli")


def command(
    sub: Sub, name: str, help_: str, handler: Callable[..., int | None]
) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_, description=help_)
    p.set_defaults(handler=handler)
    return p


def group(sub: Sub, name: str, help_: str) -> Sub:
    p = sub.add_parser(name, help=help_, description=help_)
    return p.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def iso_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time (ISO 8601): {text!r}") from None


def read_text(path: str, *, save_as: str = "CSV UTF-8") -> str:
    """A text file someone brings (``-``: standard input): UTF-8, else Windows-1252 (what
    Excel and Notepad write on Swedish Windows); neither: an error naming the file's line."""
    from engine.domain.imports.text import decode

    if path == "-":
        return decode("stdin", sys.stdin.buffer.read(), save_as=save_as)
    return decode(path, Path(path).read_bytes(), save_as=save_as)


def read_json(path: str) -> dict[str, Any]:
    text = read_text(path, save_as="UTF-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.field(
            "--data",
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            f"{path} är inte giltig JSON (rad {exc.lineno})",
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput.field(
            "--data", f"{path} must hold a JSON object", f"{path} måste innehålla ett JSON-objekt"
        )
    return data


def when(dt: datetime | None) -> str:
    return local_date(dt).isoformat() if dt else "–"


def subgroup(sub: Sub, name: str) -> Sub:
    """The subcommands of an existing group (``audit``, ``plan``), to add to it."""
    parser = sub.choices[name]
    for action in parser._actions:  # argparse keeps them here; there is no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise KeyError(name)


def out_file(path: str) -> tuple[Path, str]:
    p = Path(path)
    kind = p.suffix.lower().lstrip(".")
    if kind not in ("pdf", "html"):
        raise InvalidInput.field(
            "--out", "the file must end in .pdf or .html", "filen ska sluta på .pdf eller .html"
        )
    return p, kind


def doc_lang(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        dest="doc_lang",
        choices=("sv", "en"),
        default="sv",
        help="language of the document (default: sv)",
    )


def as_option(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument(
        "--as",
        dest="as_",
        metavar="EMAIL",
        required=required,
        help="act as this person (default: the system)",
    )
