"""Reading a case to register from a file: YAML or JSON (the whole subject), or CSV (one
item per row, its columns named by the template's ``subject.items.csv_headers``; the
subject's own fields given beside it). For an inspection, YAML/JSON::

    unit: U1
    inspected_on: 2027-03-02
    reply_by: 2027-04-15
    reference: "2027/012345"
    inspector: Eva Inspektör
    requirements:
      - text: Arbetsgivaren ska skriftligen bedöma riskerna vid ...
        units: [U1, U2]      # optional: who answers (default: the inspected unit)
        due: 2027-04-05      # optional

and CSV columns ``krav``/``requirement``, ``enheter``/``units`` (codes separated by spaces
or ``|``), ``senast``/``due``. Errors name the file and line.
"""

from __future__ import annotations

import csv
import io
import json
import re
import typing
from collections.abc import Mapping
from typing import Any

import yaml

from engine.domain.errors import FieldError, ImportInvalid, InvalidInput, RowError
from engine.domain.imports.text import decode, delimiter
from engine.domain.workflow.template import ItemsDef, load_yaml
from engine.workflow.process.cases import parse_subject, subject_of
from forms.schemas.base import Form
from forms.schemas.registry import schema_for


def read_subject(
    kind: str, filename: str, content: bytes, overrides: Mapping[str, Any] | None = None
) -> Form:
    """The subject in a file, with ``overrides`` (unit, dates...) put on top."""
    extra = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
    name = filename.lower()
    items = subject_of(kind).items
    if name.endswith(".csv") and items is not None:
        return _from_csv(kind, items, filename, decode(filename, content), extra)
    text = decode(filename, content, save_as="UTF-8")
    try:
        doc = json.loads(text) if name.endswith(".json") else load_yaml(text)
    except json.JSONDecodeError as exc:
        raise _unreadable(filename, exc.lineno, exc.msg) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise _unreadable(filename, mark.line + 1 if mark else 1, problem) from None
    except (ValueError, RecursionError) as exc:  # a number too long, nesting too deep
        raise _unreadable(filename, 1, str(exc) or type(exc).__name__) from None
    if not isinstance(doc, dict):
        raise InvalidInput.field(filename, "expected a mapping", "förväntade en mappning")
    return parse_subject(kind, {**doc, **extra})


def _unreadable(filename: str, line: int, problem: str) -> ImportInvalid:
    return ImportInvalid.at(
        filename, line, f"cannot read the file: {problem}", f"kan inte läsa filen: {problem}"
    )


def _from_csv(kind: str, items: ItemsDef, filename: str, text: str, extra: dict[str, Any]) -> Form:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter(text))
    headers = items.csv_headers
    lists = _list_fields(kind, items)
    lines: list[int] = []
    entries = []
    try:
        reader.fieldnames = [headers.get(h.strip().lower(), h) for h in reader.fieldnames or []]
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            lines.append(reader.line_num)
            entry: dict[str, Any] = {}
            for name in dict.fromkeys(headers.values()):
                value = (row.get(name) or "").strip()
                if name in lists:
                    entry[name] = [u for u in re.split(r"[\s|,]+", value) if u]
                elif value or name == items.text:
                    entry[name] = value
            entries.append(entry)
    except csv.Error as exc:  # a bare carriage return in an unquoted cell, a cell too long
        # (csv counts the lines it has read whole: the one it failed on is the next)
        raise ImportInvalid.at(
            filename,
            reader.line_num + 1,
            f"the line cannot be read as CSV ({exc})",
            f"raden går inte att läsa som CSV ({exc})",
        ) from None
    try:
        return parse_subject(kind, {**extra, items.field: entries})
    except InvalidInput as exc:
        rows = [_located(items.field, filename, lines, e) for e in exc.errors]
        raise ImportInvalid(rows) from None


def _list_fields(kind: str, items: ItemsDef) -> set[str]:
    """The item fields that are lists (unit codes): a cell splits on spaces, | and commas."""
    form = subject_of(kind).form
    assert form is not None
    info = schema_for(form).model_fields[items.field]
    (inner,) = typing.get_args(info.annotation)
    return {k for k, f in inner.model_fields.items() if typing.get_origin(f.annotation) is list}


def _located(field: str, filename: str, lines: list[int], e: FieldError) -> RowError:
    """``requirements[2].due`` -> the file's line of that requirement, column ``due``."""
    match = re.match(rf"^{re.escape(field)}\[(\d+)\]\.?(.*)$", e.path)
    if match and int(match.group(1)) < len(lines):
        return RowError(
            filename, lines[int(match.group(1))], match.group(2), e.message_en, e.message_sv
        )
    return RowError(filename, 1, e.path, e.message_en, e.message_sv)
