"""Import an employee survey of 60,000 respondents in 3,000 units (issue 12).

    .venv/bin/python -m bench.survey_import                    # CSV, SQLite
    .venv/bin/python -m bench.survey_import --xlsx --db postgresql://...

The file has a row per respondent (unit code and the nine HME answers, 1–5), about 20 a
unit; in half the departments one unit in seven has only 2–4 respondents (primary
suppression), in the other half each department has two respondents of its own (a unit
below it is hidden so that they cannot be had by subtraction: complementary suppression).
Timed: the whole import as HR runs it (``import_survey``: read and check every cell, sum
per unit, roll up the tree, suppress, store each unit's cell, replace last import, audit),
then reading the year's results with last year's.
Target: the import ≤ 10 s. The load average is printed with the figures.
"""

from __future__ import annotations

import io
import os
import random

from bench.common import build_org, fresh_app, machine, parser, peak_rss_mb, timed
from engine.context import Actor
from engine.domain.followup.surveys import QUESTIONS
from engine.surveys import imports, mapping, results

HEADINGS = ["Enhet", *[f"F{i}" for i in range(1, 10)]]
SPEC = {
    "key": "bench",
    "name": "Bench vendor",
    "layout": "respondent",
    "unit_column": "Enhet",
    "columns": dict(zip(QUESTIONS, HEADINGS[1:], strict=True)),
}


def respondents(units: int, total: int, seed: int) -> list[list[object]]:
    rng = random.Random(seed)
    # small units (2-4 respondents) in half the departments; in the other half, each
    # department has two respondents of its own, so complementary suppression has work too
    small = {u for u in range(units) if u % 7 == 3 and u % 20 < 10}
    rows: list[list[object]] = []
    for d in range(10, 20):
        rows += [[f"D{d}", *(rng.randint(1, 5) for _ in range(9))] for _ in range(2)]
    for u in small:
        rows += [
            [f"U{u}", *(rng.randint(1, 5) for _ in range(9))] for _ in range(rng.randint(2, 4))
        ]
    while len(rows) < total:
        u = rng.randrange(units)
        if u in small:
            continue
        base = 2 + u % 3
        rows.append([f"U{u}", *(min(5, max(1, base + rng.randint(-1, 2))) for _ in range(9))])
    rng.shuffle(rows)
    return rows


def csv_file(rows: list[list[object]]) -> bytes:
    lines = [";".join(HEADINGS)] + [";".join(map(str, r)) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def xlsx_file(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADINGS)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    p = parser("import an employee survey of 60,000 respondents in 3,000 units")
    p.add_argument("--units", type=int, default=3000)
    p.add_argument("--respondents", type=int, default=60_000)
    p.add_argument("--xlsx", action="store_true", help="an XLSX file instead of CSV")
    args = p.parse_args()
    app = fresh_app(args.db)
    build_org(app, args.units)
    hr = Actor.system("bench")
    mapping.save_mapping(app, hr, mapping.parse_mapping(SPEC))
    make = xlsx_file if args.xlsx else csv_file
    name = "enkat.xlsx" if args.xlsx else "enkat.csv"
    last = make(respondents(args.units, args.respondents, 1))
    imports.import_survey(app, hr, year=2026, filename=name, content=last)
    content = make(respondents(args.units, args.respondents, 2))
    load = os.getloadavg()
    print(
        f"{machine()}; {args.respondents} respondents in {args.units} units, "
        f"{name} {len(content) / 1e6:.1f} MB; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    with timed("import (read, check, roll up, suppress, store)"):
        r = imports.import_survey(app, hr, year=2027, filename=name, content=content)
    print(
        f"  {r.respondents} respondents; {r.shown} units shown, {r.too_few} too few, "
        f"{r.derivable} hidden as derivable; HME {r.hme}"
    )
    with timed("re-import of the same year (replaces it)"):
        imports.import_survey(app, hr, year=2027, filename=name, content=content)
    with timed("the year's results for HR, with last year's"):
        got = results.year_results(app, hr, 2027)
    assert len(got.units) == args.units + 21
    load = os.getloadavg()
    print(f"peak memory {peak_rss_mb():.0f} MB; load after {load[0]:.2f}")


if __name__ == "__main__":
    main()
