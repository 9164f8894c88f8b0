"""Swagger UI and ReDoc are served from the package: every URL the pages load is this
app's own, and the scripts and styles they name are served (an intranet with no way out
still gets working API documentation)."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import Web

URL = re.compile(r"""(?:src|href|url)\s*[=:(]\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
def test_docs_pages_load_only_from_this_app(web: Web, page: str) -> None:
    client = web.anonymous()
    reply = client.get(page)
    assert reply.status_code == 200
    html = reply.text
    assert "cdn." not in html and "googleapis" not in html and "tiangolo" not in html
    urls = URL.findall(html)
    assert urls, "the page names no assets"
    scripts = [u for u in urls if u.endswith(".js")]
    assert scripts, "the page loads no script"
    for url in urls:
        assert url.startswith("/"), f"{page} loads {url} from elsewhere"
        assert not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        if url.endswith(".js"):
            assert "javascript" in asset.headers["content-type"]
            assert len(asset.content) > 100_000  # the real bundle, not a placeholder
            assert "no-store" not in asset.headers.get("cache-control", "")
    assert "/api/openapi.json" in html
    assert "script-src 'self'" in reply.headers["content-security-policy"]


def test_the_spec_has_no_inline_defs(web: Web) -> None:
    """Every shape is a component: an inline ``$defs`` (a document's JSON written out by
    pydantic) is a reference ReDoc cannot resolve, and its page stays blank."""
    spec = web.anonymous().get("/api/openapi.json").text
    assert "$defs" not in spec
    refs = set(re.findall(r'"\$ref":"([^"]+)"', spec.replace(" ", "")))
    assert refs and all(r.startswith("#/components/schemas/") for r in refs), refs
    assert '"#/components/schemas/BoardOut"' in spec.replace(" ", "")
