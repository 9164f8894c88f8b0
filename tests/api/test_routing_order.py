"""The app tries its hottest routers first (``api.app.HOT``); that order must not change
which route answers any request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.routing import compile_path

from api.app import API_ROUTERS, HOT, PAGE_ROUTERS, create_app
from api.middleware.http_methods import endpoints
from engine.settings import Settings

PARAM = re.compile(r"\{[^}]+\}")


def declared() -> list[tuple[str, re.Pattern[str], set[str], Any]]:
    """(full path, regex, methods, endpoint) in the order the modules are listed."""
    out = []
    for modules, prefix in ((API_ROUTERS, "/api"), (PAGE_ROUTERS, "")):
        for module in modules:
            for route in module.router.routes:
                path = prefix + route.path
                out.append((path, compile_path(path)[0], set(route.methods), route.endpoint))
    return out


def first(table: list[tuple[str, re.Pattern[str], set[str], Any]], method: str, path: str) -> Any:
    return next((e for _, rx, methods, e in table if method in methods and rx.match(path)), None)


def test_hot_routers_first_change_no_routing(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db"))
    table = [
        (str(r.path), r.path_regex, set(r.methods), r.endpoint)
        for r in endpoints(app.router.routes)
        if getattr(r, "methods", None) and getattr(r, "endpoint", None) is not None
    ]
    listed = declared()
    # the hot routers really are tried first (after FastAPI's own /api/openapi.json)
    hot = {r.endpoint for m in HOT for r in m.router.routes}
    ours = [e for p, *_, e in table if p != "/api/openapi.json"]
    assert set(ours[: len(hot)]) == hot
    # every API path starts with /api and no page path does
    assert all(
        p.startswith("/api/") for p, *_ in listed[: sum(len(m.router.routes) for m in API_ROUTERS)]
    )
    assert not any(
        p.startswith("/api") for p, *_ in listed[-sum(len(m.router.routes) for m in PAGE_ROUTERS) :]
    )
    checked = 0
    for path, _, methods, _ in listed:
        for sample in {PARAM.sub("1", path), PARAM.sub("x", path)}:
            for method in methods:
                assert first(table, method, sample) is first(listed, method, sample), (
                    method,
                    sample,
                )
                checked += 1
    assert checked > 250


def test_no_route_is_built_during_a_request(web: Any, monkeypatch: Any) -> None:
    """Every route's parameters are built when the app is made, never inside a request
    (where FastAPI's thread-unsafe ``catch_warnings`` raced the job threads and a pydantic
    warning escaped as a 500; ``http_methods.warm``)."""
    from fastapi._compat import v2

    built: list[str] = []
    original = v2.ModelField.__post_init__

    def counting(self: Any) -> None:
        built.append(self.name)
        original(self)

    monkeypatch.setattr(v2.ModelField, "__post_init__", counting)
    hr = web.api("hr@x.se")
    for path in ("/api/plans/1", "/api/evidence/jobs/1/file", "/api/tasks/1", "/api/inbox"):
        assert hr.get(path).status_code < 500
    assert web.anonymous().get("/login").status_code == 200
    assert built == []
