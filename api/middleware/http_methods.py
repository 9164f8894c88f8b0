"""Wrong methods get 405 with an ``Allow`` that names every method the address takes.

Two gaps in the router this closes: a fixed path such as ``/api/tasks/bulk-approve``
(POST) is also matched by ``/api/tasks/{task_id}`` (GET), so a GET to it went to the task
route and came back 401 or 422 instead of 405; and a 405 named only the methods of the
first route that matched the path (``PUT /login`` said ``Allow: GET``, not ``GET, POST``).
The most specific routes decide: those with the fewest path parameters that match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send


def endpoints(routes: list[BaseRoute]) -> Iterator[Any]:
    """Every route with its full path, included routers opened up (FastAPI 0.150 keeps an
    included router as one entry whose routes carry the path without its prefix)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before 0.150 keeps a flat list
        yield from routes
    else:
        yield from iter_route_contexts(routes)


def flat_routes(routes: list[BaseRoute]) -> Iterator[tuple[str, re.Pattern[str], set[str]]]:
    """(path, path regex, methods) of every endpoint."""
    for route in endpoints(routes):
        methods, regex = getattr(route, "methods", None), getattr(route, "path_regex", None)
        if methods and regex is not None:
            yield str(route.path), regex, set(methods)


def allowed_methods(routes: list[BaseRoute], path: str) -> set[str]:
    """The methods of the most specific routes whose path matches (empty: none matches)."""
    best: tuple[int, set[str]] = (1 << 30, set())
    for template, regex, methods in flat_routes(routes):
        if regex.match(path) is None:
            continue
        params = template.count("{")
        if params < best[0]:
            best = (params, set(methods))
        elif params == best[0]:
            best[1].update(methods)
    return best[1]


def route_path(scope: Scope) -> str:
    """The path the routes see (without the prefix the app is mounted under)."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def allow_header(methods: set[str]) -> str:
    return ", ".join(sorted(methods))


class WrongMethod(BaseRoute):
    """First in the route table: a fixed path asked for with a method none of its own
    routes take is answered 405 here, before a parametrised route can claim the path."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes
        self._fixed: dict[str, set[str]] | None = None

    def _table(self) -> dict[str, set[str]]:
        """Fixed paths and their methods, built on first use (all routes are added then)."""
        if self._fixed is None:
            table: dict[str, set[str]] = {}
            for template, _, methods in flat_routes(self._routes):
                if "{" not in template:
                    table.setdefault(template, set()).update(methods)
            self._fixed = table
        return self._fixed

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        methods = self._table().get(route_path(scope))
        if methods is None or scope["method"] in methods:
            return Match.NONE, {}
        return Match.FULL, {"samflow.allow": methods}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise HTTPException(405, headers={"Allow": allow_header(scope["samflow.allow"])})

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        from starlette.routing import NoMatchFound

        raise NoMatchFound(name, path_params)


def warm(guard: WrongMethod, routes: list[BaseRoute]) -> None:
    """Build every included route now, in the thread that makes the app.

    FastAPI 0.150 builds an included router's routes (and their parameters' pydantic
    adapters) on first use. Built inside the first request, that ran beside the job threads
    a request may start, and FastAPI silences a pydantic warning there with
    ``warnings.catch_warnings`` — which is not thread-safe: another thread leaving its own
    ``catch_warnings`` put the filters back mid-build and the warning escaped (a 500, and
    under the tests' ``-W error`` a failed test). The guard's table walks every route (so
    each is built), the low-priority ones are built apart; nothing is built lazily after."""
    guard._table()
    try:
        from fastapi.routing import _IncludedRouter
    except ImportError:  # FastAPI before 0.150 builds every route when it is added
        return
    for route in routes:
        if isinstance(route, _IncludedRouter):
            route.effective_low_priority_routes()


def install(app: Any) -> None:
    """Put the guard first in the app's route table (the table built here, see ``warm``)."""
    guard = WrongMethod(app.router.routes)
    app.router.routes.insert(0, guard)
    warm(guard, app.router.routes)
