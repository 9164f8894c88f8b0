"""Reading positions (befattningar) and named groups from the organisation import's third
file, and matching a measure's responsible, as written, to one of them.

positions.csv   kind,name,unit_code,email,valid_from,valid_to,convener

- ``befattning``/``position``: the title ``name`` at the unit, held by ``email`` from
  ``valid_from`` to ``valid_to`` (a row per holder; a change of holder is a new row).
- ``grupp``/``group``: a named group at the unit; a row per member, ``convener`` ja/yes
  marks its convener.
- ``ledningsgrupp``/``management_team``: the management team of the unit, named ``name``
  (no e-mail: its convener is the unit's manager, its members the managers below).

Titles and names are matched case-insensitively with spacing folded ("HR-chef",
"hr-chef", "HR chef" are not the same title: a hyphen is part of it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from engine.domain.errors import ImportInvalid
from engine.domain.imports.org import _Collector, _date, _rows

KINDS = {
    "befattning": "position", "position": "position", "tjänst": "position",
    "grupp": "group", "group": "group",
    "ledningsgrupp": "management_team", "management_team": "management_team",
    "management team": "management_team",
}  # fmt: skip
REQUIRED = ("kind", "name", "unit_code")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WS = re.compile(r"\s+")


def key_of(text: str) -> str:
    """A title or name folded for matching."""
    return _WS.sub(" ", text).strip().lower()[:128]


@dataclass(frozen=True)
class PositionRow:
    line: int
    kind: str  # position, group, management_team
    name: str
    unit_code: str
    email: str | None
    valid_from: date | None
    valid_to: date | None
    convener: bool


def parse_positions(
    text: str, file: str, unit_codes: frozenset[str], emails: frozenset[str] | None = None
) -> list[PositionRow]:
    """Every row checked; ImportInvalid naming each bad cell. ``emails``: the people
    known (in the database or the people file), when given."""
    errors = _Collector(file)
    out: list[PositionRow] = []
    for line, row in _rows(text, file, REQUIRED, errors):
        kind = KINDS.get(row.get("kind", "").lower())
        name, code = row.get("name", ""), row.get("unit_code", "")
        email = row.get("email", "").lower() or None
        if kind is None:
            errors.add(line, "kind", f"unknown kind {row.get('kind')!r} (befattning, grupp, "
                       "ledningsgrupp)", f"okänd typ {row.get('kind')!r} (befattning, grupp, "
                       "ledningsgrupp)")  # fmt: skip
        if not name:
            errors.add(line, "name", "the title or name is empty", "titel eller namn saknas")
        if code not in unit_codes:
            errors.add(line, "unit_code", f"no unit {code!r}", f"ingen enhet {code!r}")
        if kind in ("position", "group") and email is None:
            errors.add(line, "email", "give the holder or member by e-mail",
                       "ange innehavaren eller medlemmen med e-post")  # fmt: skip
        elif email is not None and (
            not EMAIL.match(email) or (emails is not None and email not in emails)
        ):
            errors.add(line, "email", f"no person with the e-mail {email}",
                       f"ingen person har e-postadressen {email}")  # fmt: skip
        start = _date(row.get("valid_from", ""), line, "valid_from", errors)
        end = _date(row.get("valid_to", ""), line, "valid_to", errors)
        if start and end and end < start:
            errors.add(line, "valid_to", "ends before it starts", "slutar innan den börjar")
        convener = row.get("convener", "").lower() in ("ja", "yes", "x", "1", "true")
        if kind is not None and name and code in unit_codes:
            out.append(PositionRow(line, kind, name, code, email, start, end, convener))
    if errors.errors:
        raise ImportInvalid(errors.errors)
    return out
