"""Reading an inspection to register from a file: YAML or JSON (the whole inspection), or
CSV (one requirement per row; the inspection's date, unit and reply date given beside it).

YAML/JSON::

    unit: U1
    inspected_on: 2027-03-02
    reply_by: 2027-04-15
    reference: "2027/012345"
    inspector: Eva Inspektör
    requirements:
      - text: Arbetsgivaren ska skriftligen bedöma riskerna vid ...
        units: [U1, U2]      # optional: who answers (default: the inspected unit)
        due: 2027-04-05      # optional

CSV columns: ``krav``/``requirement``, ``enheter``/``units`` (codes separated by spaces or
``|``), ``senast``/``due``. Errors name the file and line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from engine.domain.errors import FieldError, ImportInvalid, InvalidInput, RowError
from engine.domain.template import load_yaml
from engine.services.inspections import parse_registration
from forms.schemas.inspection import InspectionRegistration

CSV_HEADERS = {
    "krav": "text", "requirement": "text", "text": "text",
    "enheter": "units", "enhet": "units", "units": "units", "unit": "units",
    "senast": "due", "klart senast": "due", "due": "due",
}  # fmt: skip
_REQ = re.compile(r"^requirements\[(\d+)\]\.?(.*)$")


def read_registration(
    filename: str, content: bytes, overrides: Mapping[str, Any] | None = None
) -> InspectionRegistration:
    """The registration in a file, with ``overrides`` (unit, dates...) put on top."""
    extra = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
    text = content.decode("utf-8-sig")
    name = filename.lower()
    if name.endswith(".csv"):
        return _from_csv(filename, text, extra)
    try:
        doc = json.loads(text) if name.endswith(".json") else load_yaml(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidInput.field(
            filename, f"cannot read the file: {exc}", f"kan inte läsa filen: {exc}"
        ) from None
    if not isinstance(doc, dict):
        raise InvalidInput.field(filename, "expected a mapping", "förväntade en mappning")
    return parse_registration({**doc, **extra})


def _from_csv(filename: str, text: str, extra: dict[str, Any]) -> InspectionRegistration:
    first = text.splitlines()[0] if text.strip() else ""
    reader = csv.DictReader(
        io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ","
    )
    reader.fieldnames = [CSV_HEADERS.get(h.strip().lower(), h) for h in reader.fieldnames or []]
    lines: list[int] = []
    requirements = []
    for row in reader:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        lines.append(reader.line_num)
        units = re.split(r"[\s|,]+", (row.get("units") or "").strip())
        requirements.append(
            {
                "text": (row.get("text") or "").strip(),
                "units": [u for u in units if u],
                "due": (row.get("due") or "").strip() or None,
            }
        )
    try:
        return parse_registration({**extra, "requirements": requirements})
    except InvalidInput as exc:
        raise ImportInvalid([_located(filename, lines, e) for e in exc.errors]) from None


def _located(filename: str, lines: list[int], e: FieldError) -> RowError:
    """``requirements[2].due`` -> the file's line of that requirement, column ``due``."""
    match = _REQ.match(e.path)
    if match and int(match.group(1)) < len(lines):
        return RowError(
            filename, lines[int(match.group(1))], match.group(2), e.message_en, e.message_sv
        )
    return RowError(filename, 1, e.path, e.message_en, e.message_sv)
