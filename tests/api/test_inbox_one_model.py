"""One inbox read model (``engine.views.inbox``) behind the three doors: the page, the API
and ``samflow inbox`` list the same tasks in the same order; the API pages by keyset."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout

import pytest

from cli.main import main
from tests.api.conftest import Web


def test_page_api_and_command_line_list_the_same_tasks(
    web_any: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    for email in ("m1@x.se", "dep@x.se"):
        api = [i["task_id"] for i in web_any.api(email).get("/api/inbox").json()["items"]]
        assert api, email
        page = web_any.browser(email).get("/inbox")
        assert page.status_code == 200
        shown = [int(t) for t in re.findall(r'<td class="what"><a href="/tasks/(\d+)"', page.text)]
        assert shown == api, email
        monkeypatch.setenv("SAMFLOW_DATABASE_URL", str(web_any.engine.settings.database_url))
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["inbox", email]) == 0
        listed = [int(line.split()[0]) for line in out.getvalue().splitlines()[3:]]
        assert listed == api, email


def test_api_inbox_pages_by_keyset_with_the_counts_of_every_row(web_any: Web) -> None:
    client = web_any.api("m1@x.se")
    everything = client.get("/api/inbox").json()
    assert everything["next_after"] is None and everything["total"] == 3
    seen: list[int] = []
    after: str | None = None
    for _ in range(5):
        params: dict[str, str | int] = {"limit": 1}
        if after is not None:
            params["after"] = after
        page = client.get("/api/inbox", params=params).json()
        assert page["total"] == 3 and page["by_stage"] == everything["by_stage"]
        seen += [i["task_id"] for i in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == [i["task_id"] for i in everything["items"]]
    # two tasks share a deadline: the task id breaks the tie, none is skipped or repeated
    assert len(set(seen)) == 3


def test_api_inbox_refuses_a_position_it_did_not_give(web: Web) -> None:
    client = web.api("m1@x.se")
    for bad in ("yesterday", "12", "-1-2", "1" * 41):
        reply = client.get("/api/inbox", params={"after": bad})
        assert reply.status_code == 422, bad
        assert reply.json()["errors"][0]["path"] == "after", reply.json()
