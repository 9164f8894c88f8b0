"""Soak on PostgreSQL: simulated users for minutes through a TLS proxy and two web workers,
with a sweep every minute, evidence packages now and then, ``kill -9`` of a web worker
half-way (restarted two seconds later, as systemd's ``Restart=on-failure`` would) and
``kill -9`` of the Prefect worker (with the flow runs it started) a little later.

    eval "$(tests/pg_start.sh)"
    .venv/bin/python -m bench.soak [--users 50] [--minutes 10] [--units 300] [--no-prefect]

With Prefect (the default): a Prefect server on loopback (its own SQLite database), the
``samflow`` process work pool with the deployments of deploy/prefect.yaml (working
directory: this checkout), one ``prefect worker``, and the web workers on
``SAMFLOW_RUNNER=prefect``: every evidence package is a run of ``run-job/jobs`` and every
sweep a run of ``sweep/sweep``, none of it in the web processes. The worker is killed with
its whole process group (its flow runs die with it) and started again two seconds later.
After the run the bench waits for every job: a job whose run died stops beating and the next
sweep fails it as stopped (``SAMFLOW_JOB_STALE_SECONDS``, 20 s here); it is then ordered
again, as the person would, and must finish. Nothing is lost when every package ordered
ends ``done`` (first time or re-ordered) and no job is left queued or running.

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


#: Jobs beat every 5 s and count as stopped after 20 s without a beat (defaults 30/300 s),
#: so a job whose flow run was killed is failed by the next sweep within the soak.
JOB_ENV = {"SAMFLOW_JOB_HEARTBEAT_SECONDS": "5", "SAMFLOW_JOB_STALE_SECONDS": "20"}


class Worker:
    def __init__(self, url: str, port: int, log: Path, extra: dict[str, str] | None = None) -> None:
        self.url, self.port, self.log = url, port, log
        self.extra = extra or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "SAMFLOW_DATABASE_URL": self.url,
            "SAMFLOW_TRUSTED_PROXIES": "127.0.0.1",
            **JOB_ENV,
            **self.extra,
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


class PrefectStack:
    """A Prefect server, the ``samflow`` process work pool with deploy/prefect.yaml's
    deployments, and one worker (in a process group of its own, so ``kill9`` takes its flow
    runs with it, as a lost host would)."""

    def __init__(self, work: Path, url: str) -> None:
        self.work, self.url = work, url
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(work / "prefect-home"),
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "SAMFLOW_DATABASE_URL": url,
            **JOB_ENV,
        }
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def prefect(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "prefect"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

    def start(self, worker: bool = True) -> float:
        began = time.monotonic()
        self.server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
             str(self.port)],
            env=self.env, stdout=(self.work / "prefect-server.log").open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(f"{self.api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the Prefect server did not start; see {self.work}")
            time.sleep(1)
        self.prefect("work-pool", "create", "samflow", "--type", "process")
        text = (ROOT / "deploy" / "prefect.yaml").read_text("utf-8")
        prefect_file = self.work / "prefect.yaml"
        text = text.replace("directory: /srv/samflow", f"directory: {ROOT}")
        # no schedules: the bench runs the sweep itself, when it means to
        prefect_file.write_text(text.replace("active: true", "active: false"))
        deployed = self.prefect(
            "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)
        )
        if deployed.returncode != 0:
            raise SystemExit(f"prefect deploy failed:\n{deployed.stdout}\n{deployed.stderr}")
        if worker:
            self.start_worker()
        return time.monotonic() - began

    def start_worker(self, limit: int | None = None) -> subprocess.Popen[bytes]:
        """One more worker (``limit``: flow runs it runs at once; None: no limit)."""
        extra = [] if limit is None else ["--limit", str(limit)]
        self.worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "samflow", "--type", "process",
             *extra],
            env=self.env, cwd=ROOT,
            stdout=(self.work / "prefect-worker.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.workers.append(self.worker)
        return self.worker

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(30)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        self.workers, self.worker = [], None

    def kill9_worker(self) -> None:
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)

    def run_sweep(self) -> str:
        """Run ``sweep/sweep`` through the worker and wait for it; its final state."""
        ran = subprocess.run(
            [str(BIN / "python"), "-c", SWEEP_RUN],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        return (ran.stdout.strip().splitlines() or [f"error: {ran.stderr.strip()[-200:]}"])[-1]

    def stop(self) -> None:
        self.stop_workers()
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                self.server.kill()


SWEEP_RUN = """
from prefect.deployments import run_deployment
run = run_deployment("sweep/sweep", timeout=180)
print(run.state.type.value if run.state else "unknown")
"""


def order_package(base: str, token: str, code: str) -> int | None:
    reply = httpx.post(
        f"{base}/api/evidence/jobs",
        verify=False,
        headers={"Authorization": f"Bearer {token}"},
        json={"code": code, "scope": "unit", "year": 2027},
        timeout=30,
    )
    print(f"  evidence package ordered: HTTP {reply.status_code}", flush=True)
    return int(reply.json()["id"]) if reply.status_code == 202 else None


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


def at_work(app: App, ordered: list[int], nth: int, anyway: bool) -> bool:
    """The ``nth`` package ordered is being laid out by a flow run (it reported progress),
    or ``anyway``."""
    if anyway:
        return True
    if len(ordered) < nth:
        return False
    from engine.workflow.batch import jobs

    view = jobs.get(app, ordered[nth - 1])
    return view.status == "running" and bool(view.message)


def settle_jobs(
    app: App,
    ordered: list[int],
    base: str,
    token: str,
    code: str,
    sweep: Any,
    wait: float = 300,
) -> str:
    """Wait until every package ordered has ended; one whose run died (failed as stopped by
    a sweep) is ordered again, once, as its person would. Reports what became of each."""
    from engine.workflow.batch import jobs

    deadline = time.monotonic() + wait
    pending, outcome = list(ordered), {}
    reordered: dict[int, int] = {}
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            view = jobs.get(app, job_id)
            if view.status == "done":
                pending.remove(job_id)
                outcome[job_id] = "done"
            elif view.status == "failed":
                pending.remove(job_id)
                outcome[job_id] = f"failed ({view.error})"
                if job_id not in reordered.values() and job_id not in reordered:
                    again = order_package(base, token, code)
                    if again is not None:
                        reordered[job_id] = again
                        pending.append(again)
        if pending:
            time.sleep(5)
            if any(jobs.get(app, j).status == "running" for j in pending):
                sweep()  # recovers jobs whose run died (no heartbeat for 20 s)
    left = {j: jobs.get(app, j).status for j in pending}
    final_ok = all(
        outcome.get(j) == "done" or outcome.get(reordered.get(j, -1)) == "done" for j in ordered
    )
    lines = [f"evidence packages ordered: {len(ordered)}"]
    for j in ordered:
        line = f"  job {j}: {outcome.get(j, left.get(j))}"
        if j in reordered:
            line += f"; ordered again as job {reordered[j]}: " + str(
                outcome.get(reordered[j], left.get(reordered[j]))
            )
        lines.append(line)
    with app.read() as s:
        from engine.db.models import Job

        stuck = s.scalar(
            select(func.count()).select_from(Job).where(Job.status.in_(("queued", "running")))
        )
    lines.append(f"jobs left queued or running: {stuck}; every package ended done: {final_ok}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument(
        "--no-prefect",
        dest="prefect",
        action="store_false",
        help="sweeps by `samflow flows run --direct`, packages in the web workers' threads",
    )
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
                    .where(Person.email.ilike("m.d%-s%-u%"))  # e-mails are kept lower-case
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
        stack = PrefectStack(work, url) if args.prefect else None
        extra = {} if stack is None else {
            "SAMFLOW_RUNNER": "prefect",
            "PREFECT_API_URL": stack.api,
            "PREFECT_HOME": stack.env["PREFECT_HOME"],
        }  # fmt: skip
        workers = [Worker(url, p, work / f"web-{p}.log", extra) for p in ports]
        proxy: subprocess.Popen[bytes] | None = None
        try:
            if stack is not None:
                took = stack.start()
                print(f"  Prefect server, work pool, deployments, worker: {took:.0f} s", flush=True)
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
            killed = prefect_killed = False
            next_sweep = began + min(60.0, duration / 3)
            sweeps: list[str] = []
            sweeper: threading.Thread | None = None
            # packages: one before the kills, one that the Prefect worker's kill interrupts
            evidence_at = [began + duration * f for f in (0.2, 0.55)]
            ordered: list[int] = []
            code = managers[0][1].split("@")[0].removeprefix("m.").upper()  # the unit's code

            def sweep_now() -> None:
                if stack is not None:
                    sweeps.append(stack.run_sweep())
                    return
                done = subprocess.run(
                    [str(BIN / "samflow"), "--db", url, "flows", "run", "sweep", "--direct"],
                    capture_output=True,
                    check=False,
                )
                sweeps.append("COMPLETED" if done.returncode == 0 else f"exit {done.returncode}")

            while time.monotonic() - began < duration:
                now = time.monotonic()
                if now >= next_sweep and (sweeper is None or not sweeper.is_alive()):
                    sweeper = threading.Thread(target=sweep_now, daemon=True)
                    sweeper.start()
                    next_sweep += 60
                if evidence_at and now >= evidence_at[0]:
                    evidence_at.pop(0)
                    job = order_package(base, users[0][0], code)
                    if job is not None:
                        ordered.append(job)
                if (
                    stack is not None
                    and not prefect_killed
                    and at_work(app, ordered, 2, now - began >= duration * 0.85)
                ):
                    print(
                        f"  kill -9 the Prefect worker (and its flow runs) at {now - began:.0f} s, "
                        f"job {ordered[-1] if ordered else '-'} at work: "
                        f"{at_work(app, ordered, 2, False)}",
                        flush=True,
                    )
                    stack.kill9_worker()
                    time.sleep(2)
                    stack.start_worker()
                    prefect_killed = True
                if not killed and now - began >= duration * 0.4:
                    memory.append(("half-way", [rss_mb(w.proc.pid) for w in workers if w.proc]))
                    print(
                        f"  kill -9 web worker on port {ports[0]} at {now - began:.0f} s",
                        flush=True,
                    )
                    workers[0].kill9()
                    restart = threading.Timer(2, workers[0].start)  # the loop goes on
                    restart.start()
                    killed = True
                time.sleep(1)
            if stack is not None and not prefect_killed:  # a slow machine got here first
                if len(ordered) < 2:
                    job = order_package(base, users[0][0], code)
                    if job is not None:
                        ordered.append(job)
                waited = time.monotonic() + 90
                while not at_work(app, ordered, 2, time.monotonic() > waited):
                    time.sleep(0.5)
                print(
                    f"  kill -9 the Prefect worker (and its flow runs) after the run, job "
                    f"{ordered[-1] if ordered else '-'} at work: {at_work(app, ordered, 2, False)}",
                    flush=True,
                )
                stack.kill9_worker()
                time.sleep(2)
                stack.start_worker()
            stop.set()
            for t in threads:
                t.join(60)
            memory.append(("end", [rss_mb(w.proc.pid) for w in workers if w.proc]))
            elapsed = time.monotonic() - began
            if sweeper is not None:
                sweeper.join(200)
            jobs_report = settle_jobs(app, ordered, base, users[0][0], code, sweep_now)
            print(
                f"ran {elapsed:.0f} s, {len(sweeps)} sweeps ({', '.join(sweeps)}); "
                f"load after {load_average()}"
            )
            print(jobs_report)
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
            meaning = {0: "intact, anchored", 9: "intact; no signed checkpoint configured"}
            print(
                f"audit verify: exit {verify.returncode} "
                f"({meaning.get(verify.returncode, 'a finding')}): "
                f"{verify.stdout.strip().splitlines()[-1:]}"
            )
            print(f"server errors (5xx): {server_errors}")
        finally:  # nothing left running, also after a failure or Ctrl-C
            if proxy is not None:
                proxy.terminate()
            for w in workers:
                w.stop()
            if stack is not None:
                stack.stop()
        app.db.dispose()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
