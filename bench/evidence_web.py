"""Benchmark: an administration's evidence package made the way the web app makes it — a
background job laying the PDF out in the server's own process (``workers=1``) — and the
same package uploaded for verification (``POST /api/evidence/verify`` rebuilds it).

Uses the data of ``bench/evidence_500.py`` (built there first if missing: 500 units, the
year 2027 played to November). Each measurement runs in a child process of its own, so
its peak memory is its own.

    .venv/bin/python bench/evidence_web.py [--units 500]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.context import App  # noqa: E402
from engine.db.migrate import upgrade  # noqa: E402
from engine.domain.clock import FrozenClock  # noqa: E402
from engine.settings import Settings  # noqa: E402

YEAR = 2027


def child(url: str, what: str, pdf: Path) -> None:
    from api import evidence_http, evidence_job
    from engine.evidence import jobs as evidence_jobs
    from engine.evidence import package as evidence
    from engine.views import job_files
    from engine.workflow import tasks
    from engine.workflow.batch import jobs

    app = App.from_settings(
        Settings(database_url=url), FrozenClock(datetime(YEAR, 11, 2, 9, tzinfo=UTC))
    )
    hr = tasks.active_person(app, "hr@bench.se")
    t0 = time.perf_counter()
    if what == "job":
        scope = evidence.Scope("subtree", "ADM", YEAR)
        job_id = evidence_jobs.request(app, hr, scope, "sv", "thread")
        evidence_job.run(app, job_id)
        view = jobs.get(app, job_id)
        assert view.status == "done", view.error
        pdf.write_bytes(job_files.fetch(app, hr, job_id)[1])
        extra = view.result or {}
    else:
        report, _ = evidence_http.verify(app, hr, pdf.read_bytes())
        extra = {"matches": report.matches, "differences": report.total}
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, **extra}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--child", nargs=3, metavar=("URL", "WHAT", "PDF"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]))
        return
    data = ROOT / "bench" / ".data"
    source = data / f"evidence{args.units}.db"
    if not source.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench/evidence_500.py"), "--units", str(args.units)],
            check=True,
        )
    copy = data / f"evidence{args.units}-web.db"
    shutil.copy(source, copy)  # the job table is added here, the cached data stays as built
    url = f"sqlite:///{copy}"
    upgrade(url)
    pdf = data / f"evidence{args.units}-web.pdf"
    for what, label in (
        ("job", "background job (PDF, 1 process)"),
        ("verify", "verification of that PDF"),
    ):
        out = subprocess.run(
            [sys.executable, __file__, "--child", url, what, str(pdf)],
            check=False,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rest = {k: v for k, v in r.items() if k not in ("seconds", "peak_mb", "digest")}
        seconds, peak = r["seconds"], r["peak_mb"]
        print(f"{args.units} units, {label}: {seconds:.1f} s, peak RSS {peak:.0f} MB {rest}")


if __name__ == "__main__":
    main()
