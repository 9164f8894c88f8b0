"""Importing a survey export: every unit's indices up the tree, suppressed, in one step.

The file (CSV or XLSX, read by ``engine.plans.sheets`` within the survey limits) is checked
row by row against its mapping; every bad cell is named ``file:line: column`` and nothing
is written while one remains. The answers are summed per unit in memory and dropped: what is
stored is each unit's published cell (``engine.db.models.followup.surveys``). Importing a year again
replaces its figures (the earlier import is marked replaced) with the audit event
``survey.reimported``; the first import of a year records ``survey.imported``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db.models.followup.surveys import SurveyImport, SurveyMapping, SurveyResult
from engine.domain.errors import ImportInvalid, InvalidInput, RowError
from engine.domain.followup.surveys import (
    DERIVABLE,
    NO_ANSWERS,
    QUESTIONS,
    TOO_FEW,
    Tally,
    indices,
    roll_up,
    scaled,
    suppress,
)
from engine.domain.imports.plan import Cell
from engine.plans.sheets import SheetLimits, column_letter, read_rows
from engine.settings import Settings
from engine.surveys.common import Tree, require_top_admin, tree
from engine.surveys.mapping import CHAIN, MappingSpec, _spec

#: At most this many bad cells are reported (the first ones); the file is refused anyway.
MAX_ERRORS = 200


@dataclass
class ImportReport:
    year: int
    survey_name: str
    mapping: str
    layout: str
    rows: int = 0
    respondents: int = 0
    incomplete: int = 0
    units_with_answers: int = 0
    shown: int = 0
    too_few: int = 0
    derivable: int = 0
    replaced: bool = False
    applied: bool = False
    import_id: int | None = None
    hme: float | None = None  # the organisation's (the top unit's), when shown
    top: list[dict[str, Any]] = field(default_factory=list)


def limits(s: Settings) -> SheetLimits:
    base = SheetLimits.of(s)
    return SheetLimits(
        s.survey_max_rows,
        base.columns,
        s.survey_max_cells,
        base.members,
        base.unpacked,
        base.ratio,
        base.sheet_bytes,
        base.part_bytes,
    )


def _cell_text(c: Cell) -> str:
    if c is None:
        return ""
    if isinstance(c, float) and c.is_integer():
        return str(int(c))
    return str(c).strip()


def _number(c: Cell) -> float | None:
    """A number from a cell (``4``, ``4.0``, ``"4,5"``); None when blank; ValueError else."""
    if c is None or (isinstance(c, str) and not c.strip()):
        return None
    if isinstance(c, bool) or not isinstance(c, int | float | str):
        raise ValueError(c)
    value = float(c.strip().replace(",", ".")) if isinstance(c, str) else float(c)
    if not math.isfinite(value):
        raise ValueError(c)
    return value


@dataclass
class _Parsed:
    direct: dict[int, Tally]
    invited: dict[int, int]
    rows: int
    incomplete: int


class _Errors:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.rows: list[RowError] = []

    def add(self, line: int, column: str, en: str, sv: str) -> None:
        if len(self.rows) < MAX_ERRORS:
            self.rows.append(RowError(self.filename, line, column, en, sv))

    def raise_any(self) -> None:
        if self.rows:
            raise ImportInvalid(self.rows)


def _columns(spec: MappingSpec, header: Sequence[Cell], errors: _Errors) -> dict[str, int]:
    """Heading -> index for what the mapping names; a missing heading is named."""
    found = {_cell_text(h).casefold(): i for i, h in reversed(list(enumerate(header)))}
    out: dict[str, int] = {}
    wanted = {"unit": spec.unit_column, **spec.columns}
    if spec.layout == "unit":
        wanted["count"] = spec.count_column
    if spec.invited_column:
        wanted["invited"] = spec.invited_column
    for what, heading in wanted.items():
        index = found.get(heading.casefold())
        if index is None:
            errors.add(
                1,
                heading,
                f"no column {heading!r} (mapping {spec.key})",
                f"ingen kolumn {heading!r} (mappningen {spec.key})",
            )
        else:
            out[what] = index
    return out


def parse_rows(
    spec: MappingSpec, rows: list[tuple[int, list[Cell]]], units: dict[str, int], filename: str
) -> _Parsed:
    """The direct tally of each unit, or every bad cell named (nothing half-read)."""
    errors = _Errors(filename)
    if not rows:
        errors.add(1, "", "the file is empty", "filen är tom")
        errors.raise_any()
    cols = _columns(spec, rows[0][1], errors)
    errors.raise_any()
    low, high = spec.scale_low, spec.scale_high
    direct: dict[int, Tally] = {}
    invited: dict[int, int] = {}
    seen_units: set[int] = set()
    incomplete = count = 0
    for line, cells in rows[1:]:

        def cell(what: str, cells: list[Cell] = cells) -> Cell:
            i = cols[what]
            return cells[i] if i < len(cells) else None

        def where(what: str) -> str:
            i = cols[what]
            heading = (
                spec.columns.get(what)
                or {
                    "unit": spec.unit_column,
                    "count": spec.count_column,
                    "invited": spec.invited_column,
                }[what]
            )
            return f"{column_letter(i)} ({heading})"

        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue  # a blank line
        count += 1
        code = _cell_text(cell("unit"))
        unit = units.get(code)
        if unit is None:
            errors.add(
                line,
                where("unit"),
                f"no active unit has code {code!r}" if code else "a unit code is needed",
                f"ingen aktiv enhet har koden {code!r}" if code else "en enhetskod behövs",
            )
        values: list[float | None] = []
        bad = False
        for q in QUESTIONS:
            try:
                v = _number(cell(q))
                if v is not None and (
                    not low <= v <= high or (spec.layout == "respondent" and not v.is_integer())
                ):
                    raise ValueError(v)
            except ValueError:
                raw = _cell_text(cell(q))
                kind_en = "a whole number" if spec.layout == "respondent" else "a mean"
                kind_sv = "ett heltal" if spec.layout == "respondent" else "ett medelvärde"
                errors.add(
                    line,
                    where(q),
                    f"{raw!r} is not {kind_en} from {low} to {high}",
                    f"{raw!r} är inte {kind_sv} från {low} till {high}",
                )
                bad = True
                continue
            values.append(None if v is None else scaled(v, low, high))
        answers = 1
        if spec.layout == "unit":
            try:
                n = _number(cell("count"))
                if n is None or n < 0 or not n.is_integer():
                    raise ValueError(n)
                answers = int(n)
            except ValueError:
                errors.add(
                    line,
                    where("count"),
                    "the number of answers must be a whole number, 0 or more",
                    "antalet svar måste vara ett heltal, 0 eller fler",
                )
                bad = True
            if unit is not None and unit in seen_units:
                errors.add(
                    line,
                    where("unit"),
                    f"{code} is on an earlier row too",
                    f"{code} finns även på en tidigare rad",
                )
                bad = True
            if unit is not None:
                seen_units.add(unit)
            if answers > 0 and not bad and any(v is None for v in values):
                errors.add(
                    line,
                    where("unit"),
                    "a unit with answers needs a mean for each of the nine questions",
                    "en enhet med svar behöver ett medelvärde för var och en av de nio frågorna",
                )
                bad = True
        if "invited" in cols and unit is not None:
            try:
                asked = _number(cell("invited"))
                if asked is not None:
                    if asked < 0 or not asked.is_integer():
                        raise ValueError(asked)
                    invited[unit] = invited.get(unit, 0) + int(asked)
            except ValueError:
                errors.add(
                    line,
                    where("invited"),
                    "the number asked must be a whole number, 0 or more",
                    "antalet tillfrågade måste vara ett heltal, 0 eller fler",
                )
        if bad or unit is None:
            continue
        if any(v is None for v in values):
            incomplete += 1  # a respondent who left a question out counts in no index
            continue
        if answers:
            direct.setdefault(unit, Tally()).add_answers(
                [v for v in values if v is not None], answers
            )
    errors.raise_any()
    return _Parsed(direct, invited, count, incomplete)


@dataclass(frozen=True)
class UnitCell:
    unit_id: int
    answered: int
    invited: int | None
    reason: str | None
    motivation: float | None
    leadership: float | None
    governance: float | None
    hme: float | None
    questions: dict[str, float] | None


def compute(t: Tree, parsed: _Parsed, minimum: int) -> list[UnitCell]:
    """Every unit's cell: its subtree's count, and its indices unless suppressed."""
    totals = roll_up(t.parents, parsed.direct)
    reasons = suppress(t.parents, {u: x.n for u, x in parsed.direct.items()}, minimum)
    asked: dict[int, int] = {}
    if parsed.invited:
        for u, x in roll_up(t.parents, {u: Tally(n) for u, n in parsed.invited.items()}).items():
            asked[u] = x.n
    out = []
    for u in t.parents:
        reason = reasons.get(u, NO_ANSWERS)
        got = indices(totals[u]) if reason is None else None
        out.append(
            UnitCell(
                u,
                totals[u].n,
                asked.get(u) if parsed.invited else None,
                reason,
                got.motivation if got else None,
                got.leadership if got else None,
                got.governance if got else None,
                got.hme if got else None,
                got.questions if got else None,
            )
        )
    return out


def _resolve(s: Session, key: str | None, header: Sequence[Cell], filename: str) -> MappingSpec:
    specs = [_spec(m) for m in s.scalars(select(SurveyMapping).order_by(SurveyMapping.key))]
    if key:
        for spec in specs:
            if spec.key == key:
                return spec
        raise InvalidInput.field(
            "mapping", f"no saved mapping {key!r}", f"ingen sparad mappning {key!r}"
        )
    names = {_cell_text(h).casefold() for h in header}
    fits = [sp for sp in specs if all(h.casefold() in names for h in sp.headings())]
    if len(fits) == 1:
        return fits[0]
    if not fits:
        raise InvalidInput.field(
            "mapping",
            f"no saved mapping fits the headings of {filename}: save one first",
            f"ingen sparad mappning passar rubrikerna i {filename}: spara en först",
        )
    keys = ", ".join(sp.key for sp in fits)
    raise InvalidInput.field(
        "mapping",
        f"several saved mappings fit ({keys}): choose one",
        f"flera sparade mappningar passar ({keys}): välj en",
    )


def _renamed(r: RowError) -> RowError:
    def fix(text: str) -> str:
        return text.replace("SAMFLOW_IMPORT_MAX_ROWS", "SAMFLOW_SURVEY_MAX_ROWS").replace(
            "SAMFLOW_IMPORT_MAX_CELLS", "SAMFLOW_SURVEY_MAX_CELLS"
        )

    return RowError(r.file, r.line, r.field, fix(r.message_en), fix(r.message_sv))


def import_survey(
    app: App,
    actor: Actor,
    *,
    year: int,
    filename: str,
    content: bytes,
    mapping: str | None = None,
    survey_name: str = "",
    dry_run: bool = False,
) -> ImportReport:
    """Import a year's survey file; ``dry_run``: everything checked and computed, nothing
    kept. HR or a director at the top of the organisation."""
    settings = app.settings
    if not 2000 <= year <= 2100:
        raise InvalidInput.field("year", "a year from 2000 to 2100", "ett år från 2000 till 2100")
    survey_name = survey_name.strip() or f"HME {year}"
    if len(survey_name) > 200:
        raise InvalidInput.field("survey_name", "at most 200 characters", "högst 200 tecken")
    if len(content) > settings.survey_max_bytes:
        raise ImportInvalid(
            [
                RowError(
                    filename,
                    1,
                    "",
                    f"the file is larger than {settings.survey_max_bytes} bytes "
                    "(SAMFLOW_SURVEY_MAX_BYTES)",
                    f"filen är större än {settings.survey_max_bytes} byte "
                    "(SAMFLOW_SURVEY_MAX_BYTES)",
                )
            ]
        )
    with app.read() as s:  # who may, before the file is read
        require_top_admin(s, app, actor)
    try:
        rows = read_rows(filename, content, limits(settings))
    except ImportInvalid as exc:  # the survey's own limits, named as such
        raise ImportInvalid([_renamed(r) for r in exc.rows]) from None
    digest = hashlib.sha256(content).hexdigest()

    def work(tx: Tx) -> ImportReport:
        s = tx.session
        require_top_admin(s, app, actor)
        spec = _resolve(s, mapping, rows[0][1] if rows else [], filename)
        t = tree(s)
        parsed = parse_rows(spec, rows, t.by_code, filename)
        cells = compute(t, parsed, settings.min_survey_answers)
        report = _report(year, survey_name, spec, parsed, cells, t)
        previous = list(
            s.scalars(
                select(SurveyImport.id).where(
                    SurveyImport.year == year, SurveyImport.replaced_at.is_(None)
                )
            )
        )
        report.replaced = bool(previous)
        if previous:
            s.execute(
                update(SurveyImport).where(SurveyImport.id.in_(previous)).values(replaced_at=tx.now)
            )
        imp = _store(tx, actor, year, survey_name, spec, filename, digest, parsed, settings, cells)
        report.import_id, report.applied = imp, True
        tx.record(
            CHAIN,
            "survey.reimported" if previous else "survey.imported",
            "survey_import",
            imp,
            actor,
            data={
                "year": year,
                "survey": survey_name,
                "mapping": spec.key,
                "file": filename,
                "sha256": digest,
                "respondents": report.respondents,
                "incomplete": report.incomplete,
                "units_shown": report.shown,
                "units_suppressed": report.too_few + report.derivable,
                "min_answers": settings.min_survey_answers,
                **({"replaces": [f"survey_import:{i}" for i in previous]} if previous else {}),
            },
        )
        return report

    if dry_run:
        report = app.preview(work)
        report.applied, report.import_id = False, None
        return report
    return app.run(work)


def _report(
    year: int, name: str, spec: MappingSpec, parsed: _Parsed, cells: list[UnitCell], t: Tree
) -> ImportReport:
    r = ImportReport(year, name, spec.key, spec.layout, parsed.rows)
    r.respondents = sum(x.n for x in parsed.direct.values())
    r.incomplete = parsed.incomplete
    r.units_with_answers = sum(1 for c in cells if c.answered)
    r.shown = sum(1 for c in cells if c.reason is None)
    r.too_few = sum(1 for c in cells if c.reason == TOO_FEW)
    r.derivable = sum(1 for c in cells if c.reason == DERIVABLE)
    tops = [c for c in cells if t.parents.get(c.unit_id) is None]
    r.hme = tops[0].hme if len(tops) == 1 else None
    r.top = [
        {
            "unit": t.code[c.unit_id],
            "name": t.name[c.unit_id],
            "answered": c.answered,
            "hme": c.hme,
            "motivation": c.motivation,
            "leadership": c.leadership,
            "governance": c.governance,
        }
        for c in tops
    ]
    return r


def _store(
    tx: Tx,
    actor: Actor,
    year: int,
    name: str,
    spec: MappingSpec,
    filename: str,
    digest: str,
    parsed: _Parsed,
    settings: Settings,
    cells: list[UnitCell],
) -> int:
    s = tx.session
    imp = SurveyImport(
        year=year,
        survey_name=name,
        mapping_key=spec.key,
        filename=filename[:300],
        digest=digest,
        rows=parsed.rows,
        respondents=sum(x.n for x in parsed.direct.values()),
        incomplete=parsed.incomplete,
        min_answers=settings.min_survey_answers,
        imported_at=tx.now,
        imported_by=actor.person_id,
        replaced_at=None,
    )
    s.add(imp)
    s.flush()
    rows = [
        {
            "import_id": imp.id,
            "unit_id": c.unit_id,
            "answered": c.answered,
            "invited": c.invited,
            "suppressed": c.reason,
            "motivation": c.motivation,
            "leadership": c.leadership,
            "governance": c.governance,
            "hme": c.hme,
            "questions": json.dumps(c.questions) if c.questions else None,
        }
        for c in cells
    ]
    if rows:
        s.execute(insert(SurveyResult), rows)
    return imp.id


def latest_import_at(app: App, year: int) -> datetime | None:
    with app.read() as s:
        return s.scalar(
            select(SurveyImport.imported_at).where(
                SurveyImport.year == year, SurveyImport.replaced_at.is_(None)
            )
        )
