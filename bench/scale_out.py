"""Scale-out on Prefect: starting the year for a region on PostgreSQL through the
``start-annual-cycles/annual`` deployment, with 1 and with 2 Prefect workers.

    eval "$(tests/pg_start.sh)"
    .venv/bin/python -m bench.scale_out [--units 20000] [--workers 1,2] [--batch 300]

The organisation (``bench.web_setup.organisation``: an administration, 10 departments,
sections, units) is imported once into a template database; each round starts the year on
a fresh copy of it. A round starts a Prefect worker per slot (``--limit 1``: one flow run at
a time each, so N workers run N flow runs at once, as N hosts would) and creates one run of
the deployment per department (``root=D0`` ... ``root=D9``), as the departments of a region
each start their own year; every run starts its subtree in retried batches of ``--batch``
units (one transaction each). The figure is the wall time from the first run created to the
last one finished, the units started per second, and the speed-up over one worker. A
reference in the same run: the same start through the use case in this process
(``cycles.start_cycles``, one process, no Prefect). The load before and after each figure
is printed: on a busy machine say so with the figure.

A bench, not a test: CI does not run it. Writes ``bench/results/scale_out.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.pg_common import load_average, pg_admin_url, pg_database
from bench.soak import BIN, ROOT, PrefectStack
from bench.web_setup import organisation
from engine.context import Actor, App
from engine.db.models import Cycle, Person
from engine.org import admin as org
from engine.settings import Settings
from engine.workflow import cycles

DEPARTMENTS = [f"D{d}" for d in range(10)]
RUN_ALL = """
import json, sys, time
from prefect import get_client
from prefect.deployments import run_deployment

roots, batch = json.loads(sys.argv[1]), int(sys.argv[2])
began = time.perf_counter()
ids = [
    run_deployment(
        "start-annual-cycles/annual",
        parameters={"year": 2027, "root": r, "batch_size": batch},
        timeout=0,
    ).id
    for r in roots
]
created = time.perf_counter() - began
states = {}
with get_client(sync_client=True) as client:
    while True:
        runs = [client.read_flow_run(i) for i in ids]
        if all(r.state is not None and r.state.is_final() for r in runs):
            break
        time.sleep(0.5)
    states = {r.parameters["root"]: r.state.type.value for r in runs}
    spans = [
        (r.start_time.timestamp(), r.end_time.timestamp()) for r in runs
        if r.start_time and r.end_time
    ]
print(json.dumps({
    "wall": time.perf_counter() - began, "created": created, "states": states,
    "busy": sum(b - a for a, b in spans),
}))
"""


def started(app: App) -> int:
    with app.read() as s:
        return int(s.scalar(select(func.count()).select_from(Cycle)) or 0)


def one_round(stack: PrefectStack, url: str, workers: int, batch: int) -> dict[str, Any]:
    stack.env["SAMFLOW_DATABASE_URL"] = url
    for _ in range(workers):
        stack.start_worker(limit=1)
    time.sleep(5)  # the workers register and poll (every 2 s here)
    before = load_average()
    ran = subprocess.run(
        [str(BIN / "python"), "-c", RUN_ALL, json.dumps(DEPARTMENTS), str(batch)],
        env=stack.env, capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    after = load_average()
    stack.stop_workers()
    if ran.returncode != 0:
        raise SystemExit(f"the round failed:\n{ran.stdout}\n{ran.stderr}")
    out: dict[str, Any] = json.loads(ran.stdout.strip().splitlines()[-1])
    app = App.from_settings(Settings(database_url=url))
    out.update(workers=workers, started=started(app), load_before=before, load_after=after)
    app.db.dispose()
    return out


@contextlib.contextmanager
def _template(existing: str | None) -> Iterator[str]:
    if existing is None:
        with pg_database("samflow_scale_tpl") as url:
            yield url
    else:
        yield pg_admin_url().rsplit("/", 1)[0] + f"/{existing}"


def direct_reference(template: str, hr: int | None, batch: int) -> dict[str, Any]:
    with pg_database("samflow_scale", template=template) as url:
        direct = App.from_settings(Settings(database_url=url))
        before = load_average()
        began = time.perf_counter()
        report = cycles.start_cycles(direct, Actor(hr, "hr@b.se"), 2027, batch_size=batch)
        took = time.perf_counter() - began
        after = load_average()
        direct.db.dispose()
    print(
        f"  direct (one process, no Prefect): {len(report.started)} units in {took:.1f} s = "
        f"{len(report.started) / took:.0f}/s; load {before} -> {after}",
        flush=True,
    )
    return {"seconds": took, "started": len(report.started), "load_before": before,
            "load_after": after}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--units", type=int, default=20_000)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--batch", type=int, default=300)
    ap.add_argument(
        "--template",
        help="an existing database holding the organisation (of --units units) to copy, "
        "instead of importing it again (it is left as it is)",
    )
    ap.add_argument("--skip-direct", action="store_true", help="no reference run")
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    work = Path(tempfile.mkdtemp(prefix="samflow-scale-"))
    print(f"scale-out: {args.units} units, workers {counts}; load {load_average()}", flush=True)
    results: dict[str, Any] = {"units": args.units, "batch": args.batch, "rounds": []}
    with _template(args.template) as template_url:
        app = App.from_settings(Settings(database_url=template_url))
        if args.template is None:
            units_csv, people_csv = organisation(args.units)
            began = time.perf_counter()
            org.import_org(app, Actor.system("bench"), units_csv, people_csv)
            print(f"  organisation imported in {time.perf_counter() - began:.1f} s", flush=True)
        with app.read() as s:
            hr = s.scalar(select(Person.id).where(Person.email == "hr@b.se"))
        app.db.dispose()
        template = template_url.rsplit("/", 1)[1]
        if not args.skip_direct:  # the reference: the use case in one process, no Prefect
            results["direct"] = direct_reference(template, hr, args.batch)
        stack = PrefectStack(work, template_url)
        stack.env["PREFECT_WORKER_QUERY_SECONDS"] = "2"
        try:
            print(
                f"  Prefect server and deployments: {stack.start(worker=False):.0f} s", flush=True
            )
            for n in counts:
                with pg_database("samflow_scale", template=template) as url:
                    r = one_round(stack, url, n, args.batch)
                results["rounds"].append(r)
                print(
                    f"  {n} worker(s): {r['started']} units in {r['wall']:.1f} s = "
                    f"{r['started'] / r['wall']:.0f}/s (flow runs busy {r['busy']:.0f} s in "
                    f"all; {sorted(set(r['states'].values()))}); load {r['load_before']} -> "
                    f"{r['load_after']}",
                    flush=True,
                )
        finally:
            stack.stop()
    base = results["rounds"][0]["wall"] if results["rounds"] else 0
    for r in results["rounds"]:
        r["speed_up"] = base / r["wall"] if r["wall"] else 0
        print(f"  speed-up with {r['workers']} worker(s): {r['speed_up']:.2f}x")
    out = ROOT / "bench" / "results" / "scale_out.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
