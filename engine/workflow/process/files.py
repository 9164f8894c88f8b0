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
from engine.domain.workflow.template import ItemsDef, load_yaml
from engine.workflow.process.cases import parse_subject, subject_of
from forms.schemas.base import Form
from forms.schemas.registry import schema_for


def read_subject(
    kind: str, filename: str, content: bytes, overrides: Mapping[str, Any] | None = None
) -> Form:
    """The subject in a file, with ``overrides`` (unit, dates...) put on top."""
    extra = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
    text = content.decode("utf-8-sig")
    name = filename.lower()
    items = subject_of(kind).items
    if name.endswith(".csv") and items is not None:
        return _from_csv(kind, items, filename, text, extra)
    try:
        doc = json.loads(text) if name.endswith(".json") else load_yaml(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidInput.field(
            filename, f"cannot read the file: {exc}", f"kan inte läsa filen: {exc}"
        ) from None
    if not isinstance(doc, dict):
        raise InvalidInput.field(filename, "expected a mapping", "förväntade en mappning")
    return parse_subject(kind, {**doc, **extra})


def _from_csv(kind: str, items: ItemsDef, filename: str, text: str, extra: dict[str, Any]) -> Form:
    first = text.splitlines()[0] if text.strip() else ""
    reader = csv.DictReader(
        io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ","
    )
    headers = items.csv_headers
    reader.fieldnames = [headers.get(h.strip().lower(), h) for h in reader.fieldnames or []]
    lists = _list_fields(kind, items)
    lines: list[int] = []
    entries = []
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
