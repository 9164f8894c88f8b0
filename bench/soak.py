"""Soak on PostgreSQL: simulated users for minutes through a TLS proxy and two web workers,
with a sweep every minute, an evidence package now and then, and ``kill -9`` of a web
worker half-way (restarted two seconds later, as systemd's ``Restart=on-failure`` would).

    eval "$(tests/pg_start.sh)"
    .venv/bin/python -m bench.soak [--users 50] [--minutes 10] [--units 300]

The stack: PostgreSQL (the one in SAMFLOW_TEST_PG_URL, a fresh database), two
``samflow serve`` processes on loopback ports, nginx terminating TLS on a third and spreading
requests over both (``proxy_next_upstream`` retries an idempotent request on the other
worker when one dies). Each user, a unit manager with an API token, loops: the inbox, one of
its tasks, and every few rounds a completion (survey and absence figures); a tenth of them
also read the overview. Think time about a second.

Prints per route: requests, p50/p95/p99, 5xx and connection failures; each worker's RSS at
start, half-way and end (memory flat or not); and the checks after the run: every
completion answered 200 is completed in the database (nothing lost), every completion that
failed in transit is either completed once or still open (never twice), and ``samflow audit
verify`` passes. A bench, not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.pg_common import load_average, pg_database
from bench.web_setup import organisation
from engine.accounts import tokens
from engine.context import Actor, App
from engine.db.models import Person, Task
from engine.org import admin as org
from engine.settings import Settings
from engine.views import inbox as reports
from engine.workflow import cycles

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SURVEY = {"survey_name": "HME", "invited": 20, "answered": 15, "motivation": 70}
ABSENCE = {"short_term_pct": 3.1, "total_pct": 7.5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Worker:
    def __init__(self, url: str, port: int, log: Path) -> None:
        self.url, self.port, self.log = url, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "SAMFLOW_DATABASE_URL": self.url,
            "SAMFLOW_TRUSTED_PROXIES": "127.0.0.1",
        }
        self.proc = subprocess.Popen(
            [str(BIN / "samflow"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit(f"web worker on {self.port} did not start; see {self.log}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def nginx(work: Path, tls_port: int, upstreams: list[int]) -> subprocess.Popen[bytes]:
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(exe).exists():
        raise SystemExit("nginx is needed (apt-get install nginx-light)")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(work / "key.pem"),
            "-out",
            str(work / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in upstreams)
    (work / "nginx.conf").write_text(f"""
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  upstream samflow {{
{servers}
    keepalive 64;
  }}
  server {{
    listen 127.0.0.1:{tls_port} ssl;
    ssl_certificate {work}/cert.pem; ssl_certificate_key {work}/key.pem;
    location / {{
      proxy_pass http://samflow;
      proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_next_upstream error timeout http_502;
    }}
  }}
}}
""")
    return subprocess.Popen(
        [exe, "-c", str(work / "nginx.conf"), "-p", str(work), "-g", "daemon off;"]
    )


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.completed_ok: set[int] = set()
        self.completed_unknown: set[int] = set()

    def add(self, route: str, seconds: float, status: str) -> None:
        with self.lock:
            self.latency[route].append(seconds)
            self.status[route][status] += 1


def user(
    base: str,
    token: str,
    tasks: list[list[Any]],
    overview: bool,
    stats: Stats,
    stop: threading.Event,
    seed: int,
) -> None:
    rnd = random.Random(seed)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    headers = {"Authorization": f"Bearer {token}"}
    todo = list(tasks)
    with httpx.Client(base_url=base, verify=context, headers=headers, timeout=30) as http:
        rounds = 0
        while not stop.is_set():
            calls: list[tuple[str, str, str, dict[str, Any] | None, int | None]] = [
                ("GET /api/inbox", "GET", "/api/inbox", None, None)
            ]
            if todo:
                task_id, form = todo[0]
                calls.append(("GET /api/tasks/{id}", "GET", f"/api/tasks/{task_id}", None, None))
                if rounds % 3 == 2:
                    data = SURVEY if form == "survey_results" else ABSENCE
                    calls.append(
                        (
                            "POST complete",
                            "POST",
                            f"/api/tasks/{task_id}/complete",
                            {"data": data},
                            task_id,
                        )
                    )
            if overview:
                calls.append(("GET /api/overview", "GET", "/api/overview?year=2027", None, None))
            for route, method, path, body, task in calls:
                began = time.perf_counter()
                try:
                    reply = http.request(method, path, json=body)
                    status = str(reply.status_code)
                except httpx.HTTPError as e:
                    status = type(e).__name__
                stats.add(route, time.perf_counter() - began, status)
                if task is not None:
                    todo.pop(0)
                    with stats.lock:
                        (stats.completed_ok if status == "200" else stats.completed_unknown).add(
                            task
                        )
            rounds += 1
            stop.wait(rnd.uniform(0.5, 1.5))


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--units", type=int, default=300)
    args = ap.parse_args()
    print(
        f"soak: {args.users} users, {args.minutes:g} min, {args.units} units; "
        f"load before {load_average()}",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="samflow-soak-"))
    with pg_database("samflow_soak") as url:
        app = App.from_settings(Settings(database_url=url))
        units_csv, people_csv = organisation(args.units)
        org.import_org(app, Actor.system("bench"), units_csv, people_csv)
        with app.read() as s:
            hr = s.scalar(select(Person.id).where(Person.email == "hr@b.se"))
        cycles.start_cycles(app, Actor(hr, "hr@b.se"), 2027)
        with app.read() as s:
            managers = list(
                s.execute(
                    select(Person.id, Person.email)
                    .where(Person.email.like("m.d%-s%-u%"))  # e-mails are stored lower-case
                    .order_by(Person.id)
                    .limit(args.users)
                )
            )
        if not managers:
            raise SystemExit("soak: no unit managers found in the organisation")
        users = []
        for person_id, email in managers:
            token, _ = tokens.create_token(app, Actor.system("bench"), email, "soak")
            mine = [
                [t.task_id, t.form_key]
                for t in reports.inbox(app, Actor(person_id, email)).items
                if t.form_key in ("survey_results", "absence_review")
            ]
            users.append((token, mine))
        ports = [free_port(), free_port()]
        workers = [Worker(url, p, work / f"web-{p}.log") for p in ports]
        proxy: subprocess.Popen[bytes] | None = None
        try:
            for w in workers:
                w.start()
            tls = free_port()
            proxy = nginx(work, tls, ports)
            time.sleep(1)
            base = f"https://127.0.0.1:{tls}"
            stats, stop = Stats(), threading.Event()
            threads = [
                threading.Thread(
                    target=user, args=(base, tok, tasks, i % 10 == 0, stats, stop, i), daemon=True
                )
                for i, (tok, tasks) in enumerate(users)
            ]
            memory: list[tuple[str, list[float]]] = [
                ("start", [rss_mb(w.proc.pid) for w in workers if w.proc])
            ]
            began = time.monotonic()
            for t in threads:
                t.start()
            duration = args.minutes * 60
            killed = False
            next_sweep = began + 60
            sweeps = 0
            evidence_at = began + duration * 0.3
            while time.monotonic() - began < duration:
                now = time.monotonic()
                if now >= next_sweep:
                    subprocess.run(
                        [str(BIN / "samflow"), "--db", url, "flows", "run", "sweep", "--direct"],
                        capture_output=True,
                        check=False,
                    )
                    sweeps += 1
                    next_sweep += 60
                if evidence_at and now >= evidence_at:
                    reply = httpx.post(
                        f"{base}/api/evidence/jobs",
                        verify=False,
                        headers={"Authorization": f"Bearer {users[0][0]}"},
                        json={
                            "code": managers[0][1].split("@")[0].removeprefix("m.").upper(),
                            "scope": "unit",
                            "year": 2027,
                        },
                    )
                    print(f"  evidence package ordered: HTTP {reply.status_code}", flush=True)
                    evidence_at = 0
                if not killed and now - began >= duration / 2:
                    memory.append(("half-way", [rss_mb(w.proc.pid) for w in workers if w.proc]))
                    print(
                        f"  kill -9 web worker on port {ports[0]} at {now - began:.0f} s",
                        flush=True,
                    )
                    workers[0].kill9()
                    time.sleep(2)
                    workers[0].start()
                    killed = True
                time.sleep(1)
            stop.set()
            for t in threads:
                t.join(60)
            memory.append(("end", [rss_mb(w.proc.pid) for w in workers if w.proc]))
            elapsed = time.monotonic() - began
            print(f"ran {elapsed:.0f} s, {sweeps} sweeps; load after {load_average()}")
            print(f"{'route':24} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
            server_errors = 0
            for route, samples in sorted(stats.latency.items()):
                codes = dict(stats.status[route])
                server_errors += sum(n for c, n in codes.items() if c.startswith("5"))
                print(
                    f"{route:24} {len(samples):7d} {pct(samples, 0.5):8.1f} "
                    f"{pct(samples, 0.95):8.1f} "
                    f"{pct(samples, 0.99):8.1f}  {json.dumps(codes)}"
                )
            print(
                "RSS MB per worker: "
                + "; ".join(f"{k} {', '.join(f'{m:.0f}' for m in v)}" for k, v in memory)
            )
            with app.read() as s:
                ok_done = (
                    s.scalar(
                        select(func.count()).where(
                            Task.id.in_(stats.completed_ok), Task.status == "completed"
                        )
                    )
                    or 0
                )
                unknown_done = (
                    s.scalar(
                        select(func.count()).where(
                            Task.id.in_(stats.completed_unknown), Task.status == "completed"
                        )
                    )
                    or 0
                )
            lost = len(stats.completed_ok) - ok_done
            print(
                f"completions answered 200: {len(stats.completed_ok)}, completed in the database: "
                f"{ok_done} (lost: {lost}); failed in transit: {len(stats.completed_unknown)}, "
                f"of which completed: {unknown_done}"
            )
            verify = subprocess.run(
                [str(BIN / "samflow"), "--db", url, "audit", "verify"],
                capture_output=True,
                text=True,
                check=False,
            )
            # exit 9: every chain verified, but no signed checkpoint anchors it (none is
            # written in a soak); anything else but 0 is a finding.
            meaning = {0: "passed", 9: "passed (chains verified; no checkpoint anchored)"}
            last = (verify.stdout.strip().splitlines() or [verify.stderr.strip()])[-1]
            print(
                f"audit verify: {meaning.get(verify.returncode, 'FAILED')} "
                f"(exit {verify.returncode}): {last}"
            )
            print(f"server errors (5xx): {server_errors}")
        finally:  # nothing left running, also after a failure or Ctrl-C
            if proxy is not None:
                proxy.terminate()
            for w in workers:
                w.stop()
        app.db.dispose()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
