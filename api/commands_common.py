"""Helpers shared by the command modules added beside ``api/commands.py``."""

from __future__ import annotations

import argparse
from pathlib import Path

from api.commands import Sub
from engine.domain.errors import InvalidInput


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
