"""Import a 5,000-measure action plan workbook and print it (issue 11).

    .venv/bin/python -m bench.plan_import                 # 5,000 measures, SQLite
    .venv/bin/python -m bench.plan_import --measures 1000 --db postgresql://...

The workbook is as organisations write them: a title row and header block, a numbered
area column (5 measures an area), periods as due dates ("hösten 2027", "Q3 2027",
"kontinuerligt"), two follow-up points on every other measure, a status with a date and a
note, and a dated status column. Timed: reading and checking the file and writing it
(``import_plan``: every measure through ``create_measure`` with its history and audit
events), building the plan document, laying out its PDF (landscape A4), and the XLSX
export. Targets: import ≤ 10 s, PDF ≤ 30 s, peak memory ≤ 500 MB.
"""

from __future__ import annotations

import io
import os
import resource

from openpyxl import Workbook

from bench.common import build_org, fresh_app, machine, parser, peak_rss_mb, timed
from engine.context import Actor
from engine.domain.clock import local_date
from engine.plans import document
from engine.plans import importer as plan_import
from engine.workflow import cycles, tasks
from forms import plan_docs

DUES = ("hösten 2027", "Q3 2027", "2027-10-31", "T2 2027", "kontinuerligt")


def workbook(measures: int) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Handlingsplan arbetsmiljö 2027 – Enhet 0"])
    sheet.append(["Enhet:", "Enhet 0"])
    sheet.append(["Datum:", "2027-01-05"])
    sheet.append(["Deltagare:", "Chef 0 (Kommunen); Skyddsombud 0 (Kommunal)"])
    sheet.append(["Nr", "Område", "Åtgärd", "Önskat resultat", "Ansvarig", "Tidplan",
                  "Uppföljning", "Status", "Status 1 dec 2026", "Kommentar"])  # fmt: skip
    for n in range(measures):
        area = n // 5 + 1
        first = n % 5 == 0
        sheet.append([
            area if first else None,
            f"Område {area}: arbetsbelastning och\nåterhämtning" if first else None,
            f"Åtgärd {n}: kartlägga arbetsuppgifter med hela arbetsgruppen",
            "Tydliga prioriteringar",
            "Enhetschef" if n % 3 else "m0@bench.se",
            DUES[n % len(DUES)],
            "december 2027\nQ1 2028" if n % 2 else None,
            "Pågår – intervjuer gjorda" if n % 4 else "Inte påbörjat",
            "Pågår: första mötet hållet" if n % 3 == 0 else None,
            "Väntar på underlag" if n % 7 == 0 else None,
        ])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    p = parser("import a large action plan workbook and print it")
    p.add_argument("--measures", type=int, default=5000)
    p.add_argument("--workers", type=int, default=2, help="PDF layout processes")
    args = p.parse_args()
    app = fresh_app(args.db)
    app.settings = app.settings.model_copy(update={"import_max_rows": 20_000})
    build_org(app, 1)
    cycles.start_cycles(app, Actor.system("bench"), 2027)
    from sqlalchemy import select

    from engine.db.models import Cycle, OrgUnit

    with app.read() as s:
        cid = s.scalar(
            select(Cycle.id).join(OrgUnit, OrgUnit.id == Cycle.unit_id).where(OrgUnit.code == "U0")
        )
    assert cid is not None
    content = workbook(args.measures)
    print(f"{machine()}; {args.measures} measures, workbook {len(content) / 1e6:.1f} MB")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    manager = tasks.active_person(app, "m0@bench.se")
    with timed("import (read, check, write)"):
        r = plan_import.import_plan(app, manager, cid, "plan.xlsx", content)
    assert r.measures == args.measures, r
    with timed("plan document"), app.read() as s:
        doc = document.plan_document(s, cid, local_date(app.clock.now()))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with timed("PDF (landscape A4)"):
        pdf = plan_docs.plan_pdf(doc, "sv", workers=args.workers)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    print(
        f"  PDF layout in {args.workers} worker processes: {worker_cpu:.1f} s CPU; "
        f"peak worker memory {after.ru_maxrss / 1024:.0f} MB; load {os.getloadavg()[0]:.1f}"
    )
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"PDF {len(pdf) / 1e6:.1f} MB, {pages} pages")
    with timed("XLSX export"):
        xlsx = document.export_xlsx(doc)
    print(f"XLSX {len(xlsx) / 1e6:.1f} MB; peak memory {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
