"""Every benchmark in one run, on fresh databases, with the machine recorded.

    .venv/bin/python -m bench.run            # the full run (about half an hour here)
    .venv/bin/python -m bench.run --quick    # smaller sizes, a few minutes
    .venv/bin/python -m bench.run --only sweep --update   # re-measure some, keep the rest
    .venv/bin/python -m bench.readme         # then: README's table from the results

Runs the engine's benchmarks one after the other (each on its own fresh SQLite file, or a
throwaway PostgreSQL database when ``SAMFLOW_TEST_PG_URL`` names a server), the raw-sqlite3
reference for completions in the same run (and SpiffWorkflow if it is installed), and
records for each figure the load average before and after it. Results go to
``bench/results/<host>-<date>.json`` and ``bench/results/latest.json``.

Benchmarks are not tests; CI does not run them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

from engine.domain.clock import SystemClock

RESULTS = Path(__file__).parent / "results"

Figure = dict[str, Any]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load() -> float:
    return round(os.getloadavg()[0], 2)


def pg_url() -> str | None:
    return os.environ.get("SAMFLOW_TEST_PG_URL") or None


def pg_version() -> str | None:
    url = pg_url()
    if url is None:
        return None
    from sqlalchemy import create_engine, text

    from engine.db.session import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as c:
            return str(c.execute(text("SHOW server_version")).scalar())
    except Exception as exc:  # the run goes on without PostgreSQL
        return f"unreachable ({type(exc).__name__})"
    finally:
        engine.dispose()


def machine() -> dict[str, Any]:
    import sqlalchemy

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "host": socket.gethostname(),
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 1,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "postgresql": pg_version(),
        "platform": platform.platform(),
        "commit": commit,
    }


# --- the benchmarks, as figures -----------------------------------------------------------
def _start(quick: bool) -> list[Figure]:
    from bench import start_cycles

    r = start_cycles.measure(None, units=3000)
    return [
        fig("start_3000", "start the year, 3,000 units", r["seconds"], "s", "<=", 1.0, r),
    ]


def _org_import(quick: bool) -> list[Figure]:
    from bench.common import build_org, fresh_app

    small, big = (300, 3000) if quick else (3000, 30000)
    times, cpus = {}, {}
    for n in (small, big):
        app = fresh_app(None)
        t, cpu = time.perf_counter(), time.process_time()
        build_org(app, n)
        times[n], cpus[n] = time.perf_counter() - t, time.process_time() - cpu
        app.db.dispose()
        print(f"organisation import, {n:,} units: {times[n]:.2f} s ({cpus[n]:.2f} s CPU)")
    ratio = cpus[big] / cpus[small]  # CPU: SQLite works inside the process; steadier under load
    details = {
        "units": [small, big],
        "seconds": [times[small], times[big]],
        "cpu_seconds_each": [cpus[small], cpus[big]],
        "wall_ratio": times[big] / times[small],
    }
    return [
        fig(
            "org_import_linear",
            f"organisation import, {big:,} units against {small:,}: CPU time ratio",
            ratio,
            "×",
            "<=",
            10.0,
            details,
        )
    ]


def _completions(quick: bool) -> list[Figure]:
    from bench import complete_tasks

    r = complete_tasks.measure(None, units=3000, n=1000 if quick else 3000)
    out = [
        fig(
            "completions",
            "completions through the use case",
            r["per_second"],
            "/s",
            ">=",
            2000.0,
            r,
        ),
        fig(
            "completions_p95",
            "completions, p95",
            r["p95_ms"],
            "ms",
            "<=",
            1.0,
            {"p95_ms": r["p95_ms"], "n": r["n"]},
        ),
    ]
    raw = r.get("raw_sqlite3")
    if raw:
        out.append(
            fig(
                "raw_sqlite3",
                "same run: raw sqlite3, the same statements per completion",
                raw["per_second"],
                "/s",
                None,
                None,
                raw,
            )
        )
        out[0]["reference"] = {"key": "raw_sqlite3", "ratio": r["per_second"] / raw["per_second"]}
        out[0]["ratio_target"] = 0.25
    spiff, core = r.get("spiff"), r.get("spiff_core")
    if core:
        out.append(
            fig(
                "spiff_core",
                "same run: SpiffWorkflow's core, a task completed, kept as JSON in SQLite",
                core["per_second"],
                "/s",
                None,
                None,
                core,
            )
        )
    if spiff:
        out.append(
            fig(
                "spiff",
                "same run: SpiffWorkflow's BPMN engine, the same",
                spiff["per_second"],
                "/s",
                None,
                None,
                spiff,
            )
        )
        out.append(
            fig(
                "completions_vs_spiff",
                "completions through the use case ÷ SpiffWorkflow BPMN's (same run)",
                r["per_second"] / spiff["per_second"],
                "×",
                ">=",
                4.0,
                {"samflow_per_second": r["per_second"], "spiff_per_second": spiff["per_second"]},
            )
        )
    return out


def _inbox(quick: bool) -> list[Figure]:
    from bench import inbox

    tasks = 100_000 if quick else 1_000_000
    r = inbox.measure(None, tasks=tasks, calls=300 if quick else 1000)
    return [
        fig(
            "inbox",
            f"one person's inbox, {r['tasks']:,} tasks, p95",
            r["p95_ms"],
            "ms",
            "<=",
            5.0,
            r,
        )
    ]


def _sweep(quick: bool) -> list[Figure]:
    from bench import sweep

    out = []
    cases = [(50_000, 10_000)] if quick else [(1_000_000, 10_000), (200_000, 100_000)]
    for total, due in cases:
        r = sweep.measure(None, tasks=total, overdue=due)
        target = 0.5 if due <= 10_000 else 3.0
        out.append(
            fig(
                f"sweep_{due}",
                f"sweep, {r['open']:,} open / {due:,} due, SQLite",
                r["seconds"],
                "s",
                "<=",
                target,
                r,
            )
        )
        out += _sweep_reference(out[-1], f"sweep_raw_{due}", "SQLite")
    return out


def _sweep_reference(sweep: Figure, key: str, where: str) -> list[Figure]:
    """The raw driver's figure beside a sweep's (``bench.sweep.raw_sweep``: the same
    statements on a copy of the same prepared database), and the sweep's ratio to it (the
    raw time over the sweep's: the share of the raw driver's speed the sweep reaches)."""
    raw = sweep["details"].get("raw")
    if not raw:
        return []
    d = sweep["details"]
    sweep["reference"] = {"key": key, "ratio": raw["seconds"] / sweep["value"]}
    return [
        fig(
            key,
            f"same run: raw {raw['driver']}, the sweep's statements, {d['open']:,} open / "
            f"{d['due']:,} due, {where}",
            raw["seconds"],
            "s",
            None,
            None,
            raw,
        )
    ]


def _sweep_pg(quick: bool) -> list[Figure]:
    if pg_url() is None:
        print("PostgreSQL: SAMFLOW_TEST_PG_URL not set, its figures are left out")
        return []
    from bench import sweep
    from bench.pg_common import pg_database

    out = []
    cases = [(50_000, 10_000)] if quick else [(1_000_000, 10_000), (200_000, 100_000)]
    for total, due in cases:
        with pg_database("bench_sweep") as url:
            r = sweep.measure(url, tasks=total, overdue=due)
        target = 0.5 if due <= 10_000 else 3.0
        out.append(
            fig(
                f"sweep_pg_{due}",
                f"sweep, {r['open']:,} open / {due:,} due, PostgreSQL",
                r["seconds"],
                "s",
                "<=",
                target,
                r,
            )
        )
        out += _sweep_reference(out[-1], f"sweep_pg_raw_{due}", "PostgreSQL")
    return out


def _verify(quick: bool) -> list[Figure]:
    from bench import audit_verify
    from engine.audit.log import auto_workers

    # The default (SAMFLOW_AUDIT_VERIFY_WORKERS=0) verifies a large log in one process per
    # core, at most four: that is the figure with the target; one process is shown beside it.
    default = auto_workers()
    r = audit_verify.measure(None, events=200_000 if quick else 1_000_000, workers=max(2, default))
    out = []
    for n, each in sorted(r.items(), key=lambda kv: kv[0] == "1"):  # the target's first
        one = n == "1"
        label = f"audit verify, {each['events']:,} events, {n} process{'' if one else 'es'}"
        if one:
            label = f"same run: {label}"
        elif int(n) == default:
            label += " (the default on this machine)"
        out.append(
            fig(
                f"audit_verify_{n}",
                label,
                each["per_second"],
                "events/s",
                None if one else ">=",
                None if one else 300_000.0,
                each,
            )
        )
    return out


def _signin(quick: bool) -> list[Figure]:
    from bench import signin_lookup

    r = signin_lookup.measure(None, n=1000 if quick else 3000)
    return [
        fig(
            "signin_token",
            "API token lookup per request, CPU",
            r["token_us"],
            "µs",
            None,
            None,
            r,
        )
    ]


def _audit_search(quick: bool) -> list[Figure]:
    """The search's p95 and the write's cost: 1 M events for the comparisons made in the
    same run (migration 0012's indexes, the search before the capped count); in the full
    run the target's 10 M events too, today's schema and search only, its log generated
    once into ``bench/.data`` and kept (filling 10 M events takes longer than the rest of
    the run)."""
    from bench import audit_search

    r = audit_search.measure(events=1_000_000, runs=9 if quick else 5)
    label, old = list(r["schemas"])[-1], r["schemas"][audit_search.SCHEMAS[0][0]]
    now = r["schemas"][label]
    details = {
        "events": r["events"],
        "units": r["units"],
        "cpu_seconds": now["cpu_ms_per_search"] / 1000,
        "raw_count_action_p95_ms": r["raw_count_action_p95_ms"],
        "schemas": r["schemas"],
    }
    search = fig(
        "audit_search_1m_p95",
        f"audit search over {r['events']:,} events (unit, person, action, period), p95",
        now["p95_ms"],
        "ms",
        None,
        None,
        details,
    )
    exact = r["exact"]
    search["reference"] = {
        "key": "audit_search_exact_p95",
        "ratio": now["p95_ms"] / exact["p95_ms"],
    }
    main_search = fig(
        "audit_search_exact_p95",
        "same run and file: the search before cursors and the capped count (exact total, OFFSET)",
        exact["p95_ms"],
        "ms",
        None,
        None,
        {"cpu_seconds": exact["cpu_ms_per_search"] / 1000, "searches": exact},
    )
    pages = fig(
        "audit_wal_pages",
        "a completion on that log: pages written to the WAL",
        now["wal_pages"],
        "pages",
        None,
        None,
        {"cpu_seconds": now["cpu_ms"] / 1000, "schema_0012_pages": old["wal_pages"]},
    )
    ratio = now["wal_pages"] / old["wal_pages"]
    pages["reference"] = {"key": "audit_wal_pages_0012", "ratio": ratio}
    pages_old = fig(
        "audit_wal_pages_0012",
        "same run: the search indexes of migration 0012, WAL pages per completion",
        old["wal_pages"],
        "pages",
        None,
        None,
        {"cpu_seconds": old["cpu_ms"] / 1000},
    )
    out = [search, main_search, pages, pages_old]
    if quick:
        return out
    kept = Path(__file__).parent / ".data" / "audit-10m.db"
    big = audit_search.measure(events=10_000_000, runs=15, exact=False, keep=kept)
    now = big["schemas"]["current"]
    out.insert(
        0,
        fig(
            "audit_search_p95",
            f"audit search over {big['events']:,} events (unit, person, action, period), p95",
            now["p95_ms"],
            "ms",
            "<=",
            50.0,
            {
                "events": big["events"],
                "units": big["units"],
                "cpu_seconds": now["cpu_ms_per_search"] / 1000,
                "raw_count_action_p95_ms": big["raw_count_action_p95_ms"],
                "searches": now["searches"],
                "log_filled_seconds": now["append_seconds"],
            },
        ),
    )
    return out


def _cli_startup(quick: bool) -> list[Figure]:
    from bench import cli_startup

    r = cli_startup.measure(runs=5 if quick else 11)
    out = []
    for key, label in (("help", "samflow --help"), ("inbox", "samflow inbox PERSON")):
        f = fig(
            f"cli_{key}_cpu",
            f"{label}: CPU, median of {r['runs']} runs",
            r[key]["median"],
            "s",
            "<=",
            0.3,
            {**r[key], "runs": r["runs"]},
        )
        f["reference"] = {
            "key": "cli_import_sqlalchemy",
            "ratio": r[key]["median"] / r["sqlalchemy"]["median"],
        }
        out.append(f)
    out.append(
        fig(
            "cli_inbox_core_cpu",
            "same run: samflow inbox PERSON on SQLAlchemy Core (the fallback), CPU",
            r["inbox_core"]["median"],
            "s",
            None,
            None,
            {**r["inbox_core"], "psycopg_import": r["psycopg"]["median"]},
        )
    )
    out.append(
        fig(
            "cli_import_sqlalchemy",
            "same run: python -c 'import sqlalchemy', CPU",
            r["sqlalchemy"]["median"],
            "s",
            None,
            None,
            {**r["sqlalchemy"], "python_alone": r["python"]["median"]},
        )
    )
    return out


def _web_load(quick: bool) -> list[Figure]:
    """HTTP against uvicorn on loopback: server CPU per request (from the server processes'
    CPU time), p95 with 50 clients back to back on one worker (SQLite), and requests per
    second with 1 and 2 workers on PostgreSQL (a fresh database for each)."""
    import tempfile

    from bench import web_load, web_setup

    units, seconds, completing = (300, 5.0, 10.0) if quick else (3000, 15.0, 30.0)
    out: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="samflow-web-") as tmp:
        setup = web_setup.build(f"sqlite:///{tmp}/web.db", units, 50, quiet=True)
        r = web_load.measure(
            setup,
            seconds=seconds,
            scenarios=("api_inbox", "page"),
            completions_seconds=completing,
            quiet=True,
        )
    sc = r["scenarios"]
    cpu, p95, rate = "server_cpu_ms_per_request", "p95_ms", "per_second"
    one = "50 clients back to back, 1 worker"
    for name, key, label, value, unit, op, target in (
        ("web_api_inbox_cpu", "api_inbox", "server CPU per GET /api/inbox", cpu, "ms", "<=", 1.0),
        ("web_api_inbox_p95", "api_inbox", f"GET /api/inbox, {one}, p95", p95, "ms", "<=", 50.0),
        ("web_page_p95", "page", f"GET /inbox (page), {one}, p95", p95, "ms", "<=", 50.0),
        ("web_complete_cpu", "complete", "server CPU per completion", cpu, "ms", "<=", 1.5),
        ("web_complete_rate", "complete", f"HTTP completions, {one}", rate, "/s", ">=", 500.0),
    ):
        out.append(
            fig(
                name,
                f"{label} (SQLite)",
                sc[key][value],
                unit,
                op,
                target,
                {**sc[key], "units": units},
            )
        )
    if pg_url() is None:
        print("PostgreSQL: SAMFLOW_TEST_PG_URL not set, the workers' figures are left out")
        return out
    from bench.pg_common import pg_database

    rates: dict[int, dict[str, Any]] = {}
    for workers in (1, 2):
        with pg_database("bench_web") as url:
            setup = web_setup.build(url, units, 50, quiet=True)
            rates[workers] = web_load.measure(
                setup,
                seconds=seconds,
                workers=workers,
                scenarios=("api_inbox",),
                completions_seconds=completing,
                quiet=True,
            )["scenarios"]
    for key, label in (("api_inbox", "GET /api/inbox"), ("complete", "completions")):
        one, two = rates[1][key], rates[2][key]
        f = fig(
            f"web_pg_{key}_2_workers",
            f"{label}, 50 clients, PostgreSQL, 2 workers",
            two["per_second"],
            "/s",
            None,
            None,
            {"one_worker": one, "two_workers": two, "units": units},
        )
        f["reference"] = {
            "key": f"web_pg_{key}_1_worker",
            "ratio": two["per_second"] / one["per_second"] if one["per_second"] else 0.0,
        }
        out += [
            fig(
                f"web_pg_{key}_1_worker",
                f"same run: {label}, 50 clients, PostgreSQL, 1 worker",
                one["per_second"],
                "/s",
                None,
                None,
                one,
            ),
            f,
        ]
    return out


def _evidence(quick: bool) -> list[Figure]:
    """The evidence package of an administration (``bench.evidence_500``) on a fresh
    database: cold (every unit's part laid out) and warm (parts kept by digest: assembly)."""
    import tempfile

    from bench import evidence_500

    units = 100 if quick else 500
    folder = Path(tempfile.mkdtemp(prefix="samflow-bench-evidence-"))
    url = f"sqlite:///{folder / 'evidence.db'}"
    evidence_500.upgrade(url)
    evidence_500.build(url, units)
    r = evidence_500.run(units, url, folder / "evidence.pdf")
    out = []
    for kind in ("warm", "cold"):
        each = r[kind]
        details = {
            "units": units,
            "seconds": each["seconds"],
            "cpu_seconds": each["cpu"],
            "workers": each["workers"],
            "pss_mb": each["pss"],
            "rss_mb": each["rss"],
            "largest_process_mb": each["peak_mb"],
            "pages": each["pages"],
            "size_mb": each["size_mb"],
            "load_before": each["load_before"],
            "load_after": each["load"],
        }
        label = "parts kept: assembly" if kind == "warm" else "no part kept: all laid out"
        out.append(
            fig(
                f"evidence_{units}_{kind}",
                f"evidence package PDF, {units} units ({label})",
                each["seconds"],
                "s",
                "<=",
                15.0,
                details,
            )
        )
    return out


def _plan_pdf(quick: bool) -> list[Figure]:
    """The printed action plan (``bench.plan_import``): 5,000 measures (1,000 quick)."""
    from bench import plan_import

    measures = 1000 if quick else 5000
    r = plan_import.measure(None, measures=measures, workers=2)
    return [
        fig(
            f"plan_pdf_{measures}",
            f"printed action plan, {measures:,} measures, PDF (2 layout workers)",
            r["seconds"],
            "s",
            "<=",
            30.0,
            r,
        )
    ]


def _incidents(quick: bool) -> list[Figure]:
    """Incidents registered through the use case, their tasks swept, the overview of
    cases over them (SQLite; on PostgreSQL too when a server is named, there registering
    a few hundred and copying the rest in bulk SQL)."""
    from bench import incidents

    n = 1000 if quick else 10_000
    r = incidents.measure(None, incidents_n=n, calls=20 if quick else 40)
    reg = r["register"]
    out = [
        fig(
            "incidents_register",
            f"register {n:,} incidents through the use case",
            reg["per_second"],
            "/s",
            None,
            None,
            reg,
        ),
        fig(
            "incidents_sweep",
            f"sweep the tasks of {n:,} incidents, 3 days later",
            r["sweep_seconds"],
            "s",
            None,
            None,
            {k: r[k] for k in ("sweep_cpu_seconds", "open_tasks", "escalated", "reminded")},
        ),
        fig(
            "case_overview",
            f"overview of cases, {n:,} incidents, p95, SQLite",
            r["overview_director"]["p95_ms"],
            "ms",
            "<=",
            100.0,
            r["overview_director"],
        ),
        fig(
            "case_overview_page",
            f"overview page (GET /overview), {n:,} incidents, p95, SQLite",
            r["http_page"]["p95_ms"],
            "ms",
            None,
            None,
            r["http_page"],
        ),
    ]
    if pg_url() is None:
        return out
    from bench.pg_common import pg_database

    with pg_database("bench_incidents") as url:
        p = incidents.measure(url, incidents_n=n, real=200 if quick else 500, calls=20)
    out.append(
        fig(
            "case_overview_pg",
            f"overview of cases, {n:,} incidents, p95, PostgreSQL",
            p["overview_director"]["p95_ms"],
            "ms",
            "<=",
            100.0,
            p["overview_director"],
        )
    )
    return out


def _inbox_mixed(quick: bool) -> list[Figure]:
    from bench import inbox_mixed

    tasks = 100_000 if quick else 1_000_000
    r = inbox_mixed.measure(
        None, tasks=tasks, calls=300 if quick else 1000, every=5 if quick else 1
    )
    plain, mixed = r["plain"], r["mixed"]
    out = [
        fig(
            "inbox_plain",
            f"same run: the inbox without the new kinds, {plain['tasks']:,} tasks, p95",
            plain["p95_ms"],
            "ms",
            None,
            None,
            plain,
        ),
        fig(
            "inbox_mixed",
            f"the inbox with incidents, requests, changes, rounds, reviews mixed in, "
            f"{mixed['tasks']:,} tasks, p95",
            mixed["p95_ms"],
            "ms",
            None,
            None,
            mixed,
        ),
    ]
    # within 10 %: plain / mixed >= 1 / 1.1
    out[1]["reference"] = {"key": "inbox_plain", "ratio": plain["p95_ms"] / mixed["p95_ms"]}
    out[1]["ratio_target"] = round(1 / 1.1, 3)
    return out


BENCHES: list[tuple[str, Callable[[bool], list[Figure]]]] = [
    ("start_cycles", _start),
    ("org_import", _org_import),
    ("complete_tasks", _completions),
    ("inbox", _inbox),
    ("sweep", _sweep),
    ("sweep_pg", _sweep_pg),
    ("audit_verify", _verify),
    ("audit_search", _audit_search),
    ("signin_lookup", _signin),
    ("cli_startup", _cli_startup),
    ("web_load", _web_load),
    ("evidence_500", _evidence),
    ("plan_pdf", _plan_pdf),
    ("incidents", _incidents),
    ("inbox_mixed", _inbox_mixed),
]


#: A benchmark's references, each its own figure (not repeated in the details of the one
#: it is the reference of).
REFERENCES = ("raw_sqlite3", "spiff", "spiff_core")


def fig(
    key: str,
    label: str,
    value: float,
    unit: str,
    op: str | None,
    target: float | None,
    details: dict[str, Any],
) -> Figure:
    return {
        "key": key,
        "label": label,
        "value": value,
        "unit": unit,
        "target_op": op,
        "target": target,
        "details": {
            k: v for k, v in details.items() if k not in ("raw_sqlite3", "spiff", "spiff_core")
        },
    }


def run(quick: bool, only: list[str] | None = None) -> dict[str, Any]:
    info = machine()
    unknown = sorted(set(only or ()) - {n for n, _ in BENCHES})
    if unknown:
        raise SystemExit(f"--only: no such benchmark: {', '.join(unknown)}")
    figures: list[Figure] = []
    failed: list[dict[str, str]] = []
    for name, bench in BENCHES:
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        before, began = load(), time.perf_counter()
        try:
            made = bench(quick)
        except Exception as exc:  # one broken benchmark does not cost the others' figures
            traceback.print_exc()
            failed.append({"bench": name, "error": f"{type(exc).__name__}: {exc}"[:500]})
            print(f"   ({name} failed after {time.perf_counter() - began:.0f} s)", flush=True)
            continue
        after = load()
        at = SystemClock().now().astimezone(UTC).isoformat(timespec="seconds")
        for f in made:
            f.update(
                bench=name, load_before=before, load_after=after, measured_at=at,
                commit=info.get("commit"),
            )  # fmt: skip
        figures += made
        print(f"   ({time.perf_counter() - began:.0f} s; load {before} -> {after})", flush=True)
    command = "python -m bench.run" + (" --quick" if quick else "")
    if only:
        command += " --only " + " ".join(n for n, _ in BENCHES if n in only)
    measured_at = SystemClock().now().astimezone(UTC).isoformat(timespec="seconds")
    for f in figures:
        f["run_at"] = measured_at
    out = {
        "measured_at": measured_at,
        "quick": quick,
        "command": command,
        "machine": info,
        "figures": figures,
        "runs": [{"measured_at": measured_at, "command": command, "commit": info.get("commit")}],
    }
    if failed:
        out["failed"] = failed
    return out


#: What must be the same for figures of two runs to stand in one table.
SAME_MACHINE = ("host", "cpu", "cores", "python", "sqlite", "postgresql")


def merge(base: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    """``base`` (an earlier results file) with the benchmarks ``newer`` ran replaced by
    their new figures, in the runner's order. Each figure keeps the moment and commit it
    was measured at; ``runs`` lists every run that still has a figure in the table.
    Refused when the machines differ or one run is quick and the other not."""
    a, b = base["machine"], newer["machine"]
    differ = [k for k in SAME_MACHINE if a.get(k) != b.get(k)]
    if differ:
        raise SystemExit(
            "--update: the results in latest.json were measured on another machine or "
            f"software ({', '.join(f'{k}: {a.get(k)} / {b.get(k)}' for k in differ)}); "
            "make a whole run instead"
        )
    if bool(base.get("quick")) != bool(newer.get("quick")):
        raise SystemExit("--update: one run is --quick and the other is not")
    runs = base.get("runs") or [
        {"measured_at": base["measured_at"], "command": base["command"], "commit": a.get("commit")}
    ]
    for f in base["figures"]:  # files written before figures carried their own stamp
        f.setdefault("measured_at", base["measured_at"])
        f.setdefault("commit", a.get("commit"))
        f.setdefault("run_at", base["measured_at"])
    ran = {f["bench"] for f in newer["figures"]}
    kept = [f for f in base["figures"] if f.get("bench") not in ran]
    order = {n: i for i, (n, _) in enumerate(BENCHES)}
    figures = sorted(kept + newer["figures"], key=lambda f: order.get(f.get("bench", ""), 99))
    used = {f["run_at"] for f in figures}
    runs = list(
        {r["measured_at"]: r for r in runs + newer["runs"] if r["measured_at"] in used}.values()
    )
    return {
        "measured_at": newer["measured_at"],
        "quick": newer["quick"],
        "command": "; ".join(r["command"] for r in runs),
        "machine": {**b, "commit": ", ".join(dict.fromkeys(r["commit"] for r in runs))},
        "figures": figures,
        "runs": runs,
    }


def write(results: dict[str, Any], directory: Path = RESULTS, *, update: bool = False) -> Path:
    """The run's own file (``<host>-<day>.json``; ``<host>-<day>-<HHMM>-partial.json`` for
    ``--only``) and ``latest.json``: the run itself, or with ``update`` merged into it."""
    directory.mkdir(parents=True, exist_ok=True)
    day = results["measured_at"][:10]
    partial = results["command"].find(" --only ") >= 0
    stamp = results["measured_at"][11:16].replace(":", "")
    name = f"{results['machine']['host']}-{day}" + (f"-{stamp}-partial" if partial else "")
    if results.get("failed"):
        name = f"{results['machine']['host']}-{day}-{stamp}-failed"
    path = directory / f"{name}.json"
    text = json.dumps(results, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")
    if results.get("failed"):  # latest.json holds whole runs only (and updates of them)
        return path
    latest = directory / "latest.json"
    if update and latest.exists():
        merged = merge(json.loads(latest.read_text(encoding="utf-8")), results)
        text = json.dumps(merged, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    latest.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes")
    p.add_argument("--only", nargs="*", help=f"some of: {', '.join(n for n, _ in BENCHES)}")
    p.add_argument("--out", type=Path, default=RESULTS, help="directory for the results file")
    p.add_argument(
        "--update",
        action="store_true",
        help="with --only: replace those benchmarks' figures in latest.json and keep the\n"
        "others (each figure keeps its own date and commit; same machine only)",
    )
    args = p.parse_args(argv)
    if args.update and not args.only:
        p.error("--update needs --only (a whole run replaces latest.json anyway)")
    results = run(args.quick, args.only)
    path = write(results, args.out, update=args.update)
    failed = [f["bench"] for f in results.get("failed", ())]
    if failed:
        print(
            f"failed: {', '.join(failed)} (the traceback is above); the other figures of "
            f"this run are in {path}; latest.json is not changed",
            file=sys.stderr,
        )
        return 1
    print(f"results: {path} (and latest.json); README table: python -m bench.readme")
    return 0


if __name__ == "__main__":
    sys.exit(main())
