"""Sick leave per unit and period, from an HR system's export (CSV or XLSX).

A row per unit and period: the unit's code, the period (a month ``2027-03``, a quarter
``2027-Q1`` / ``2027-K1``, or a year ``2027``), short-term sick leave (spells shorter than 14
days) and long-term sick leave as per cent of scheduled time, and the headcount. Swedish or
English headings (``HEADINGS``). Every bad cell is named ``file:line: column`` before
anything is written; a period imported again replaces the unit's figures for it (the audit
event says how many were new and how many replaced).

Figures of a unit with fewer employees than ``absence_min_headcount`` are not shown: sick
leave is health data, and in a small group it points at people.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from engine.context import Actor, App, Tx
from engine.db.models.followup.surveys import AbsenceFigure
from engine.domain.errors import ImportInvalid, RowError
from engine.domain.imports.plan import Cell
from engine.plans.sheets import column_letter, read_rows
from engine.surveys.common import require_top_admin, tree
from engine.surveys.imports import MAX_ERRORS, _cell_text, _number, _renamed, limits
from engine.surveys.results import visible_units

CHAIN = "absence"
HEADINGS = {
    "enhet": "unit",
    "enhetskod": "unit",
    "unit": "unit",
    "period": "period",
    "månad": "period",
    "month": "period",
    "korttid": "short_term",
    "korttidsfrånvaro": "short_term",
    "korttidssjukfrånvaro": "short_term",
    "short_term": "short_term",
    "short-term": "short_term",
    "långtid": "long_term",
    "långtidsfrånvaro": "long_term",
    "långtidssjukfrånvaro": "long_term",
    "long_term": "long_term",
    "long-term": "long_term",
    "antal anställda": "headcount",
    "anställda": "headcount",
    "headcount": "headcount",
}
NEEDED = ("unit", "period", "short_term", "long_term", "headcount")
PERIOD = re.compile(r"(\d{4})(?:-(\d{1,2})|-?[QqKk]([1-4]))?")


def parse_period(text: str) -> tuple[int, date] | None:
    """(year, first day) of a period, or None when it is none of the three forms."""
    m = PERIOD.fullmatch(text.strip())
    if m is None:
        return None
    year = int(m.group(1))
    if not 2000 <= year <= 2100:
        return None
    if m.group(2):
        month = int(m.group(2))
        return (year, date(year, month, 1)) if 1 <= month <= 12 else None
    if m.group(3):
        return year, date(year, 3 * int(m.group(3)) - 2, 1)
    return year, date(year, 1, 1)


def canonical(text: str) -> str:
    m = PERIOD.fullmatch(text.strip())
    assert m is not None
    if m.group(2):
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    if m.group(3):
        return f"{m.group(1)}-Q{m.group(3)}"
    return m.group(1)


@dataclass
class AbsenceReport:
    rows: int = 0
    units: int = 0
    periods: list[str] = field(default_factory=list)
    new: int = 0
    replaced: int = 0
    applied: bool = False


@dataclass(frozen=True)
class _Row:
    line: int
    unit_id: int
    period: str
    year: int
    starts_on: date
    short: float
    long: float
    headcount: int


def _parse(
    rows: Sequence[tuple[int, list[Cell]]], units: dict[str, int], filename: str
) -> list[_Row]:
    errors: list[RowError] = []

    def bad(line: int, column: str, en: str, sv: str) -> None:
        if len(errors) < MAX_ERRORS:
            errors.append(RowError(filename, line, column, en, sv))

    if not rows:
        raise ImportInvalid.at(filename, 1, "the file is empty", "filen är tom")
    cols: dict[str, int] = {}
    for i, h in enumerate(rows[0][1]):
        what = HEADINGS.get(_cell_text(h).casefold())
        if what and what not in cols:
            cols[what] = i
    for what in NEEDED:
        if what not in cols:
            names = "/".join(k for k, v in HEADINGS.items() if v == what)
            bad(1, "", f"no column {names}", f"ingen kolumn {names}")
    if errors:
        raise ImportInvalid(errors)
    out: list[_Row] = []
    seen: dict[tuple[int, str], int] = {}
    for line, cells in rows[1:]:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue

        def cell(what: str, cells: list[Cell] = cells) -> Cell:
            i = cols[what]
            return cells[i] if i < len(cells) else None

        def where(what: str) -> str:
            return f"{column_letter(cols[what])} ({_cell_text(rows[0][1][cols[what]])})"

        code = _cell_text(cell("unit"))
        unit = units.get(code)
        if unit is None:
            bad(line, where("unit"), f"no active unit has code {code!r}",
                f"ingen aktiv enhet har koden {code!r}")  # fmt: skip
        text = _cell_text(cell("period"))
        parsed = parse_period(text)
        if parsed is None:
            bad(line, where("period"),
                f"{text!r} is not a period (2027-03, 2027-Q1 or 2027)",
                f"{text!r} är ingen period (2027-03, 2027-K1 eller 2027)")  # fmt: skip
        pct: dict[str, float] = {}
        for what in ("short_term", "long_term"):
            raw = cell(what)
            try:
                value = _number(raw.replace("%", "") if isinstance(raw, str) else raw)
                if value is None or not 0 <= value <= 100:
                    raise ValueError(value)
                pct[what] = value
            except ValueError:
                bad(line, where(what), f"{_cell_text(raw)!r} is not a per cent from 0 to 100",
                    f"{_cell_text(raw)!r} är ingen procentsats från 0 till 100")  # fmt: skip
        try:
            heads = _number(cell("headcount"))
            if heads is None or heads < 0 or not heads.is_integer():
                raise ValueError(heads)
        except ValueError:
            bad(line, where("headcount"), "the headcount must be a whole number, 0 or more",
                "antalet anställda måste vara ett heltal, 0 eller fler")  # fmt: skip
            heads = None
        if unit is None or parsed is None or len(pct) < 2 or heads is None:
            continue
        period = canonical(text)
        if (unit, period) in seen:
            bad(line, where("period"), f"{code} {period} is on line {seen[(unit, period)]} too",
                f"{code} {period} finns även på rad {seen[(unit, period)]}")  # fmt: skip
            continue
        seen[(unit, period)] = line
        out.append(
            _Row(line, unit, period, parsed[0], parsed[1], pct["short_term"],
                 pct["long_term"], int(heads))
        )  # fmt: skip
    if errors:
        raise ImportInvalid(errors)
    return out


def import_absence(
    app: App, actor: Actor, *, filename: str, content: bytes, dry_run: bool = False
) -> AbsenceReport:
    """Import an HR export of sick leave; HR or a director at the top of the organisation."""
    settings = app.settings
    if len(content) > settings.survey_max_bytes:
        raise ImportInvalid(
            [RowError(filename, 1, "",
                      f"the file is larger than {settings.survey_max_bytes} bytes "
                      "(SAMFLOW_SURVEY_MAX_BYTES)",
                      f"filen är större än {settings.survey_max_bytes} byte "
                      "(SAMFLOW_SURVEY_MAX_BYTES)")]
        )  # fmt: skip
    with app.read() as s:
        require_top_admin(s, app, actor)
    try:
        rows = read_rows(filename, content, limits(settings))
    except ImportInvalid as exc:
        raise ImportInvalid([_renamed(r) for r in exc.rows]) from None

    def work(tx: Tx) -> AbsenceReport:
        s = tx.session
        require_top_admin(s, app, actor)
        parsed = _parse(rows, tree(s).by_code, filename)
        report = AbsenceReport(rows=len(parsed))
        report.units = len({r.unit_id for r in parsed})
        report.periods = sorted({r.period for r in parsed})
        existing = {
            (f.unit_id, f.period): f
            for f in s.scalars(
                select(AbsenceFigure).where(AbsenceFigure.period.in_(report.periods))
            )
        }
        for r in parsed:
            found = existing.get((r.unit_id, r.period))
            if found is None:
                found = AbsenceFigure(unit_id=r.unit_id, period=r.period)
                s.add(found)
                report.new += 1
            else:
                report.replaced += 1
            found.year, found.starts_on = r.year, r.starts_on
            found.short_term_pct, found.long_term_pct = r.short, r.long
            found.headcount = r.headcount
            found.imported_at, found.imported_by = tx.now, actor.person_id
        s.flush()
        report.applied = True
        tx.record(
            CHAIN,
            "absence.imported",
            "absence_import",
            filename[:200],
            actor,
            data={
                "file": filename,
                "rows": report.rows,
                "units": report.units,
                "periods": report.periods,
                "new": report.new,
                "replaced": report.replaced,
            },
        )
        return report

    if dry_run:
        report = app.preview(work)
        report.applied = False
        return report
    return app.run(work)


# --- reading ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    period: str
    short_term: float
    long_term: float
    headcount: int


@dataclass(frozen=True)
class UnitAbsence:
    unit_id: int
    code: str
    name: str
    depth: int
    hidden: bool  # too few employees to show
    periods: list[Period]
    short_term: float | None  # the year's, weighted by headcount
    long_term: float | None
    last_short_term: float | None
    last_long_term: float | None

    def change(self) -> float | None:
        if self.short_term is None or self.last_short_term is None:
            return None
        return round(self.short_term - self.last_short_term, 1)


def _period(r: AbsenceFigure) -> Period:
    return Period(r.period, r.short_term_pct, r.long_term_pct, r.headcount)


def _mean(rows: list[AbsenceFigure], attr: str) -> float | None:
    weight = sum(r.headcount for r in rows)
    if not rows:
        return None
    values: list[float] = [float(getattr(r, attr)) for r in rows]
    if weight == 0:
        return round(sum(values) / len(rows), 1)
    return round(sum(v * r.headcount for v, r in zip(values, rows, strict=True)) / weight, 1)


def year_absence(app: App, actor: Actor, year: int, root: str | None = None) -> list[UnitAbsence]:
    with app.read() as s:
        t = tree(s)
        units = visible_units(s, app, actor, t, root)
        wanted = set(units)
        got: dict[tuple[int, int], list[AbsenceFigure]] = {}
        for f in s.scalars(
            select(AbsenceFigure)
            .where(AbsenceFigure.year.in_([year, year - 1]))
            .order_by(AbsenceFigure.starts_on, AbsenceFigure.period)
        ):
            if f.unit_id in wanted:
                got.setdefault((f.unit_id, f.year), []).append(f)
        out = []
        minimum = app.settings.absence_min_headcount
        for u in units:
            now, before = got.get((u, year), []), got.get((u, year - 1), [])
            if not now and not before:
                continue
            hidden = any(r.headcount < minimum for r in now + before)
            out.append(
                UnitAbsence(
                    u,
                    t.code[u],
                    t.name[u],
                    t.depth(u),
                    hidden,
                    [] if hidden else [_period(r) for r in now],
                    None if hidden else _mean(now, "short_term_pct"),
                    None if hidden else _mean(now, "long_term_pct"),
                    None if hidden else _mean(before, "short_term_pct"),
                    None if hidden else _mean(before, "long_term_pct"),
                )
            )
        return out
