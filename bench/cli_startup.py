"""CPU time of starting the command line (target ≤ 0.3 s each): ``samflow --help`` and
``samflow inbox PERSON`` on a demo database (the examples' organisation with the year
started). Each command runs as a child process several times, the commands taking turns
(so a busy spell falls on all of them alike); the figure is the median of the child's user
+ system CPU time (wall time on a shared machine says little).

``samflow inbox`` reads through the driver alone (``engine.db.reads.plain``). The same
command on a ``sqlite+pysqlite://`` URL, which that path leaves to SQLAlchemy Core, is the
same-run figure of the ordinary path (``inbox_core``); ``import psycopg`` is what the plain
path adds on PostgreSQL.

    .venv/bin/python -m bench.cli_startup [--runs 7] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import machine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PERSON = "anna.hn@example.se"


def samflow() -> str:
    exe = Path(sys.executable).parent / "samflow"
    return str(exe) if exe.exists() else "samflow"


def cpu_of(cmd: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one child run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def demo_database(url: str, env: dict[str, str]) -> None:
    exe = samflow()
    for args in (
        ["db", "upgrade"],
        ["org", "import", str(EXAMPLES / "units.csv"), str(EXAMPLES / "people.csv")],
        ["cycle", "start", "--year", "2027", "--as", "hanna.hr@example.se"],
    ):
        subprocess.run([exe, "--db", url, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def measure(runs: int = 7, db: str | None = None, *, quiet: bool = False) -> dict[str, Any]:
    """Median child CPU seconds of each command (and the references, same run)."""
    env = dict(os.environ)
    out: dict[str, Any] = {"runs": runs}
    with tempfile.TemporaryDirectory() as tmp:
        url = db or f"sqlite:///{tmp}/cli.db"
        if db is None:
            demo_database(url, env)
        env["SAMFLOW_DATABASE_URL"] = url
        exe = samflow()
        if not quiet:
            print(machine() + ", load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        core_url = url.replace("sqlite:///", "sqlite+pysqlite:///", 1)
        commands = (
            ("help", "samflow --help", [exe, "--help"]),
            ("inbox", f"samflow inbox {PERSON}", [exe, "inbox", PERSON]),
            ("inbox_core", "the same on SQLAlchemy Core", [exe, "--db", core_url, "inbox", PERSON]),
            ("python", "python -c pass (reference)", [sys.executable, "-c", "pass"]),
            (
                "sqlalchemy",
                "import sqlalchemy (reference)",
                [sys.executable, "-c", "import sqlalchemy"],
            ),
            (
                "sqlalchemy_orm",
                "import sqlalchemy.orm (reference)",
                [sys.executable, "-c", "import sqlalchemy.orm"],
            ),
            ("psycopg", "import psycopg (reference)", [sys.executable, "-c", "import psycopg"]),
        )
        times: dict[str, list[float]] = {key: [] for key, _, _ in commands}
        for _, _, cmd in commands:
            cpu_of(cmd, env)  # warm the file cache
        for _ in range(runs):  # in turns
            for key, _, cmd in commands:
                times[key].append(cpu_of(cmd, env))
        for key, label, _ in commands:
            t = times[key]
            out[key] = {"median": statistics.median(t), "min": min(t), "max": max(t)}
            if not quiet:
                print(
                    f"{label:<36} median {statistics.median(t):.3f} s CPU "
                    f"(min {min(t):.3f}, max {max(t):.3f}, {runs} runs)"
                )
        if not quiet:
            print("load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--db", help="a database with the examples' organisation (default: built)")
    args = p.parse_args()
    measure(args.runs, args.db)


if __name__ == "__main__":
    main()
