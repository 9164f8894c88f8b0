"""Reading an existing action plan (handlingsplan) from a spreadsheet's rows, as
organisations write them.

One row per measure. Columns are found by their header (Swedish or English, any order, line
breaks and case in the header ignored): nr, område/area, nuläge, sannolikhet, konsekvens,
åtgärd/aktivitet, önskat resultat/mål, ansvarig, klart senast/tidplan, uppföljning,
utvärdering, status, genomförd, kommentar (``HEADERS``). Above the header there may be a
title row and a header block ("Enhet: …", "Datum: …", "Ansvarig chef: …", "Deltagare: …"),
read into ``PlanHeader``.

- A row with an empty area (a merged cell) continues the area above; a numbered area
  column ("Nr") starts a new area at each new number.
- Dates are dates or periods (``engine.domain.period``: "feb 2017", "hösten 2017",
  "Q1 2017", "kontinuerligt" ...). Follow-up and evaluation cells may hold several, one a
  line (or separated by ";"); none when empty.
- Status is a dated history: the status cell ("Klart 13/10", "Pågår – offert begärd"),
  further columns headed by a date ("Status 2 sept", "Status 2019-12-01"), and repeated
  rows (a row with no measure under a measure adds to its history). Status words map to
  states (``STATUS``); the text after them is kept as the entry's note, once.
- Cell text is kept as written, line breaks included.

Every bad cell is reported with its file, line and column and the form expected, all at
once; nothing is imported while any is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from engine.domain.errors import ImportInvalid, RowError
from engine.domain.imports.positions import key_of
from engine.domain.period import Period, PeriodError, parse_period
from engine.domain.workflow.routing import role_from_text

HEADERS: dict[str, tuple[str, ...]] = {
    "number": ("nr", "nr.", "punkt", "no", "no.", "#"),
    "area": ("område", "förbättringsområde", "förbättringsområde/risk", "risk", "area",
             "identifierat område", "area/risk", "identifierad risk", "problemområde",
             "utvecklingsområde", "fokusområde", "identifierat problem/risk"),
    "current_state": ("nuläge", "nulägesbeskrivning", "current state", "current_state"),
    "probability": ("sannolikhet", "probability"),
    "consequence": ("konsekvens", "consequence"),
    "what": ("åtgärd", "åtgärder", "planerad åtgärd", "planerade åtgärder", "aktivitet",
             "aktiviteter", "insats", "insatser", "åtgärd/aktivitet", "vad ska göras",
             "vad", "measure", "what", "action"),
    "desired_result": ("önskat resultat", "mål", "förväntat resultat", "förväntad effekt",
                       "effektmål", "desired result", "desired_result", "goal"),
    "responsible": ("ansvarig", "ansvar", "vem", "ansvarig funktion", "vem ansvarar",
                    "responsible", "owner"),
    "due_date": ("klart senast", "när", "klart", "tidplan", "tidsplan", "när klart",
                 "klart när", "tidpunkt", "klart till", "deadline", "due", "due date",
                 "due_date", "when"),
    "follow_up_date": ("uppföljning", "uppföljningsdatum", "följs upp", "uppföljning när",
                       "follow-up", "follow up", "follow_up_date"),
    "evaluation": ("utvärdering", "utvärderas", "utvärderingsdatum", "evaluation"),
    "status": ("status", "status/kommentar", "läge"),
    "done_on": ("genomförd", "genomförd datum", "klart datum", "datum klart", "done",
                "done on", "done_on"),
    "note": ("kommentar", "kommentarer", "anteckning", "skäl", "note", "reason", "notes"),
}  # fmt: skip
REQUIRED = ("area", "what", "responsible", "due_date")
#: Status words as organisations write them -> the state (longest match first).
STATUS: dict[str, str] = {
    "inte påbörjat": "planned", "inte påbörjad": "planned", "ej påbörjat": "planned",
    "ej påbörjad": "planned", "ej startad": "planned", "planerad": "planned",
    "planerat": "planned", "planned": "planned", "not started": "planned",
    "ständigt pågående": "in_progress", "pågår": "in_progress", "pågående": "in_progress",
    "påbörjad": "in_progress", "påbörjat": "in_progress", "in progress": "in_progress",
    "in_progress": "in_progress", "ongoing": "in_progress",
    "klart": "done", "klar": "done", "genomförd": "done", "genomfört": "done",
    "avklarad": "done", "avslutad": "done", "done": "done", "completed": "done",
    "uppskjuten": "postponed", "uppskjutet": "postponed", "framflyttad": "postponed",
    "postponed": "postponed",
    "struken": "cancelled", "strukken": "cancelled", "avbruten": "cancelled",
    "cancelled": "cancelled",
}  # fmt: skip
STATUS_WORDS = "Klart, Pågår, Inte påbörjat, Planerad, Ständigt pågående, Uppskjuten, Struken"
HEADER_BLOCK: dict[str, tuple[str, ...]] = {
    "scope": ("enhet", "verksamhet", "förvaltning", "avdelning", "gäller", "omfattar",
              "unit", "scope"),
    "plan_date": ("datum", "upprättad", "planens datum", "date", "plan date"),
    "responsible_manager": ("ansvarig chef", "ansvarig", "chef", "responsible manager"),
    "participants": ("deltagare", "deltagare i framtagandet", "framtagen av", "participants"),
}  # fmt: skip
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HEADER_SEARCH = 10
MAX_ERRORS = 200
_WS = re.compile(r"\s+")
_LEADING_DATE = re.compile(
    r"^(\d{4}-\d\d?-\d\d?|\d\d?/\d\d?(?:[ -/]\d{4})?|\d\d?\.? ?[a-zåäö]{3,9}\.?(?: \d{4})?)"
    r"(?![\wåäö])"
)
_SPLIT = re.compile(r"\s*(?:\n|;)\s*")

Cell = str | int | float | date | datetime | None


@dataclass(frozen=True)
class StatusRow:
    """One dated entry of a measure's history as the file has it."""

    line: int
    about: date | None  # the day it is about; None: the day of the import
    status: str | None  # the state, or None for a note that leaves the state as it is
    note: str


@dataclass(frozen=True)
class FollowUpRow:
    kind: str  # "follow_up" or "evaluation"
    period: Period


@dataclass
class MeasureRow:
    line: int
    what: str
    desired_result: str
    responsible: str
    due: Period
    follow_ups: tuple[FollowUpRow, ...]
    done_on: date | None
    statuses: list[StatusRow] = field(default_factory=list)

    @property
    def due_date(self) -> date | None:
        return self.due.end

    @property
    def due_label(self) -> str:
        return self.due.shown

    @property
    def follow_up_labels(self) -> list[str]:
        return [f.period.shown for f in self.follow_ups]

    @property
    def follow_up_date(self) -> date | None:
        ends = [f.period.end for f in self.follow_ups if f.period.end is not None]
        return min(ends) if ends else None

    @property
    def status(self) -> str:
        """The state after its whole history (planned when none is given)."""
        states = [s.status for s in self.ordered_statuses() if s.status is not None]
        return states[-1] if states else "planned"

    @property
    def note(self) -> str:
        return "\n".join(s.note for s in self.statuses if s.note)

    def ordered_statuses(self) -> list[StatusRow]:
        """By the day they are about (undated ones last, in the order of the file)."""
        return sorted(self.statuses, key=lambda s: (s.about is None, s.about or date.min))


@dataclass
class ItemRow:
    line: int
    area: str
    current_state: str
    probability: int | None
    consequence: int | None
    measures: list[MeasureRow] = field(default_factory=list)
    number: str = ""
    broken: bool = field(default=False, repr=False)  # its last measure row was wrong


@dataclass(frozen=True)
class PlanHeader:
    title: str = ""
    scope: str = ""
    plan_date: date | None = None
    responsible_manager: str = ""
    participants: tuple[tuple[str, str], ...] = ()  # (name, organisation)


@dataclass(frozen=True)
class ParsedPlan:
    items: list[ItemRow]
    columns: dict[str, str]  # field -> the header it was read from ("responsible": "Ansvarig")
    header: PlanHeader = field(default_factory=PlanHeader)


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
    return str(cell).replace("\r\n", "\n").strip()


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip().lower().rstrip(":*").strip()


def parse_plan(
    rows: Sequence[tuple[int, Sequence[Cell]]],
    file: str,
    *,
    default_year: int | None = None,
    titles: frozenset[str] = frozenset(),
    listed: Sequence[str] = (),
) -> ParsedPlan:
    """``rows``: (line number, cells) as read from the file. Raises ImportInvalid.
    ``default_year`` completes dates written without a year ("klar 13/10"); ``titles``:
    the positions and groups that exist (folded, ``positions.key_of``), ``listed`` as
    written, for the error that names them."""
    found = _header(rows)
    if found is None:
        raise ImportInvalid.at(file, rows[0][0] if rows else 1, *_missing(REQUIRED))
    at, columns, names, dated = found
    errors = _Errors(file, names)
    header = _header_block(rows[:at], errors, default_year)
    year = default_year or (header.plan_date.year if header.plan_date else None)
    status_columns: list[tuple[int, date | None, str]] = []
    if "status" in columns:
        status_columns.append((columns["status"], None, "status"))
    for i, (name, when) in dated.items():
        key = f"status@{i}"
        names[key] = name
        try:
            status_columns.append((i, parse_period(when, default_year=year).end, key))
        except PeriodError as exc:
            errors.add(rows[at][0], key, exc.message_en, exc.message_sv)
    items: list[ItemRow] = []
    for line, cells in rows[at + 1 :]:
        values = {k: text_of(cells[i]) if i < len(cells) else "" for k, i in columns.items()}
        stated = [
            (about, key, text_of(cells[i]) if i < len(cells) else "")
            for i, about, key in status_columns
        ]
        if not any(values.values()) and not any(t for _, _, t in stated):
            continue
        _row(line, values, stated, items, errors, (year, titles, tuple(listed)))
    if not items and not errors.rows:
        errors.add(rows[-1][0] if rows else 1, "", "the plan has no rows", "planen har inga rader")
    for item in items:
        for m in item.measures:
            _check_history(m, errors)
    if errors.rows:
        raise ImportInvalid(errors.rows)
    return ParsedPlan(items, {k: v for k, v in names.items() if "@" not in k}, header)


def _header(
    rows: Sequence[tuple[int, Sequence[Cell]]],
) -> tuple[int, dict[str, int], dict[str, str], dict[int, tuple[str, str]]] | None:
    """The header row among the first rows: where it is, field -> column, field -> name,
    and the dated status columns (column -> (header, the date as written))."""
    lookup = {alias: key for key, aliases in HEADERS.items() for alias in aliases}
    for n, (_, cells) in enumerate(rows[:HEADER_SEARCH]):
        columns: dict[str, int] = {}
        names: dict[str, str] = {}
        dated: dict[int, tuple[str, str]] = {}
        for i, cell in enumerate(cells):
            text = _norm(text_of(cell))
            key = lookup.get(text)
            if key is not None and key not in columns:
                columns[key], names[key] = i, _WS.sub(" ", text_of(cell))
            elif text.startswith(("status ", "status per ", "status:")) and key is None:
                when = text.removeprefix("status").strip(" :").removeprefix("per ").strip()
                dated[i] = (_WS.sub(" ", text_of(cell)), when)
        if all(k in columns for k in REQUIRED):
            return n, columns, names, dated
    return None


def _header_block(
    rows: Sequence[tuple[int, Sequence[Cell]]], errors: _Errors, year: int | None
) -> PlanHeader:
    """The title row and "Label: value" lines above the table."""
    lookup = {alias: key for key, aliases in HEADER_BLOCK.items() for alias in aliases}
    title, found = "", dict[str, tuple[int, str]]()
    for line, cells in rows:
        texts = [text_of(c) for c in cells if text_of(c)]
        if not texts:
            continue
        label, _, rest = texts[0].partition(":")
        key = lookup.get(_norm(label))
        values = [x for x in (rest.strip(), *texts[1:]) if x]
        if key is not None and values:
            value = "; ".join(values) if key == "participants" else values[0]
            found.setdefault(key, (line, value))
        elif not title:
            title = texts[0]
    plan_date = None
    if "plan_date" in found:
        line, value = found["plan_date"]
        try:
            plan_date = parse_period(value, default_year=year).end
        except PeriodError as exc:
            errors.add(line, "plan_date", exc.message_en, exc.message_sv)
    people: list[tuple[str, str]] = []
    for part in _SPLIT.split(found.get("participants", (0, ""))[1].replace(",", ";")):
        name, _, org = part.partition("(")
        if name.strip():
            people.append((name.strip(), org.rstrip(") ").strip()))
    return PlanHeader(
        title,
        found.get("scope", (0, ""))[1],
        plan_date,
        found.get("responsible_manager", (0, ""))[1],
        tuple(people),
    )


def _missing(keys: Sequence[str]) -> tuple[str, str]:
    sv = {"area": "område", "what": "åtgärd", "responsible": "ansvarig", "due_date": "klart senast"}
    return (
        f"no header row with the columns {', '.join(keys)}",
        f"ingen rubrikrad med kolumnerna {', '.join(sv.get(k, k) for k in keys)}",
    )


def _row(
    line: int,
    v: dict[str, str],
    stated: list[tuple[date | None, str, str]],
    items: list[ItemRow],
    errors: _Errors,
    known: tuple[int | None, frozenset[str], tuple[str, ...]],
) -> None:
    year = known[0]
    item = _item(line, v, items, errors)
    if item is None:
        return
    what = v.get("what", "")
    previous = item.measures[-1] if item.measures else None
    repeated = not v.get("due_date") and not v.get("responsible")
    if item.broken and repeated and not what:
        return  # more history for a measure already reported as wrong
    if previous is not None and (not what or what == previous.what) and repeated:
        # a repeated row: more history for the measure above
        previous.statuses += _statuses(line, v, stated, errors, year)
        return
    m = _measure(line, v, errors, known)
    item.broken = m is None
    if m is not None:
        m.statuses += _statuses(line, v, stated, errors, year)
        if m.done_on is not None and not any(s.status == "done" for s in m.statuses):
            m.statuses.append(StatusRow(line, m.done_on, "done", ""))
        item.measures.append(m)


def _item(line: int, v: dict[str, str], items: list[ItemRow], errors: _Errors) -> ItemRow | None:
    area, number = v.get("area", ""), v.get("number", "")
    last = items[-1] if items else None
    new_number = bool(number) and last is not None and number != last.number
    if last is not None and not new_number and (not area or area == last.area):
        return last
    if not area:
        errors.add(line, "area", "the first row needs an area", "första raden behöver ett område")
        return None
    p = _scale(line, "probability", v.get("probability", ""), errors)
    c = _scale(line, "consequence", v.get("consequence", ""), errors)
    if bool(v.get("probability")) != bool(v.get("consequence")):
        errors.add(
            line,
            "consequence",
            "give both probability and consequence, or neither",
            "ange både sannolikhet och konsekvens, eller ingen",
        )
    items.append(ItemRow(line, area[:4000], v.get("current_state", "")[:4000], p, c, number=number))
    return items[-1]


def _measure(
    line: int,
    v: dict[str, str],
    errors: _Errors,
    known: tuple[int | None, frozenset[str], tuple[str, ...]],
) -> MeasureRow | None:
    year, titles, listed = known
    before = len(errors.rows)
    what, responsible = v.get("what", ""), v.get("responsible", "")
    if not what:
        errors.add(line, "what", "the measure is empty", "åtgärd saknas")
    if not responsible:
        errors.add(line, "responsible", "responsible is empty", "ansvarig saknas")
    elif (
        not EMAIL.match(responsible)
        and role_from_text(responsible) is None
        and key_of(responsible) not in titles
    ):
        names = ", ".join(listed) or "–"
        errors.add(
            line,
            "responsible",
            f"{responsible!r} is no person (e-mail), role (e.g. enhetschef, skyddsombud) or "
            f"position; the positions and groups that exist: {names}",
            f"{responsible!r} är varken en person (e-post), en roll (t.ex. enhetschef) eller "
            f"en befattning; de befattningar och grupper som finns: {names}",
        )
    due = _period(line, "due_date", v.get("due_date", ""), errors, year)
    if due is None and not v.get("due_date"):
        errors.add(
            line,
            "due_date",
            "a date or period is required (e.g. 2017-02-15, hösten 2017, kontinuerligt)",
            "datum eller period saknas (t.ex. 2017-02-15, hösten 2017, kontinuerligt)",
        )
    follow_ups: list[FollowUpRow] = []
    for key, kind in (("follow_up_date", "follow_up"), ("evaluation", "evaluation")):
        for part in _SPLIT.split(v.get(key, "")):
            p = _period(line, key, part, errors, year)
            if p is None:
                continue
            if due is not None and due.start and p.end and p.end < due.start:
                errors.add(line, key, "follow-up is before the due date", "uppföljning före klart")
            follow_ups.append(FollowUpRow(kind, p))
    done_p = _period(line, "done_on", v.get("done_on", ""), errors, year)
    if len(errors.rows) > before or due is None:
        return None
    done = done_p.end if done_p is not None else None
    return MeasureRow(
        line, what, v.get("desired_result", ""), responsible, due, tuple(follow_ups), done
    )


def _statuses(
    line: int,
    v: dict[str, str],
    stated: list[tuple[date | None, str, str]],
    errors: _Errors,
    year: int | None,
) -> list[StatusRow]:
    """The row's dated entries: its status cell (with the comment), then its dated columns."""
    out: list[StatusRow] = []
    comment = v.get("note", "")
    main_seen = False
    for about, key, text in stated:
        if key == "status":
            main_seen = True
            entry = _status_text(line, key, text, about, errors, year)
            note = "\n".join(x for x in (entry.note if entry else "", comment) if x)
            if entry is not None and (entry.status is not None or note):
                out.append(StatusRow(line, entry.about, entry.status, note))
            elif entry is None and comment:
                out.append(StatusRow(line, None, None, comment))
        elif text:
            entry = _status_text(line, key, text, about, errors, year)
            if entry is not None:
                out.append(entry)
    if not main_seen and comment:
        out.append(StatusRow(line, None, None, comment))
    return out


def _status_text(
    line: int, key: str, text: str, about: date | None, errors: _Errors, year: int | None
) -> StatusRow | None:
    """'Klart 13/10', 'Pågår: offert begärd', 'status 2 sept: intervjuer klara', or a note."""
    if not text:
        return StatusRow(line, about, None, "")
    rest = text.strip()
    low = rest.lower()
    if low.startswith("status "):
        rest = rest[7:].lstrip(" :")
    rest, when = _leading_date(rest, year)
    status = None
    low = rest.lower()
    for word in sorted(STATUS, key=len, reverse=True):
        if low.startswith(word) and not low[len(word) : len(word) + 1].isalpha():
            status, rest = STATUS[word], rest[len(word) :].lstrip(" :,.–-")
            break
    if when is None:
        rest, when = _leading_date(rest, year)
    if status is None and not rest:
        errors.add(
            line,
            key,
            f"unknown status {text!r} ({STATUS_WORDS}, or a note)",
            f"okänd status {text!r} ({STATUS_WORDS}, eller en anteckning)",
        )
        return None
    return StatusRow(line, when or about, status, rest.lstrip(" :,.–-").strip())


def _leading_date(text: str, year: int | None) -> tuple[str, date | None]:
    m = _LEADING_DATE.match(text.lower())
    if m is None:
        return text, None
    try:
        p = parse_period(m.group(1), default_year=year)
    except PeriodError:
        return text, None
    return text[m.end() :].lstrip(" :,.–-"), p.end


def _check_history(m: MeasureRow, errors: _Errors) -> None:
    for s in m.statuses:
        if s.status in ("postponed", "cancelled") and not s.note:
            errors.add(
                s.line, "note", "say why (postponed/cancelled)", "ange skäl (uppskjuten/struken)"
            )
    done = [s for s in m.statuses if s.status == "done"]
    if done and all(s.about is None for s in done) and m.done_on is None:
        errors.add(
            done[0].line,
            "done_on" if "done_on" in errors.names else "status",
            "a done measure needs its date (e.g. 'Klart 2017-10-13' or the done column)",
            "en genomförd åtgärd behöver datum (t.ex. 'Klart 2017-10-13' eller kolumnen genomförd)",
        )
    if m.done_on is None and done:
        dated = [s.about for s in done if s.about is not None]
        m.done_on = dated[-1] if dated else None
    elif m.done_on is not None:
        m.statuses = [
            StatusRow(s.line, m.done_on, s.status, s.note)
            if s.status == "done" and s.about is None
            else s
            for s in m.statuses
        ]


def _scale(line: int, key: str, text: str, errors: _Errors) -> int | None:
    if not text:
        return None
    if text not in ("1", "2", "3", "4"):
        errors.add(line, key, f"must be 1–4, not {text!r}", f"måste vara 1–4, inte {text!r}")
        return None
    return int(text)


def _period(line: int, key: str, text: str, errors: _Errors, year: int | None) -> Period | None:
    if not text:
        return None
    try:
        return parse_period(text[:64], default_year=year)
    except PeriodError as exc:
        errors.add(line, key, exc.message_en, exc.message_sv)
        return None
