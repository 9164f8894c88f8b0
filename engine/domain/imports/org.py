"""Reading the organisation from two CSV files: units, and people with their roles.

Everything is checked before anything is written: a bad row is reported with its file,
line and field, all bad rows at once, and the import writes nothing. Both ``,`` and ``;``
separated files are read (Swedish Excel writes ``;``), with or without a UTF-8 BOM.

units.csv   code,name,parent_code,level,headcount
people.csv  email,name,role,unit_code,valid_from,valid_to   (one row per role held)
            [,employee_number]  (optional; also headed "anställningsnummer", "anst.nr",
                                 "anstnr", "employee number", "employee no", "employee id")
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from engine.domain.errors import ImportInvalid, RowError
from engine.domain.imports.text import delimiter
from engine.domain.org import find_cycle
from engine.domain.validation import control_in
from engine.domain.workflow.routing import role_from_text
from engine.domain.workflow.states import Role

UNIT_COLUMNS = ("code", "name", "parent_code", "level", "headcount")
PEOPLE_COLUMNS = (
    "email",
    "name",
    "role",
    "unit_code",
    "valid_from",
    "valid_to",
    "employee_number",
)
#: Other headings a column is known by (Swedish HR systems' exports, English ones), compared
#: without case, spaces, dots, hyphens and underscores.
COLUMN_SYNONYMS = {
    "employee_number": (
        "anställningsnummer",
        "anställningsnr",
        "anstnr",
        "anstnummer",
        "employeenumber",
        "employeeno",
        "employeeid",
    ),
}
MAX_EMPLOYEE_NUMBER = 64
REQUIRED_UNIT_COLUMNS = ("code", "name", "parent_code")
REQUIRED_PEOPLE_COLUMNS = ("email", "name", "role", "unit_code")
MAX_ERRORS = 200


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    name: str
    parent_code: str | None
    level: str
    headcount: int


@dataclass(frozen=True)
class PersonRoleRow:
    line: int
    email: str
    name: str
    role: Role | None  # a person may be listed without a role
    unit_code: str | None
    valid_from: date | None
    valid_to: date | None
    employee_number: str | None = None  # None: the file does not say (kept as it is)


def _squeezed(heading: str) -> str:
    return "".join(ch for ch in heading.lower() if ch not in " ._-\t")


_SYNONYM_OF = {
    _squeezed(alias): name for name, aliases in COLUMN_SYNONYMS.items() for alias in aliases
}


def column_name(heading: str) -> str:
    """A heading as the column it names: itself, or the column it is a synonym of."""
    h = heading.strip().lower()
    return _SYNONYM_OF.get(_squeezed(h), h)


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[RowError] = []

    def add(self, line: int, field: str, en: str, sv: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(self.file, line, field, en, sv))


def _rows(
    text: str, file: str, required: tuple[str, ...], errors: _Collector
) -> list[tuple[int, dict[str, str]]]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        errors.add(1, "", "the file is empty", "filen är tom")
        return []
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter(text))
    try:
        return _read(reader, required, errors)
    except csv.Error as exc:  # e.g. a bare carriage return inside an unquoted field
        errors.add(
            reader.line_num or 1,
            "",
            f"the line cannot be read as CSV ({exc})",
            f"raden går inte att läsa som CSV ({exc})",
        )
        return []


def _read(
    reader: csv.DictReader[str], required: tuple[str, ...], errors: _Collector
) -> list[tuple[int, dict[str, str]]]:
    header = [column_name(h) for h in (reader.fieldnames or [])]
    for h in header:
        if (message := control_in(h)) is not None:
            errors.add(1, "", *message)
            return []
    missing = [c for c in required if c not in header]
    if missing:
        errors.add(
            1,
            ", ".join(missing),
            f"missing column(s): {', '.join(missing)}",
            f"kolumn(er) saknas: {', '.join(missing)}",
        )
        return []
    reader.fieldnames = header
    out = []
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.add(line, "", "too many values on this line", "för många värden på raden")
            continue
        clean = {k: (v or "").strip() for k, v in row.items()}
        refused = {k: m for k, v in clean.items() if (m := control_in(v)) is not None}
        for column, (en, sv) in refused.items():
            errors.add(line, column, en, sv)
        if any(clean.values()) and not refused:
            out.append((line, clean))
    return out


def parse_units(
    text: str, file: str = "units.csv", known_codes: frozenset[str] = frozenset()
) -> list[UnitRow]:
    """Validated unit rows; raises ImportInvalid naming every bad row."""
    errors = _Collector(file)
    rows: list[UnitRow] = []
    seen: dict[str, int] = {}
    for line, r in _rows(text, file, REQUIRED_UNIT_COLUMNS, errors):
        code, name = r.get("code", ""), r.get("name", "")
        if not code:
            errors.add(line, "code", "code is empty", "kod saknas")
            continue
        if len(code) > 64:
            errors.add(line, "code", "code is longer than 64 characters", "koden är för lång")
        if code in seen:
            errors.add(
                line,
                "code",
                f"code {code} is also on line {seen[code]}",
                f"koden {code} finns också på rad {seen[code]}",
            )
            continue
        seen[code] = line
        if not name:
            errors.add(line, "name", "name is empty", "namn saknas")
        headcount = _int(r.get("headcount", ""), line, "headcount", errors)
        rows.append(
            UnitRow(
                line,
                code,
                name[:200],
                r.get("parent_code") or None,
                (r.get("level") or "unit")[:32],
                headcount,
            )
        )
    codes = set(seen) | known_codes
    for row in rows:
        if row.parent_code is not None and row.parent_code not in codes:
            errors.add(
                row.line,
                "parent_code",
                f"no unit has code {row.parent_code}",
                f"ingen enhet har koden {row.parent_code}",
            )
    loop = find_cycle({r.code: r.parent_code for r in rows})
    if loop:
        errors.add(
            seen[loop[0]],
            "parent_code",
            f"units form a loop: {' → '.join(loop)}",
            f"enheterna bildar en slinga: {' → '.join(loop)}",
        )
    if errors.errors:
        raise ImportInvalid(errors.errors)
    return rows


def parse_people(text: str, file: str, unit_codes: frozenset[str]) -> list[PersonRoleRow]:
    errors = _Collector(file)
    rows: list[PersonRoleRow] = []
    names: dict[str, tuple[str, int]] = {}
    numbers: dict[str, tuple[str, int]] = {}  # e-mail -> its employee number, first line
    owners: dict[str, tuple[str, int]] = {}  # employee number -> its e-mail, first line
    seen: dict[tuple[str, Role, str], int] = {}
    for line, r in _rows(text, file, REQUIRED_PEOPLE_COLUMNS, errors):
        email = r.get("email", "").lower()
        if "@" not in email or " " in email or email.startswith("@") or email.endswith("@"):
            errors.add(
                line,
                "email",
                f"not an e-mail address: {email!r}",
                f"inte en e-postadress: {email!r}",
            )
            continue
        name = r.get("name", "")
        if not name:
            errors.add(line, "name", "name is empty", "namn saknas")
        elif email in names and names[email][0] != name:
            errors.add(
                line,
                "name",
                f"{email} is named {names[email][0]!r} on line {names[email][1]}",
                f"{email} heter {names[email][0]!r} på rad {names[email][1]}",
            )
        names.setdefault(email, (name, line))
        number = _employee_number(
            r.get("employee_number", ""), email, line, numbers, owners, errors
        )
        role_text, unit_code = r.get("role", ""), r.get("unit_code", "")
        role = role_from_text(role_text) if role_text else None
        if role_text and role is None:
            errors.add(
                line,
                "role",
                f"unknown role {role_text!r} (known: {', '.join(x.value for x in Role)})",
                f"okänd roll {role_text!r}",
            )
            continue
        if role is not None and not unit_code:
            errors.add(line, "unit_code", "a role needs a unit", "en roll behöver en enhet")
            continue
        if unit_code and unit_code not in unit_codes:
            errors.add(
                line,
                "unit_code",
                f"no unit has code {unit_code}",
                f"ingen enhet har koden {unit_code}",
            )
            continue
        valid_from = _date(r.get("valid_from", ""), line, "valid_from", errors)
        valid_to = _date(r.get("valid_to", ""), line, "valid_to", errors)
        if valid_from and valid_to and valid_to < valid_from:
            errors.add(
                line, "valid_to", "valid_to is before valid_from", "valid_to ligger före valid_from"
            )
        if role is not None:
            key = (email, role, unit_code)
            if key in seen:
                errors.add(
                    line,
                    "role",
                    f"same role and unit as line {seen[key]}",
                    f"samma roll och enhet som rad {seen[key]}",
                )
                continue
            seen[key] = line
        rows.append(
            PersonRoleRow(
                line, email, name[:200], role, unit_code or None, valid_from, valid_to, number
            )
        )
    if errors.errors:
        raise ImportInvalid(errors.errors)
    return rows


def _employee_number(
    text: str,
    email: str,
    line: int,
    numbers: dict[str, tuple[str, int]],
    owners: dict[str, tuple[str, int]],
    errors: _Collector,
) -> str | None:
    """The row's employee number (None: not given); one per person, one person per number."""
    number = text.strip()
    if not number:
        return None
    if len(number) > MAX_EMPLOYEE_NUMBER or any(ch.isspace() for ch in number):
        errors.add(
            line,
            "employee_number",
            f"an employee number is at most {MAX_EMPLOYEE_NUMBER} characters, without spaces",
            f"ett anställningsnummer har högst {MAX_EMPLOYEE_NUMBER} tecken, utan mellanslag",
        )
        return None
    had = numbers.get(email)
    if had is not None and had[0] != number:
        errors.add(
            line,
            "employee_number",
            f"{email} has employee number {had[0]!r} on line {had[1]}",
            f"{email} har anställningsnummer {had[0]!r} på rad {had[1]}",
        )
        return None
    owner = owners.get(number)
    if owner is not None and owner[0] != email:
        errors.add(
            line,
            "employee_number",
            f"employee number {number!r} is {owner[0]}'s on line {owner[1]}",
            f"anställningsnummer {number!r} tillhör {owner[0]} på rad {owner[1]}",
        )
        return None
    numbers.setdefault(email, (number, line))
    owners.setdefault(number, (email, line))
    return number


def _int(text: str, line: int, field: str, errors: _Collector) -> int:
    if not text:
        return 0
    try:
        value = int(text.replace(" ", ""))
    except ValueError:
        errors.add(line, field, f"not a whole number: {text!r}", f"inte ett heltal: {text!r}")
        return 0
    if value < 0:
        errors.add(line, field, "cannot be negative", "kan inte vara negativt")
    return value


def _date(text: str, line: int, field: str, errors: _Collector) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.add(
            line,
            field,
            f"not a date (YYYY-MM-DD): {text!r}",
            f"inte ett datum (ÅÅÅÅ-MM-DD): {text!r}",
        )
        return None
