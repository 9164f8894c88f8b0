"""Headers and methods across the app: HSTS over TLS only, no-store on everything but the
static files, and 405 with a complete ``Allow`` for a wrong method on every route."""

from __future__ import annotations

import re
import warnings
from collections import defaultdict

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from tests.api.conftest import Web

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"\{[^}]+\}")


def test_hsts_is_sent_over_https_only(web: Web) -> None:
    plain = web.anonymous().get("/login")
    assert "strict-transport-security" not in plain.headers
    with TestClient(web.app, base_url="https://testserver") as tls:
        for path in ("/login", "/api/me", "/static/samflow.css"):
            reply = tls.get(path)
            assert reply.headers["strict-transport-security"] == "max-age=31536000", path


def test_signed_in_pages_and_api_replies_are_not_stored(web: Web) -> None:
    browser = web.browser("m1@x.se")
    for path in ("/inbox", "/account", "/api/me", "/api/inbox"):
        reply = browser.get(path)
        assert reply.status_code == 200 and reply.headers["cache-control"] == "no-store", path
    token = web.api("m1@x.se")
    assert token.get("/api/tokens").headers["cache-control"] == "no-store"
    assert web.anonymous().get("/login").headers["cache-control"] == "no-store"
    assert web.anonymous().get("/api/me").headers["cache-control"] == "no-store"  # 401 too
    assert "no-store" not in web.anonymous().get("/static/samflow.css").headers.get(
        "cache-control", ""
    )


def _route_table(web: Web) -> dict[str, set[str]]:
    """Each route's path (parameters filled in) and the methods its routes take."""
    table: dict[str, set[str]] = defaultdict(set)
    for route in iter_route_contexts(web.app.routes):
        if route.methods and route.path:
            table[PARAM.sub("1", route.path)] |= set(route.methods)
    for mount in web.app.routes:
        if isinstance(mount, Mount):
            table[f"{mount.path}/samflow.css"] |= {"GET", "HEAD"}
    return table


def test_every_route_answers_a_wrong_method_with_405_and_allow(web: Web) -> None:
    """Reproducer: GET /api/tasks/bulk-approve answered 401 (the task route took the path),
    GET /inspections/file sent the browser to sign in, PUT /login said `Allow: GET`."""
    client = web.browser("m1@x.se")
    table = _route_table(web)
    assert len(table) > 80
    wrong = []
    for path, allowed in sorted(table.items()):
        for method in sorted(METHODS - allowed):
            reply = client.request(method, path, follow_redirects=False)
            allow = {m.strip() for m in reply.headers.get("allow", "").split(",") if m.strip()}
            if reply.status_code != 405 or allow != allowed:
                wrong.append(f"{method} {path}: {reply.status_code}, Allow {sorted(allow)}")
    assert wrong == []


def test_a_405_is_a_problem_document_in_the_api_and_a_page_elsewhere(web: Web) -> None:
    client = web.anonymous()
    api = client.put("/api/tokens")
    assert api.status_code == 405 and api.headers["allow"] == "GET, POST"
    assert api.json()["code"] == "method_not_allowed"
    page = client.delete("/login")
    assert page.status_code == 405 and page.headers["allow"] == "GET, POST"
    assert "Metoden är inte tillåten här" in page.text
