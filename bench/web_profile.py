"""Where a request's server CPU goes: the app called in-process as ASGI (no sockets, no
load generator), CPU time per request, and optionally cProfile's top functions.

    .venv/bin/python bench/web_setup.py --units 300        # once
    .venv/bin/python -m bench.web_profile [--path /api/inbox] [-n 2000] [--profile]

Uses the first manager of bench/out/web_clients.json (its token; ``--page`` its browser
session for page paths). ``--complete`` completes that manager's tasks instead (POST).
The figure leaves out uvicorn's HTTP parsing, which ``bench/web_load.py`` includes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

from api.app import create_app
from engine.settings import Settings

OUT = Path(__file__).parent / "out"


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    raw, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw,
        "raw_path": raw.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def call(app: Any, s: dict[str, Any], body: bytes = b"") -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(s, receive, send)
    return int(sent[0]["status"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--path", default="/api/inbox")
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--page", action="store_true", help="sign in with the browser session")
    ap.add_argument("--complete", action="store_true", help="POST completions instead")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    setup = json.loads((OUT / "web_clients.json").read_text())
    app = create_app(Settings(database_url=setup["db"]))
    first = setup["clients"][0]
    if args.page:
        headers = [(b"cookie", f"samflow_session={first['session']}".encode())]
    else:
        headers = [(b"authorization", f"Bearer {first['token']}".encode())]
    work: list[tuple[str, str, bytes, list[tuple[bytes, bytes]]]] = []
    if args.complete:
        for c in setup["clients"]:
            for task, form in c["tasks"]:
                data = (
                    {"survey_name": "HME", "invited": 20, "answered": 15, "motivation": 70}
                    if form == "survey_results"
                    else {"short_term_pct": 3.1, "total_pct": 7.5}
                )
                auth = [
                    (b"authorization", f"Bearer {c['token']}".encode()),
                    (b"content-type", b"application/json"),
                ]
                work.append(
                    (
                        "POST",
                        f"/api/tasks/{task}/complete",
                        json.dumps({"data": data}).encode(),
                        auth,
                    )
                )
        work = work[: args.n]
    else:
        work = [("GET", args.path, b"", headers)] * args.n

    async def warm() -> None:
        for method, path, body, h in work[:20]:  # compiled statements, caches, route tables
            await call(app, scope(method, path, h), body)

    async def loop() -> list[float]:
        todo = work[20:] if args.complete else work
        each = []
        for method, path, body, h in todo:
            c0 = time.process_time()
            status = await call(app, scope(method, path, h), body)
            each.append(time.process_time() - c0)
            if status >= 400:
                raise SystemExit(f"{method} {path}: {status}")
        return each

    asyncio.run(warm())
    profiler = cProfile.Profile() if args.profile else None
    t0, c0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    each = asyncio.run(loop())
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"{len(each)} × {'POST complete' if args.complete else args.path}: "
        f"{1000 * cpu / len(each):.3f} ms CPU per request (median "
        f"{1000 * statistics.median(each):.3f} ms), {1000 * wall / len(each):.3f} ms wall"
        + (" (under cProfile)" if profiler else "")
    )
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
