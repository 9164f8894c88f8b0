"""Reading an existing action plan (handlingsplan) from a spreadsheet's rows.

One row per measure. Columns are found by their header (Swedish or English, any order; a
title row or two above the header is fine): område/area, nuläge/current state,
sannolikhet/probability, konsekvens/consequence, åtgärd/measure, önskat resultat/desired
result, ansvarig/responsible, klart senast/due, uppföljning/follow-up, status,
genomförd/done, kommentar/note. A row with an empty area continues the area above (as in a
sheet with merged cells). Every bad cell is reported with its file, line and column, all at
once; nothing is imported while any is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from engine.domain.errors import ImportInvalid, RowError
from engine.domain.workflow.routing import role_from_text

HEADERS: dict[str, tuple[str, ...]] = {
    "area": ("område", "förbättringsområde", "förbättringsområde/risk", "risk", "area",
             "identifierat område", "area/risk"),
    "current_state": ("nuläge", "current state", "current_state"),
    "probability": ("sannolikhet", "probability"),
    "consequence": ("konsekvens", "consequence"),
    "what": ("åtgärd", "åtgärder", "planerad åtgärd", "measure", "what"),
    "desired_result": ("önskat resultat", "mål", "desired result", "desired_result"),
    "responsible": ("ansvarig", "vem", "responsible"),
    "due_date": ("klart senast", "när", "klart", "due", "due date", "due_date"),
    "follow_up_date": ("uppföljning", "uppföljningsdatum", "follow-up", "follow up",
                       "follow_up_date"),
    "status": ("status",),
    "done_on": ("genomförd", "genomförd datum", "klart datum", "done", "done on", "done_on"),
    "note": ("kommentar", "anteckning", "skäl", "note", "reason"),
}  # fmt: skip
REQUIRED = ("area", "what", "responsible", "due_date")
STATUS = {
    "planerad": "planned", "planned": "planned", "": "planned",
    "pågår": "in_progress", "pågående": "in_progress", "påbörjad": "in_progress",
    "in progress": "in_progress", "in_progress": "in_progress",
    "genomförd": "done", "klar": "done", "done": "done",
    "uppskjuten": "postponed", "postponed": "postponed",
    "struken": "cancelled", "cancelled": "cancelled",
}  # fmt: skip
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HEADER_SEARCH = 10
MAX_ERRORS = 200

Cell = str | int | float | date | datetime | None


@dataclass(frozen=True)
class MeasureRow:
    line: int
    what: str
    desired_result: str
    responsible: str
    due_date: date
    follow_up_date: date | None
    status: str
    done_on: date | None
    note: str


@dataclass
class ItemRow:
    line: int
    area: str
    current_state: str
    probability: int | None
    consequence: int | None
    measures: list[MeasureRow] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedPlan:
    items: list[ItemRow]
    columns: dict[str, str]  # field -> the header it was read from ("responsible": "Ansvarig")


class _Errors:
    def __init__(self, file: str, names: dict[str, str]) -> None:
        self.file, self.names = file, names
        self.rows: list[RowError] = []

    def add(self, line: int, key: str, en: str, sv: str) -> None:
        if len(self.rows) < MAX_ERRORS:
            self.rows.append(RowError(self.file, line, self.names.get(key, key), en, sv))


def text_of(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def parse_plan(rows: Sequence[tuple[int, Sequence[Cell]]], file: str) -> ParsedPlan:
    """``rows``: (line number, cells) as read from the file. Raises ImportInvalid."""
    found = _header(rows)
    if found is None:
        raise ImportInvalid([RowError(file, rows[0][0] if rows else 1, "", *_missing(REQUIRED))])
    at, columns, names = found
    errors = _Errors(file, names)
    items: list[ItemRow] = []
    for line, cells in rows[at + 1 :]:
        values = {k: text_of(cells[i]) if i < len(cells) else "" for k, i in columns.items()}
        if not any(values.values()):
            continue
        item = _item(line, values, items, errors)
        if item is not None:
            m = _measure(line, values, errors)
            if m is not None:
                item.measures.append(m)
    if not items and not errors.rows:
        errors.add(rows[-1][0] if rows else 1, "", "the plan has no rows", "planen har inga rader")
    if errors.rows:
        raise ImportInvalid(errors.rows)
    return ParsedPlan(items, names)


def _header(
    rows: Sequence[tuple[int, Sequence[Cell]]],
) -> tuple[int, dict[str, int], dict[str, str]] | None:
    """The header row among the first rows: where it is, field -> column, field -> name."""
    lookup = {alias: key for key, aliases in HEADERS.items() for alias in aliases}
    for n, (_, cells) in enumerate(rows[:HEADER_SEARCH]):
        columns: dict[str, int] = {}
        names: dict[str, str] = {}
        for i, cell in enumerate(cells):
            key = lookup.get(text_of(cell).lower().rstrip(":"))
            if key is not None and key not in columns:
                columns[key], names[key] = i, text_of(cell)
        if all(k in columns for k in REQUIRED):
            return n, columns, names
    return None


def _missing(keys: Sequence[str]) -> tuple[str, str]:
    sv = {"area": "område", "what": "åtgärd", "responsible": "ansvarig", "due_date": "klart senast"}
    return (
        f"no header row with the columns {', '.join(keys)}",
        f"ingen rubrikrad med kolumnerna {', '.join(sv.get(k, k) for k in keys)}",
    )


def _item(line: int, v: dict[str, str], items: list[ItemRow], errors: _Errors) -> ItemRow | None:
    area = v.get("area", "")
    if not area or (items and area == items[-1].area):
        if not items:
            errors.add(
                line, "area", "the first row needs an area", "första raden behöver ett område"
            )
            return None
        return items[-1]
    p = _scale(line, "probability", v.get("probability", ""), errors)
    c = _scale(line, "consequence", v.get("consequence", ""), errors)
    if bool(v.get("probability")) != bool(v.get("consequence")):
        errors.add(
            line,
            "consequence",
            "give both probability and consequence, or neither",
            "ange både sannolikhet och konsekvens, eller ingen",
        )
    items.append(ItemRow(line, area[:4000], v.get("current_state", "")[:4000], p, c))
    return items[-1]


def _measure(line: int, v: dict[str, str], errors: _Errors) -> MeasureRow | None:
    before = len(errors.rows)
    what, responsible = v.get("what", ""), v.get("responsible", "")
    if not what:
        errors.add(line, "what", "the measure is empty", "åtgärd saknas")
    if not responsible:
        errors.add(line, "responsible", "responsible is empty", "ansvarig saknas")
    elif not EMAIL.match(responsible) and role_from_text(responsible) is None:
        errors.add(
            line,
            "responsible",
            f"{responsible!r} is neither an e-mail nor a role (e.g. enhetschef, skyddsombud)",
            f"{responsible!r} är varken en e-postadress eller en roll (t.ex. enhetschef)",
        )
    due = _date(line, "due_date", v.get("due_date", ""), errors, required=True)
    follow = _date(line, "follow_up_date", v.get("follow_up_date", ""), errors)
    done = _date(line, "done_on", v.get("done_on", ""), errors)
    if due and follow and follow < due:
        errors.add(
            line, "follow_up_date", "follow-up is before the due date", "uppföljning före klart"
        )
    status = STATUS.get(v.get("status", "").lower())
    if status is None:
        errors.add(
            line,
            "status",
            f"unknown status {v['status']!r} (planerad, pågår, genomförd, uppskjuten, struken)",
            f"okänd status {v['status']!r} (planerad, pågår, genomförd, uppskjuten, struken)",
        )
    if status == "planned" and done is not None:
        status = "done"
    if status == "done" and done is None:
        errors.add(
            line, "done_on", "a done measure needs its date", "en genomförd åtgärd behöver datum"
        )
    if status in ("postponed", "cancelled") and not v.get("note"):
        errors.add(line, "note", "say why (postponed/cancelled)", "ange skäl (uppskjuten/struken)")
    if len(errors.rows) > before or due is None or status is None:
        return None
    return MeasureRow(
        line,
        what,
        v.get("desired_result", ""),
        responsible,
        due,
        follow,
        status,
        done,
        v.get("note", ""),
    )


def _scale(line: int, key: str, text: str, errors: _Errors) -> int | None:
    if not text:
        return None
    if text not in ("1", "2", "3", "4"):
        errors.add(line, key, f"must be 1–4, not {text!r}", f"måste vara 1–4, inte {text!r}")
        return None
    return int(text)


def _date(line: int, key: str, text: str, errors: _Errors, required: bool = False) -> date | None:
    if not text:
        if required:
            errors.add(line, key, "a date is required", "datum saknas")
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        errors.add(
            line,
            key,
            f"not a date (YYYY-MM-DD): {text!r}",
            f"inte ett datum (ÅÅÅÅ-MM-DD): {text!r}",
        )
        return None
