"""HTTP on loopback against ONE uvicorn worker serving the database from web_setup.py.

    .venv/bin/python bench/web_setup.py            # once: 3,000 units, tokens, sessions
    .venv/bin/python bench/web_load.py [--clients 50] [--seconds 15]

The server runs in its own process (``uvicorn --factory api.app:app_from_env``); this
process is the load generator (asyncio + httpx, one connection per client). Scenarios:

* inbox page  (GET /inbox, signed-in browser sessions), 50 clients back to back
* /api/inbox  (bearer tokens), 50 clients back to back
* the same two with think time (each client asks once a second: 50 users at work)
* task completions (POST /api/tasks/{id}/complete, 50 clients back to back)

Prints p50/p95/p99 latency and throughput per scenario, and the server's peak RSS
(VmHWM from /proc). Targets: p95 ≤ 50 ms, ≥ 500 completions/s, ≤ 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from api.proxies import uvicorn_args
from engine.settings import Settings

OUT = Path(__file__).parent / "out"
SURVEY = {"survey_name": "HME", "invited": 20, "answered": 15, "motivation": 70}
ABSENCE = {"short_term_pct": 3.1, "total_pct": 7.5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(db: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SAMFLOW_DATABASE_URL": db}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:app_from_env",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
        *uvicorn_args(Settings.from_env(env)),  # as `samflow serve`: trusted proxies only
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=Path(__file__).parents[1])
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


Request = Callable[[httpx.AsyncClient, int], Any]


async def run(
    base: str,
    clients: list[dict[str, Any]],
    make: Callable[[dict[str, Any]], tuple[dict[str, str], dict[str, str], Request]],
    seconds: float,
    think: float = 0.0,
) -> tuple[list[float], int, float]:
    """Each client sends requests back to back (or every ``think`` seconds) until time is
    up or it runs out of work; returns latencies, errors and the elapsed time."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(spec: dict[str, Any]) -> None:
        nonlocal errors
        headers, cookies, call = make(spec)
        async with httpx.AsyncClient(
            base_url=base, headers=headers, cookies=cookies, timeout=30
        ) as http:
            if think:  # users arrive spread out, not all in the same millisecond
                await asyncio.sleep(random.uniform(0, think))
            n = 0
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                reply = await call(http, n)
                if reply is None:
                    return
                latencies.append(time.perf_counter() - t0)
                if reply.status_code >= 400:
                    errors += 1
                n += 1
                if think:
                    pause = random.uniform(0.5, 1.5) * think - (time.perf_counter() - t0)
                    await asyncio.sleep(max(0.0, pause))

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in clients))
    return latencies, errors, time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (to see whether the server is busy)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(
    name: str,
    latencies: list[float],
    errors: int,
    elapsed: float,
    cpu: float = 0.0,
    client_cpu: float = 0.0,
) -> None:
    if not latencies:
        print(f"{name:<34} no requests")
        return
    ms = sorted(x * 1000 for x in latencies)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    print(
        f"{name:<34} n={len(ms):>6}  {len(ms) / elapsed:7.1f}/s  p50={p(0.5):6.1f} ms  "
        f"p95={p(0.95):6.1f} ms  p99={p(0.99):6.1f} ms  errors={errors}  "
        f"server CPU {1000 * cpu / len(ms):4.1f} ms/req ({100 * cpu / elapsed:3.0f}% of a core), "
        f"load generator {100 * client_cpu / elapsed:3.0f}%"
    )


def page(spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], Request]:
    async def call(http: httpx.AsyncClient, n: int) -> Any:
        return await http.get("/inbox")

    return {}, {"samflow_session": spec["session"]}, call


def api_inbox(spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], Request]:
    async def call(http: httpx.AsyncClient, n: int) -> Any:
        return await http.get("/api/inbox")

    return {"Authorization": f"Bearer {spec['token']}"}, {}, call


def completions(group: list[dict[str, Any]]) -> dict[str, Any]:
    """One load client works through the tasks of several managers (a token each)."""
    work = [(c["token"], t) for c in group for t in c["tasks"]]
    return {"work": work}


def complete(spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], Request]:
    async def call(http: httpx.AsyncClient, n: int) -> Any:
        if n >= len(spec["work"]):
            return None
        token, (task, form) = spec["work"][n]
        data = SURVEY if form == "survey_results" else ABSENCE
        return await http.post(
            f"/api/tasks/{task}/complete",
            json={"data": data},
            headers={"Authorization": f"Bearer {token}"},
        )

    return {}, {}, call


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=15)
    args = ap.parse_args()
    setup = json.loads((OUT / "web_clients.json").read_text())
    everyone: list[dict[str, Any]] = setup["clients"]
    browsers = [c for c in everyone if "session" in c][: args.clients]
    port = free_port()
    server = start_server(setup["db"], port)
    base = f"http://127.0.0.1:{port}"
    try:
        print(
            f"server pid {server.pid}, {len(everyone)} managers, {args.clients} clients, "
            f"{args.seconds:.0f} s per scenario"
        )
        for name, make, group, think in (
            ("GET /inbox (page), closed loop", page, browsers, 0.0),
            ("GET /api/inbox, closed loop", api_inbox, everyone[: args.clients], 0.0),
            ("GET /inbox (page), 1 req/s each", page, browsers, 1.0),
            ("GET /api/inbox, 1 req/s each", api_inbox, everyone[: args.clients], 1.0),
        ):
            before, mine = cpu_seconds(server.pid), own_cpu()
            result = asyncio.run(run(base, group, make, args.seconds, think))
            report(name, *result, cpu_seconds(server.pid) - before, own_cpu() - mine)
        per = max(1, len(everyone) // args.clients)
        groups = [completions(everyone[i * per : (i + 1) * per]) for i in range(args.clients)]
        before, mine = cpu_seconds(server.pid), own_cpu()
        result = asyncio.run(run(base, groups, complete, 60))
        report(
            "POST complete, closed loop",
            *result,
            cpu_seconds(server.pid) - before,
            own_cpu() - mine,
        )
        print(f"server peak RSS (VmHWM): {peak_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
