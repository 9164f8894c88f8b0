"""What the operator's monitoring reads: ``/healthz``, ``/readyz``, ``/metrics``, a request id
on every reply, and log lines in JSON.

- ``/healthz``: the process answers (200, no database touched). For a liveness probe.
- ``/readyz``: the database answers and its schema is at this code's head revision, and the
  Prefect API answers when long work runs on Prefect; 503 naming each failed check
  otherwise. For a readiness probe and a load balancer.
- ``/metrics``: Prometheus text format. Requests by route template and status, latency
  histograms per route, and the backlog (open, overdue and escalated tasks, unsent mail,
  unfinished jobs) counted at most once per ``SAMFLOW_METRICS_CACHE_SECONDS``. Served to
  loopback clients, or to anyone sending ``Authorization: Bearer <SAMFLOW_METRICS_TOKEN>``;
  everyone else gets 404 (the counts are the organisation's business).
- Every request gets an id: the client's ``X-Request-ID`` when it is a short token
  (letters, digits, ``-_.``, ≤ 64), else a new one. It is sent back in ``X-Request-ID``, put
  on the request's log lines, and on every audit event written for the request
  (``engine.context.REQUEST_ID``).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware.http_methods import endpoints, route_path
from engine.context import REQUEST_ID, App
from engine.views import ops

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
LOOPBACK = {"127.0.0.1", "::1"}
#: Latency buckets in seconds: a page is expected in milliseconds, an export in seconds.
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

router = APIRouter(include_in_schema=False)
log = logging.getLogger("samflow.metrics")


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, app: App) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "samflow_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "samflow_http_request_duration_seconds",
            "Time to answer an HTTP request (to the start of the reply), by route template.",
            ["route", "method"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.registry.register(BacklogCollector(app))
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def children(self, route: str, method: str, status: int) -> tuple[Any, Any]:
        """The latency histogram and the request counter of a route, method and status,
        looked up once (``labels`` takes a lock and builds its key on every call). A method
        is whatever token a client sends, so the memo stops growing at 4,096 entries."""
        key = (route, method, status)
        found = self._children.get(key)
        if found is None:
            found = (
                self.latency.labels(route, method),
                self.requests.labels(route, method, str(status)),
            )
            if len(self._children) < 4096:
                self._children[key] = found
        return found


class BacklogCollector(Collector):
    """The backlog gauges, read from the database at most once per cache period."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.read_at = -1e9
        self.last: ops.Backlog | None = None

    def describe(self) -> Any:
        return []  # registering must not read the database (the app may not be migrated)

    def collect(self) -> Any:
        seconds = self.app.settings.metrics_cache_seconds
        with self.lock:
            if self.last is None or time.monotonic() - self.read_at >= seconds:
                try:
                    self.last = ops.backlog(self.app)
                except Exception:  # the database is away: say so, keep serving the rest
                    log.warning("metrics: the backlog could not be counted", exc_info=True)
                    yield GaugeMetricFamily(
                        "samflow_backlog_up", "Whether the backlog could be counted.", value=0
                    )
                    return
                self.read_at = time.monotonic()
            b = self.last
        yield GaugeMetricFamily("samflow_backlog_up", "Whether the backlog could be counted.", 1)
        gauges = [
            ("samflow_tasks_open", "Open tasks.", b.open_tasks),
            ("samflow_tasks_overdue", "Open tasks past their deadline.", b.overdue_tasks),
            ("samflow_tasks_escalated", "Open tasks escalated at least once.", b.escalated_tasks),
            ("samflow_outbox_pending", "Mail waiting to be sent.", b.outbox_pending),
            ("samflow_jobs_queued", "Background jobs waiting to start.", b.jobs_queued),
            ("samflow_jobs_running", "Background jobs running.", b.jobs_running),
        ]
        for name, doc, value in gauges:
            yield GaugeMetricFamily(name, doc, value=value)


class RouteNames:
    """The route template of a request (``/api/tasks/{task_id}``, never the id itself: a
    label per id would grow without bound). The route FastAPI leaves in the scope is the
    router's own, without the prefix it was included under; the app's table has the full
    path, found once per endpoint."""

    def __init__(self) -> None:
        self.by_endpoint: dict[Any, str | None] = {}

    def of(self, scope: Scope) -> str:
        endpoint = scope.get("endpoint")
        if endpoint is None:
            path = str(scope.get("path", ""))
            return "/static" if path.startswith("/static/") else "(unmatched)"
        if endpoint not in self.by_endpoint:
            paths = {p for p, _, e in self._routes(scope) if e is endpoint}
            self.by_endpoint[endpoint] = paths.pop() if len(paths) == 1 else None
        found = self.by_endpoint[endpoint]
        if found is not None:
            return found
        path = route_path(scope)  # one endpoint under several paths: the one that matches
        for template, regex, in_endpoint in self._routes(scope):
            if in_endpoint is endpoint and regex.match(path):
                return template
        return "(unmatched)"

    @staticmethod
    def _routes(scope: Scope) -> Iterator[tuple[str, Any, Any]]:
        """(full path, path regex, endpoint) of every route of the app."""
        for route in endpoints(scope["app"].router.routes):
            path, regex = getattr(route, "path", None), getattr(route, "path_regex", None)
            if isinstance(path, str) and regex is not None:
                yield path, regex, getattr(route, "endpoint", None)


class RequestContext:
    """Pure ASGI: request id in and out, and the request's count and latency."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = RouteNames()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        request_id = given if _GOOD_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
                latency, count = self.metrics.children(
                    self.routes.of(scope), str(scope.get("method", "")), status
                )
                latency.observe(time.perf_counter() - started)
                count.inc()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


def install(app: FastAPI, engine: App) -> None:
    metrics = Metrics(engine)
    app.state.metrics = metrics
    app.include_router(router)
    app.add_middleware(RequestContext, metrics=metrics)


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    engine: App = request.app.state.engine
    checks = await anyio.to_thread.run_sync(ops.database_checks, engine)
    if engine.settings.runner == "prefect":
        checks.append(await _prefect_check())
    ok = all(c.ok for c in checks)
    body = {
        "status": "ready" if ok else "not ready",
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
    }
    return JSONResponse(body, status_code=200 if ok else 503)


async def _prefect_check() -> ops.Check:
    url = os.environ.get("PREFECT_API_URL", "")
    if not url:
        return ops.Check("prefect", False, "PREFECT_API_URL is not set")
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            reply = await client.get(url.rstrip("/") + "/health")
    except httpx.HTTPError as e:
        return ops.Check("prefect", False, type(e).__name__)
    if reply.status_code != 200:
        return ops.Check("prefect", False, f"HTTP {reply.status_code}")
    return ops.Check("prefect", True)


def _may_read_metrics(request: Request) -> bool:
    token = request.app.state.engine.settings.metrics_token
    given = request.headers.get("authorization", "")
    if token is not None and given.startswith("Bearer "):
        return hmac.compare_digest(given[7:].encode(), token.get_secret_value().encode())
    client = request.client.host if request.client else ""
    return client in LOOPBACK and "x-forwarded-for" not in request.headers


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    if not _may_read_metrics(request):
        return JSONResponse({"code": "not_found", "message": "Not Found"}, status_code=404)
    registry = request.app.state.metrics.registry
    body = await anyio.to_thread.run_sync(generate_latest, registry)
    return PlainTextResponse(body, media_type=CONTENT_TYPE)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request
    id of the work being done, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_config(log_format: str, level: str = "info") -> dict[str, Any]:
    """uvicorn's ``log_config``: its own loggers (and samflow's) in text or JSON lines."""
    formatter: dict[str, Any] = (
        {"()": "api.middleware.observability.JsonLogFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    loggers = {
        name: {"handlers": ["main"], "level": level.upper(), "propagate": False}
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "samflow")
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": loggers,
    }
