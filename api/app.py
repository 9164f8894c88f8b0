"""The web app's composition root: ``create_app(settings, clock)`` builds everything (the
engine, the template environment, the launcher for long work); nothing is built at import.

    samflow serve          (or: uvicorn --factory api.app:app_from_env --no-proxy-headers;
                           behind a proxy: --forwarded-allow-ips, see docs/signin.md)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from types import ModuleType

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import docs_assets, errors
from api.launcher import Launcher, launcher_for
from api.middleware import control_chars, http_methods, limits, observability
from api.middleware.security_headers import SecurityHeaders
from api.pages.duties import alloc as alloc_page
from api.pages.duties import cases as cases_page
from api.pages.duties import coop as coop_page
from api.pages.duties import inspections as inspections_page
from api.pages.duties import policy as policy_page
from api.pages.duties import rounds as rounds_page
from api.pages.followup import plans as plans_page
from api.pages.followup import reports as reports_page
from api.pages.followup import rollup as rollup_page
from api.pages.followup import surveys as surveys_page
from api.pages.people import auth as auth_page
from api.pages.people import org as org_page
from api.pages.records import audit as audit_page
from api.pages.records import evidence as evidence_page
from api.pages.workflow import cycles as cycles_page
from api.pages.workflow import inbox as inbox_page
from api.pages.workflow import tasks as tasks_page
from api.pages.workflow import year as year_page
from api.routers.duties import alloc, cases, coop, inspections, policy, rounds
from api.routers.followup import overview, plan_import, plans, reports, rollup, surveys
from api.routers.people import account, org
from api.routers.records import audit, evidence
from api.routers.workflow import cycles, inbox, jobs, tasks
from engine.context import App
from engine.domain.clock import Clock
from engine.settings import Settings
from forms.render import environments

DESCRIPTION = """samflow's JSON API: the task inbox, tasks and their forms, cycles and their
sign-off, the organisation and the year's overview; evidence packages for
Arbetsmiljöverket (and checking one handed out earlier), inspections and their replies,
the audit log, the annual follow-up and the board's report, importing an action plan.
Sign in with an API token (`samflow token create EMAIL`) sent as
`Authorization: Bearer sf_…`. Errors are problem
documents: `code`, `message`, `errors` (each bad field by its path) and `unmet` (every
reason a stage cannot be signed off). Messages are Swedish unless `Accept-Language: en`."""

API_ROUTERS = (
    account,
    cases,
    inbox,
    tasks,
    cycles,
    plan_import,
    plans,
    org,
    jobs,
    overview,
    evidence,
    inspections,
    coop,
    policy,
    alloc,
    audit,
    reports,
    rounds,
    rollup,
    surveys,
)
PAGE_ROUTERS = (
    auth_page,
    inbox_page,
    tasks_page,
    cycles_page,
    org_page,
    year_page,
    evidence_page,
    inspections_page,
    coop_page,
    alloc_page,
    plans_page,
    cases_page,
    policy_page,
    audit_page,
    reports_page,
    rounds_page,
    rollup_page,
    surveys_page,
)

#: Asked for most (the inbox and a task, by API and page): tried first. The router tries
#: the table in order, a few microseconds per route (FastAPI 0.150 matches an included
#: router's routes twice), and the page inbox came after all 134 API routes. The order
#: decides nothing else: every API path starts with /api and no page path does, and the
#: routers moved forward share no path with those they pass
#: (``tests/api/test_routing_order.py``).
HOT = (inbox, tasks, inbox_page, tasks_page)


def routing_order() -> list[tuple[ModuleType, bool]]:
    """(router module, is it the JSON API) in the order the app tries them."""
    every = [(m, True) for m in API_ROUTERS] + [(m, False) for m in PAGE_ROUTERS]
    return sorted(every, key=lambda entry: entry[0] not in HOT)  # stable: the rest as listed


def create_app(
    settings: Settings, clock: Clock | None = None, *, launcher: Launcher | None = None
) -> FastAPI:
    engine = App.from_settings(settings, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Handlers that touch the database run in worker threads. Forty of them (anyio's
        # default) only queue on the database and burn CPU switching; a few keep it busy.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.web_threads
        # jobs a previous process left running are failed; those it left queued start
        chosen.start()
        yield
        engine.db.dispose()

    app = FastAPI(
        title="samflow",
        version="1.0",
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,  # api.docs_assets: served from the package, no CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    # a page is rendered by its language's; templates read once unless developing them
    app.state.jinja = environments(reload=settings.templates_reload)
    chosen = launcher or launcher_for(engine)
    app.state.launcher = chosen
    # every kind of job goes to the one launcher (evidence packages and large imports as
    # much as the year's start): with Prefect none of them runs in this process
    app.state.document_launcher = chosen
    app.state.admin_links = {}
    errors.install(app)
    control_chars.install(app)  # inside limits: a form is bounded before it is read
    limits.install(app)  # body limits and sign-in, before any body is read
    for module, api in routing_order():
        if api:
            app.include_router(module.router, prefix="/api", responses=errors.RESPONSES)
        else:
            app.include_router(module.router, include_in_schema=False)
    static = resources.files("forms.templates") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    docs_assets.install(app, openapi_url="/api/openapi.json", title="samflow")
    http_methods.install(app)
    app.add_middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds)
    observability.install(app, engine)  # outermost: the request id covers everything
    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory api.app:app_from_env`` (settings from SAMFLOW_* variables)."""
    return create_app(Settings.from_env())
