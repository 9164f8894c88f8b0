"""Starting the year for 10,000 units: the Prefect flow against the use case called directly.

Both start the same organisation (two copies of one PostgreSQL database). The flow runs
against a Prefect server already running on 127.0.0.1 (``prefect server start``, its own
SQLite database, started here and warmed up with a trivial flow run first), so the figure is
what Prefect adds to a run, not its start-up. Target: the flow within 1.5x of direct.

    eval "$(tests/pg_start.sh)"
    .venv/bin/python -m bench.annual_start [--units 10000] [--batch 300]
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
from typing import Any

from sqlalchemy import func, select

from bench.pg_common import app_for, import_org, load_average, pg_database, timed
from engine.context import Actor, App
from engine.db.models import Cycle, Task
from engine.workflow import cycles
from flows import runtime


def count(app: App) -> tuple[int, int]:
    with app.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Cycle)) or 0,
            s.scalar(select(func.count()).select_from(Task)) or 0,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=300)
    args = parser.parse_args()
    times: dict[str, float] = {}
    print(f"annual start of {args.units} units, batches of {args.batch}; load {load_average()}")
    with pg_database("bench_annual_base") as base_url:
        base = app_for(base_url)
        with timed("import the organisation", times):
            import_org(base, args.units)
        base.db.dispose()
        base_name = base_url.rsplit("/", 1)[1]
        with (
            pg_database("bench_direct", base_name) as d_url,
            pg_database("bench_flow", base_name) as f_url,
        ):
            direct_app, flow_app = app_for(d_url), app_for(f_url)
            with timed("direct: cycles.start_cycles", times):
                report = cycles.start_cycles(
                    direct_app, Actor.system("bench"), 2027, batch_size=args.batch
                )
            result = run_flow(flow_app, args.batch, times)
            assert len(report.started) == result["started"] == count(direct_app)[0]
            assert count(direct_app) == count(flow_app)
            cycles_, tasks = count(flow_app)
            direct_app.db.dispose()
            flow_app.db.dispose()
    ratio = times["flow: start_annual_cycles"] / times["direct: cycles.start_cycles"]
    overhead = times["flow: start_annual_cycles"] - times["direct: cycles.start_cycles"]
    print(f"started {cycles_} cycles with {tasks} tasks, the same both ways")
    print(
        f"RESULT direct {times['direct: cycles.start_cycles']:.2f} s, "
        f"flow {times['flow: start_annual_cycles']:.2f} s: ratio {ratio:.2f}x "
        f"(Prefect adds {overhead:.2f} s for 1 flow run and {result['batches']} task runs); "
        f"target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'}; load {load_average()}"
    )


def run_flow(app: App, batch: int, times: dict[str, float]) -> dict[str, Any]:
    home = tempfile.mkdtemp(prefix="bench-prefect-")
    os.environ.update(PREFECT_HOME=home, PREFECT_LOGGING_LEVEL="WARNING")
    runtime.prefect_defaults()
    from flows.local_server import prefect_server

    began = time.perf_counter()
    with prefect_server(free_port(), quiet=True) as api:
        print(f"  prefect server started in {time.perf_counter() - began:.1f} s (not counted)")
        os.environ["PREFECT_API_URL"] = api
        from prefect import flow

        from flows.annual import start_annual_cycles

        @flow(name="warm-up")
        def warm_up() -> int:
            return 1

        warm_up()
        with runtime.using(runtime.Runtime(app)), timed("flow: start_annual_cycles", times):
            result: dict[str, Any] = start_annual_cycles(year=2027, batch_size=batch)
        return result


if __name__ == "__main__":
    main()
