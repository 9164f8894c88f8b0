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
import threading
import time
from typing import Any

from openpyxl import Workbook

from bench.common import build_org, fresh_app, machine, parser, peak_rss_mb, timed
from engine.context import Actor
from engine.domain.clock import local_date
from engine.plans import document
from engine.plans import importer as plan_import
from engine.workflow import cycles, tasks
from forms.exports import plan_docs

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


def measure(db: str | None, measures: int = 5000, workers: int = 2) -> dict[str, Any]:
    """Import, plan document, PDF and export; the PDF with its CPU time (this process and
    its layout workers), the load, and the peak memory of the process tree (PSS sampled)."""
    from bench.evidence_500 import tree_memory

    app = fresh_app(db)
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
    content = workbook(measures)
    print(f"{machine()}; {measures} measures, workbook {len(content) / 1e6:.1f} MB")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    manager = tasks.active_person(app, "m0@bench.se")
    with timed("import (read, check, write)") as imported:
        r = plan_import.import_plan(app, manager, cid, "plan.xlsx", content)
    assert r.measures == measures, r
    with timed("plan document"), app.read() as s:
        doc = document.plan_document(s, cid, local_date(app.clock.now()))
    app.db.dispose()
    peak = [0.0, 0.0, 0.0]  # PSS, RSS, the sampler's own CPU (not the PDF's)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            pss, rss = tree_memory(os.getpid())
            peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)
        peak[2] = time.thread_time()

    sampler = threading.Thread(target=sample, daemon=True)
    load_before = os.getloadavg()[0]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler.start()
    with timed("PDF (landscape A4)") as laid:
        pdf = plan_docs.plan_pdf(doc, "sv", workers=workers)
    stop.set()
    sampler.join()
    laid["cpu_seconds"] -= peak[2]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    load_after = os.getloadavg()[0]
    print(
        f"  PDF layout in {workers} worker processes: {worker_cpu:.1f} s CPU (+ "
        f"{laid['cpu_seconds']:.1f} s in this process); process tree at its peak: PSS "
        f"{peak[0]:.0f} MB, RSS {peak[1]:.0f} MB; largest worker {after.ru_maxrss / 1024:.0f} "
        f"MB; load {load_before:.1f} -> {load_after:.1f}"
    )
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"PDF {len(pdf) / 1e6:.1f} MB, {pages} pages")
    with timed("XLSX export"):
        xlsx = document.export_xlsx(doc)
    print(f"XLSX {len(xlsx) / 1e6:.1f} MB; peak memory {peak_rss_mb():.0f} MB")
    return {
        "measures": measures,
        "workers": workers,
        "import_seconds": imported["seconds"],
        "import_cpu_seconds": imported["cpu_seconds"],
        "seconds": laid["seconds"],
        "cpu_seconds": laid["cpu_seconds"] + worker_cpu,
        "worker_cpu_seconds": worker_cpu,
        "pss_mb": peak[0],
        "rss_mb": peak[1],
        "largest_worker_mb": after.ru_maxrss / 1024,
        "pages": pages,
        "size_mb": len(pdf) / 1e6,
        "load_before": load_before,
        "load_after": load_after,
    }


def main() -> None:
    p = parser("import a large action plan workbook and print it")
    p.add_argument("--measures", type=int, default=5000)
    p.add_argument("--workers", type=int, default=2, help="PDF layout processes")
    args = p.parse_args()
    measure(args.db, args.measures, args.workers)


if __name__ == "__main__":
    main()
