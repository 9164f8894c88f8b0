"""Benchmark: the evidence package (PDF) of an administration with 500 units.

Target (issue 14, target 7): at most 15 s and 500 MB for ``samflow evidence build --root
ADM``. Each unit's part is laid out once for a given content and kept by its digest
(``evidence_part``), so the figure is measured twice: *cold* (no part kept: everything laid
out) and *warm* (the same package again: assembly only, as an administration's package is
once its units' content is final). The machine is shared: the load average before and after
each run is printed with it.

The data is made through the use cases (cached in bench/.data/ between runs; --fresh
rebuilds it): 1 administration, 10 departments, 500 units with a manager and a safety
representative each; the year 2027 started for all of them and played to November: most
units surveyed, assessed risks, drew up a plan of 3 areas and 6 measures and had it
approved; some followed up their measures; a few returned a task up the line; the sweep ran
at each step, so late units were reminded and escalated.

The measurement runs ``samflow evidence build`` in a child process (so its peak memory is
its own) and prints wall time, peak RSS, pages, size and the figures of the package.

    .venv/bin/python bench/evidence_500.py [--units 500] [--fresh] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.context import Actor, App  # noqa: E402
from engine.db import queries  # noqa: E402
from engine.db.migrate import upgrade  # noqa: E402
from engine.db.models import Person, Task  # noqa: E402
from engine.db.session import Database  # noqa: E402
from engine.domain.clock import FrozenClock, local_date  # noqa: E402
from engine.domain.errors import SamflowError  # noqa: E402
from engine.org import admin as org  # noqa: E402
from engine.settings import Settings  # noqa: E402
from engine.views import cycle as cycle_views  # noqa: E402
from engine.workflow import cycles, sweeps, tasks  # noqa: E402
from engine.workflow.taskgen import route  # noqa: E402

YEAR = 2027
DEPARTMENTS = 10


def organisation(n_units: int) -> tuple[str, str]:
    units = ["code,name,parent_code,level,headcount", "ADM,Omsorgsförvaltningen,,administration,8"]
    people = [
        "email,name,role,unit_code,valid_from,valid_to",
        "dir@bench.se,Dora Direktör,director,ADM,2020-01-01,",
        "hr@bench.se,Hugo HR,hr,ADM,2020-01-01,",
        "hso@bench.se,Hilda Huvudskyddsombud,chief_safety_rep,ADM,2020-01-01,",
    ]
    rng = random.Random(5)
    for d in range(1, DEPARTMENTS + 1):
        units.append(f"D{d:02},Avdelning {d},ADM,department,4")
        people.append(f"dm{d}@bench.se,Avdelningschef {d},manager,D{d:02},2020-01-01,")
    for u in range(1, n_units + 1):
        dept = (u - 1) % DEPARTMENTS + 1
        units.append(f"U{u:03},Enhet {u} – boende,D{dept:02},unit,{rng.randint(8, 60)}")
        people.append(f"m{u}@bench.se,Chef {u},manager,U{u:03},2020-01-01,")
        people.append(f"so{u}@bench.se,Skyddsombud {u},safety_rep,U{u:03},2020-01-01,")
    return "\n".join(units) + "\n", "\n".join(people) + "\n"


def holder(app: App, task_id: int) -> Actor | None:
    with app.read() as s:
        task = s.get(Task, task_id)
        assert task is not None
        person = task.assignee_id
        if person is None and task.role and task.role_unit_id:
            from engine.domain.workflow.routing import Address
            from engine.domain.workflow.states import Role

            address = Address(Role(task.role), task.role_unit_id)
            found = queries.holders_of(s, [address], local_date(app.clock.now())).get(address)
            person = found[0] if found else None
        p = s.get(Person, person) if person else None
        return Actor(p.id, p.email) if p else None


def open_tasks(app: App, cycle_id: int) -> list[tuple[int, str]]:
    with app.read() as s:
        return [
            (t.id, t.form_key)
            for t in s.scalars(
                select(Task)
                .where(Task.cycle_id == cycle_id, Task.status == "open")
                .order_by(Task.id)
            )
        ]


def manager_of(app: App, cycle_id: int) -> Actor:
    with app.read() as s:
        unit = cycle_views.cycle_view(app, cycle_id).unit_id
        snap = queries.ancestry_snapshot(s, [unit], local_date(app.clock.now()))
        address = route("manager", unit, snap)
        assert address is not None
        p = s.get(Person, snap.holders_of(address)[0])
        assert p is not None
        return Actor(p.id, p.email)


def form(key: str, rng: random.Random, risks: list[int]) -> dict[str, Any]:
    if key == "survey_results":
        answered = rng.randint(3, 40)
        base: dict[str, Any] = {
            "survey_name": f"HME {YEAR}",
            "invited": answered + 4,
            "answered": answered,
            "findings": "Hög arbetsbelastning.",
        }
        if answered >= 5:
            base |= {
                "motivation": rng.randint(60, 85),
                "leadership": rng.randint(60, 85),
                "governance": rng.randint(55, 80),
            }
        return base
    if key == "safety_round":
        return {
            "done_on": f"{YEAR}-03-02",
            "participants": "Chef och skyddsombud",
            "findings": [{"description": "Trånga utrymmen", "serious": False}],
        }
    if key == "risk_assessment":
        return {
            "participants": "Chef, skyddsombud",
            "safety_rep_participated": True,
            "risks": [
                {
                    "description": "Tunga lyft och förflyttningar",
                    "domain": "physical",
                    "probability": 3,
                    "consequence": 3,
                    "serious": True,
                },
                {
                    "description": "Hög arbetsbelastning",
                    "domain": "organisational",
                    "probability": 3,
                    "consequence": 3,
                    "serious": True,
                },
                {
                    "description": "Hot och våld",
                    "domain": "social",
                    "probability": 2,
                    "consequence": 3,
                    "serious": False,
                },
                {
                    "description": "Buller i köket",
                    "domain": "physical",
                    "probability": 1,
                    "consequence": 2,
                    "serious": False,
                },
            ],
        }
    if key == "action_plan":

        def measure(what: str, due: str, follow: str) -> dict[str, Any]:
            return {
                "what": what,
                "desired_result": "Minskad belastning",
                "responsible": "Enhetschef",
                "due_date": due,
                "follow_up_date": follow,
            }

        return {
            "participants": "Chef och skyddsombud, APT",
            "source_material": "HME, skyddsrond",
            "items": [
                {
                    "area": "Tunga lyft",
                    "risk_id": risks[0],
                    "current_state": "Två skador",
                    "probability": 3,
                    "consequence": 3,
                    "measures": [
                        measure(
                            "Utbildning i förflyttningsteknik", f"{YEAR}-09-30", f"{YEAR}-10-10"
                        ),
                        measure("Taklyft i två rum", f"{YEAR}-11-30", f"{YEAR}-12-10"),
                    ],
                },
                {
                    "area": "Arbetsbelastning",
                    "risk_id": risks[1],
                    "current_state": "Index 58",
                    "probability": 3,
                    "consequence": 3,
                    "measures": [
                        measure("Prioriteringsstöd på APT", f"{YEAR}-09-15", f"{YEAR}-10-01"),
                        measure("Bemanningsöversyn", f"{YEAR}-10-31", f"{YEAR}-11-15"),
                    ],
                },
                {
                    "area": "Hot och våld",
                    "risk_id": risks[2],
                    "current_state": "Ett tillbud",
                    "measures": [
                        measure("Larmrutin uppdateras", f"{YEAR}-08-31", f"{YEAR}-09-15"),
                        measure("Övning i hotfulla situationer", f"{YEAR}-10-15", f"{YEAR}-10-30"),
                    ],
                },
            ],
        }
    if key == "approval":
        return {
            "decision": "approve",
            "comment": "Genomgången på APT.",
            "body": "LSG",
            "established_on": f"{YEAR}-06-10",
            "protocol_ref": f"LSG {YEAR}-06-10 §4",
        }
    return {}


def finish_stage(app: App, cycle_id: int, stage: str, rng: random.Random) -> None:
    risks = (
        [r.id for r in cycle_views.cycle_view(app, cycle_id).risks]
        if stage == "action_plan"
        else []
    )
    for task_id, key in open_tasks(app, cycle_id):
        if key == "absence_review":
            continue
        actor = holder(app, task_id)
        if actor is None:
            continue
        if key == "risk_assessment" and rng.random() < 0.04:
            tasks.return_task(
                app, actor, task_id, "Saknar kunskap om riskbedömning av hot och våld"
            )
            continue
        tasks.complete_task(app, actor, task_id, form(key, rng, risks))
    for task_id, key in open_tasks(app, cycle_id):  # a returned task: the manager above
        if key == "risk_assessment" and (actor := holder(app, task_id)) is not None:
            tasks.complete_task(app, actor, task_id, form(key, rng, risks))
    cycles.sign_off_stage(app, manager_of(app, cycle_id), cycle_id, stage)


def follow_up(app: App, cycle_id: int, rng: random.Random) -> None:
    for task_id, key in open_tasks(app, cycle_id):
        if key != "measure_follow_up" or rng.random() < 0.4:
            continue
        actor = holder(app, task_id)
        if actor is not None:
            data = rng.choice(
                [
                    {"status": "done", "effect": "Färre skador.", "effect_ok": True},
                    {"status": "in_progress", "note": "Pågår, klart i december."},
                    {
                        "status": "postponed",
                        "reason": "Budget saknas",
                        "new_follow_up_date": f"{YEAR}-12-15",
                    },
                ]
            )
            tasks.complete_task(app, actor, task_id, data)


STEPS = [  # (when, stage to finish, share of units that do)
    (datetime(YEAR, 3, 5, 9, tzinfo=UTC), "survey", 0.92),
    (datetime(YEAR, 4, 20, 9, tzinfo=UTC), "analysis", 0.85),
    (datetime(YEAR, 5, 25, 9, tzinfo=UTC), "action_plan", 0.78),
    (datetime(YEAR, 6, 12, 9, tzinfo=UTC), "cooperation", 0.70),
    (datetime(YEAR, 10, 20, 9, tzinfo=UTC), "follow_up", 0.60),
]


def build(url: str, n_units: int) -> None:
    clock = FrozenClock(datetime(YEAR, 1, 8, 8, tzinfo=UTC))
    app = App(Database.connect(url), clock, Settings(database_url=url))
    units_csv, people_csv = organisation(n_units)
    org.import_org(app, Actor.system("bench"), units_csv, people_csv)
    clock.set(datetime(YEAR, 1, 10, 8, tzinfo=UTC))
    started = cycles.start_cycles(app, tasks.active_person(app, "hr@bench.se"), YEAR).started
    rng = random.Random(2027)
    pace = {c: rng.random() for c in started}
    t0 = time.perf_counter()
    for when, stage, share in STEPS:
        clock.set(when)
        for cycle_id in started:
            if pace[cycle_id] > share:
                continue
            try:
                if stage == "follow_up":
                    follow_up(app, cycle_id, rng)
                elif cycle_views.cycle_view(app, cycle_id).current_stage == stage:
                    finish_stage(app, cycle_id, stage, rng)
            except SamflowError as exc:
                print(f"  cycle {cycle_id}: {exc}", file=sys.stderr)
        sweeps.sweep(app)
        print(f"  {when.date()} {stage}: done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    clock.set(datetime(YEAR, 11, 2, 9, tzinfo=UTC))
    sweeps.sweep(app)
    app.db.dispose()


def tree_memory(root: int) -> tuple[float, float]:
    """(PSS, RSS) in MB of a process and all its descendants: PSS counts a page shared by
    forked workers once in all, so it is the honest total."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    pss = rss = 0.0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith(("Pss:", "Rss:")):
                    kb = float(line.split()[1]) / 1024
                    pss, rss = (pss + kb, rss) if line.startswith("Pss") else (pss, rss + kb)
        except OSError:
            continue
    return pss, rss


def measure(url: str, out: Path) -> dict[str, Any]:
    env = {**os.environ, "SAMFLOW_DATABASE_URL": url}
    cmd = [
        str(ROOT / ".venv/bin/samflow"),
        "evidence",
        "build",
        "--root",
        "ADM",
        "--year",
        str(YEAR),
        "--out",
        str(out),
    ]
    t0 = time.perf_counter()
    child = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak_pss = peak_rss = 0.0
    while child.poll() is None:
        pss, rss = tree_memory(child.pid)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.05)
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - t0
    if child.returncode != 0:
        raise SystemExit(stderr)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    from pypdf import PdfReader

    pages = len(PdfReader(out).pages)
    return {
        "seconds": seconds,
        "peak_mb": peak_mb,
        "pages": pages,
        "pss": peak_pss,
        "rss": peak_rss,
        "cpu": cpu,
        "load": os.getloadavg()[0],
        "size_mb": out.stat().st_size / 1e6,
        "stdout": stdout.strip(),
    }


def prepare(units: int, db: str | None = None, fresh: bool = False) -> str:
    """The database of the benchmark (built once into bench/.data unless ``db`` is given)."""
    data = ROOT / "bench" / ".data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"evidence{units}.db"
    url = db or f"sqlite:///{path}"
    if db is None and (fresh or not path.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        upgrade(url)
        t0 = time.perf_counter()
        build(url, units)
        print(f"data built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    elif db is not None and fresh:
        upgrade(url)
        build(url, units)
    from engine.db.migrate import is_current

    if not is_current(url):
        upgrade(url)
    return url


def run(units: int, url: str, out: Path) -> dict[str, dict[str, Any]]:
    """The package built twice in a child process: cold (no part kept) and warm (every
    part kept from the cold run: assembly). Each with wall and CPU time (the child and its
    workers), the load average before and after, peak PSS/RSS of the process tree."""
    workers = os.environ.get("SAMFLOW_PDF_WORKERS", "2")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = usage.ru_utime + usage.ru_stime  # children of this process ran before
    results = {}
    for kind in ("cold", "warm"):
        if kind == "cold":
            clear_parts(url)
        load = os.getloadavg()[0]
        r = measure(url, out)
        r["cpu"], cpu_before = r["cpu"] - cpu_before, r["cpu"]
        r |= {"load_before": load, "units": units, "workers": int(workers)}
        print(r.pop("stdout"))
        print(
            f"evidence package ({kind}), {units} units, {workers} PDF workers: "
            f"{r['seconds']:.1f} s (target ≤ 15 s; CPU {r['cpu']:.1f} s, load average "
            f"{load:.1f} before, {r['load']:.1f} after); memory of the process tree at its "
            f"peak: PSS {r['pss']:.0f} MB, RSS {r['rss']:.0f} MB (target ≤ 500 MB; largest "
            f"single process {r['peak_mb']:.0f} MB); {r['pages']} pages, {r['size_mb']:.1f} MB"
        )
        results[kind] = r
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--db", help="database URL (default: a SQLite file in bench/.data)")
    p.add_argument("--fresh", action="store_true", help="rebuild the data")
    args = p.parse_args()
    url = prepare(args.units, args.db, args.fresh)
    run(args.units, url, ROOT / "bench" / ".data" / f"evidence{args.units}.pdf")


def clear_parts(url: str) -> None:
    """Forget every laid-out part (the cold run lays out everything)."""
    from sqlalchemy import delete

    from engine.db.models.records.evidence import EvidencePart

    db = Database.connect(url)
    with db.write() as s:
        s.execute(delete(EvidencePart))
    db.dispose()


if __name__ == "__main__":
    main()
