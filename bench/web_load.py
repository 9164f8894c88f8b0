"""HTTP on loopback against uvicorn (one worker, or ``--workers N``) serving the database
from web_setup.py.

    .venv/bin/python bench/web_setup.py            # once: 3,000 units, tokens, sessions
    .venv/bin/python bench/web_load.py [--clients 50] [--seconds 15] [--workers 1]

The server runs in its own process(es) (``uvicorn --factory api.app:app_from_env``); this
process is the load generator: asyncio, one kept-alive HTTP/1.1 connection per client, each
request written as prepared bytes and each reply read by its ``Content-Length`` (``RawClient``;
httpx cost about 1 ms of CPU per request here, as much as the server, so on two cores the
load generator was what the 50 clients queued behind; ``--httpx`` measures with it). The server's
CPU per request is the CPU time its processes (the workers included) spent during a
scenario over the requests answered: robust on a shared machine, where wall time is not.
``bench.run`` calls ``measure`` (the figures of ``python -m bench.run``). Scenarios:

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
from json import dumps as json_dumps
from pathlib import Path
from typing import Any

import httpx

from api.middleware.proxies import uvicorn_args
from engine.settings import Settings

OUT = Path(__file__).parent / "out"
SURVEY = {"survey_name": "HME", "invited": 20, "answered": 15, "motivation": 70}
ABSENCE = {"short_term_pct": 3.1, "total_pct": 7.5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(db: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
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
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        *uvicorn_args(Settings.from_env(env)),  # as `samflow serve`: trusted proxies only
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=Path(__file__).parents[1])
    deadline = time.perf_counter() + 120  # a loaded machine starts it slowly
    while time.perf_counter() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).raise_for_status()
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


Request = Callable[[Any, int], Any]


class Reply:
    __slots__ = ("content", "status_code")

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content


class RawClient:
    """A minimal HTTP/1.1 client on one kept-alive connection (what the scenarios need:
    GET, POST with JSON, fixed headers and cookies; replies with a Content-Length or
    chunked). Far cheaper per request than httpx, so the server is what is measured."""

    def __init__(self, base_url: str, headers: dict[str, str], cookies: dict[str, str]) -> None:
        host_port = base_url.split("://", 1)[1]
        self.host, _, port = host_port.partition(":")
        self.port = int(port or 80)
        lines = [f"Host: {host_port}", *(f"{k}: {v}" for k, v in headers.items())]
        if cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        self.fixed = ("\r\n".join(lines) + "\r\n").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()

    async def get(self, path: str) -> Reply:
        return await self._send(f"GET {path} HTTP/1.1\r\n".encode() + self.fixed + b"\r\n")

    async def post(
        self, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        body = json_dumps(json).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"POST {path} HTTP/1.1\r\n{extra}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
        ).encode()
        return await self._send(head + self.fixed + b"\r\n" + body)

    async def _send(self, request: bytes) -> Reply:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            content = b"".join(p[:-2] for p in parts)
        else:
            content = await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.reader = self.writer = None
        return Reply(status, content)


async def run(
    base: str,
    clients: list[dict[str, Any]],
    make: Callable[[dict[str, Any]], tuple[dict[str, str], dict[str, str], Request]],
    seconds: float,
    think: float = 0.0,
    use_httpx: bool = False,
) -> tuple[list[float], int, float]:
    """Each client sends requests back to back (or every ``think`` seconds) until time is
    up or it runs out of work; returns latencies, errors and the elapsed time."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(spec: dict[str, Any]) -> None:
        nonlocal errors
        headers, cookies, call = make(spec)
        http: Any = (
            httpx.AsyncClient(base_url=base, headers=headers, cookies=cookies, timeout=30)
            if use_httpx
            else RawClient(base, headers, cookies)
        )
        async with http:
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


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its living descendants (uvicorn's
    workers are children of its supervisor)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = _stat(p)
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        todo += children.get(p, [])
    return total


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def summary(
    latencies: list[float],
    errors: int,
    elapsed: float,
    cpu: float = 0.0,
    client_cpu: float = 0.0,
) -> dict[str, Any]:
    """The scenario's figures: requests, rate, latency percentiles, server CPU per request."""
    ms = sorted(x * 1000 for x in latencies)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))] if ms else 0.0  # noqa: E731
    n = len(ms)
    return {
        "n": n,
        "per_second": n / elapsed if elapsed else 0.0,
        "p50_ms": p(0.5),
        "p95_ms": p(0.95),
        "p99_ms": p(0.99),
        "errors": errors,
        "server_cpu_ms_per_request": 1000 * cpu / n if n else 0.0,
        "server_cpu_share": cpu / elapsed if elapsed else 0.0,
        "load_generator_cpu_share": client_cpu / elapsed if elapsed else 0.0,
        "seconds": elapsed,
    }


def report(name: str, r: dict[str, Any]) -> None:
    if not r["n"]:
        print(f"{name:<34} no requests")
        return
    print(
        f"{name:<34} n={r['n']:>6}  {r['per_second']:7.1f}/s  p50={r['p50_ms']:6.1f} ms  "
        f"p95={r['p95_ms']:6.1f} ms  p99={r['p99_ms']:6.1f} ms  errors={r['errors']}  "
        f"server CPU {r['server_cpu_ms_per_request']:4.2f} ms/req "
        f"({100 * r['server_cpu_share']:3.0f}% of a core), "
        f"load generator {100 * r['load_generator_cpu_share']:3.0f}%"
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


#: The scenarios by name: (label, request maker, browsers only, think time).
SCENARIOS: dict[str, tuple[str, Any, bool, float]] = {
    "page": ("GET /inbox (page), closed loop", page, True, 0.0),
    "api_inbox": ("GET /api/inbox, closed loop", api_inbox, False, 0.0),
    "page_paced": ("GET /inbox (page), 1 req/s each", page, True, 1.0),
    "api_inbox_paced": ("GET /api/inbox, 1 req/s each", api_inbox, False, 1.0),
}


def measure(
    setup: dict[str, Any],
    *,
    clients: int = 50,
    seconds: float = 15,
    workers: int = 1,
    scenarios: tuple[str, ...] = tuple(SCENARIOS),
    completions_seconds: float | None = 60,
    warm_up: float = 2.0,
    quiet: bool = False,
    use_httpx: bool = False,
) -> dict[str, Any]:
    """Start the server on the set-up database, run the scenarios one after the other
    (each after a short warm-up that is not counted), then the completions (if
    ``completions_seconds``); returns each scenario's ``summary`` and the peak RSS."""
    everyone: list[dict[str, Any]] = setup["clients"]
    if not everyone:
        raise SystemExit("the set-up database has no unit managers to act as clients")
    browsers = [c for c in everyone if "session" in c][:clients]
    port = free_port()
    server = start_server(setup["db"], port, workers)
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"workers": workers, "clients": clients, "scenarios": {}}
    try:
        if not quiet:
            print(
                f"server pid {server.pid}, {workers} worker(s), {len(everyone)} managers, "
                f"{clients} clients, {seconds:.0f} s per scenario"
            )
        for key in scenarios:
            name, make, only_browsers, think = SCENARIOS[key]
            group = browsers if only_browsers else everyone[:clients]
            if warm_up:
                asyncio.run(run(base, group, make, warm_up, think, use_httpx))
            before, mine = cpu_seconds(server.pid), own_cpu()
            result = asyncio.run(run(base, group, make, seconds, think, use_httpx))
            r = summary(*result, cpu_seconds(server.pid) - before, own_cpu() - mine)
            out["scenarios"][key] = r
            if not quiet:
                report(name, r)
        if completions_seconds:
            per = max(1, len(everyone) // clients)
            groups = [completions(everyone[i * per : (i + 1) * per]) for i in range(clients)]
            before, mine = cpu_seconds(server.pid), own_cpu()
            result = asyncio.run(
                run(base, groups, complete, completions_seconds, use_httpx=use_httpx)
            )
            r = summary(*result, cpu_seconds(server.pid) - before, own_cpu() - mine)
            out["scenarios"]["complete"] = r
            if not quiet:
                report("POST complete, closed loop", r)
        out["peak_rss_mb"] = peak_rss_mb(server.pid)
        if not quiet:
            print(f"server peak RSS (VmHWM): {out['peak_rss_mb']:.0f} MB")
    finally:
        server.terminate()
        server.wait(10)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", nargs="*", choices=list(SCENARIOS), help="some scenarios only")
    ap.add_argument("--no-completions", action="store_true")
    ap.add_argument("--httpx", action="store_true", help="httpx as the load generator's client")
    ap.add_argument("--completions-seconds", type=float, default=60)
    args = ap.parse_args()
    setup = json.loads((OUT / "web_clients.json").read_text())
    measure(
        setup,
        clients=args.clients,
        seconds=args.seconds,
        workers=args.workers,
        scenarios=tuple(args.only or SCENARIOS),
        completions_seconds=None if args.no_completions else args.completions_seconds,
        use_httpx=args.httpx,
    )


if __name__ == "__main__":
    main()
