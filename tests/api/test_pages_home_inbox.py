"""Issue 13 on the pages: the home page of each role, the inbox's sorting, grouping and
saved views, comments and the nudge, and forms people understand (the risk matrix, the
flat plan form, approvals that ask only for the approver's own decision)."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode

from starlette.testclient import TestClient

from engine.rounds import rounds as safety_rounds
from engine.views import cycle as cycle_views
from engine.views import inbox as reports
from engine.workflow import sweeps
from tests.api.conftest import Web, csrf_of
from tests.factories import APPROVE, drive_to

D = timedelta(days=1)


def _post(client: TestClient, url: str, data: dict[str, str] | list[tuple[str, str]]) -> object:
    token = csrf_of(client.get("/inbox").text)
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    body = urlencode([("csrf_token", token), *pairs])
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return client.post(url, content=body, headers=headers, follow_redirects=False)


def _task(web: Web, email: str, key: str) -> int:
    return web.org.task(email, key).task_id


class _Depth(HTMLParser):
    """The deepest nesting of <fieldset> on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.now = self.most = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "fieldset":
            self.now += 1
            self.most = max(self.most, self.now)

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset":
            self.now -= 1


def _fieldset_depth(html: str) -> int:
    p = _Depth()
    p.feed(html)
    return p.most


def test_each_role_lands_on_a_home_that_says_what_to_do_next(web: Web) -> None:
    o = web.org
    manager = web.browser("m1@x.se")
    assert manager.get("/", follow_redirects=False).headers["location"] == "/home"
    home = manager.get("/home").text
    assert "Årshjulet för Enhet 1 2027" in home
    assert 'aria-current="step"' in home and "här är ni nu" in home
    assert "Kartläggning" in home and "senast 2027-" in home  # stages with their deadlines
    assert "Medarbetarenkät (HME) – resultat" in home  # her next task
    # the round is the manager's; the representative's part in it is hers
    plan = {"unit": "U1", "checklist": "general", "planned_on": "2027-01-20"}
    safety_rounds.plan(web.engine, o.actor("m1@x.se"), plan)
    rep = web.browser("so1@x.se").get("/home").text
    assert "Väntar på dig som skyddsombud" in rep and "Skyddsronder" in rep
    part = rep.split("</nav>")[1].split("Andra förfrågningar")[0]  # the home's own list
    assert "Delta i skyddsronden" in part
    hr = web.browser("hr@x.se").get("/home").text
    assert "Året 2027 i korthet" in hr and "cykler startade" in hr
    # the director, after the deadlines: escalations with unit, holder, days and actions
    web.clock.advance(90 * D)
    for _ in range(4):  # one rung per sweep, each after the ladder's gap
        sweeps.sweep(web.engine)
        web.clock.advance(10 * D)
    director = web.browser("dir@x.se")
    page = director.get("/home").text
    assert "Eskalerat till dig" in page and "Mats Chef" in page and "dagar" in page
    assert "Förläng en vecka" in page and "Påminn" in page and "Lämna över" in page
    assert 'class="heat"' in page and "Försenat i organisationen" in page
    # one click: remind, back on the home page; a second reminder today is refused there
    task = next(
        i.task_id
        for i in reports.inbox(web.engine, o.actor("dir@x.se")).items
        if i.escalated_to_me and i.holder == "Mats Chef"
    )
    done = _post(director, f"/tasks/{task}/nudge", {"next": "/home"})
    assert done.headers["location"] == "/home?done=nudged"  # type: ignore[attr-defined]
    assert "Påminnelsen är skickad." in director.get("/home?done=nudged").text
    again = _post(director, f"/tasks/{task}/nudge", {"next": "/home"})
    assert again.status_code == 409 and "redan påmints i dag" in again.text  # type: ignore[attr-defined]
    moved = _post(
        director,
        f"/tasks/{task}/extend",
        {"next": "/home", "due": (web.clock.now() + 7 * D).date().isoformat(), "reason": "x"},
    )
    assert moved.headers["location"] == "/home?done=extended"  # type: ignore[attr-defined]


def test_inbox_sorts_groups_and_keeps_views(web: Web) -> None:
    o = web.org
    drive_to(o, o.cycle_of("U1"), "follow_up")
    client = web.browser("m1@x.se")
    page = client.get("/inbox").text
    assert page.count("Följ upp åtgärd: 1.") >= 1  # the measure in the title
    assert "Ta uppgiften" not in page  # she alone could take her unit's tasks
    grouped = client.get("/inbox", params={"group": "kind", "sort": "kind"}).text
    assert re.search(r"<h2 id=\"grp-1\">\s*\S", grouped)
    assert 'value="kind" selected' in grouped
    wrong = client.get("/inbox", params={"sort": "nonsense"})
    assert wrong.status_code == 200 and "okänd sortering" in wrong.text
    saved = _post(
        client,
        "/inbox/views",
        {"name": "Per slag", "group": "kind", "sort": "kind", "share": str(o.units["U1"])},
    )
    assert saved.headers["location"] == "/inbox?sort=kind&group=kind"  # type: ignore[attr-defined]
    assert ">Per slag</a>" in client.get("/inbox").text
    # shared within the unit: her safety representative sees it, U2's manager does not
    assert ">Per slag</a>" in web.browser("so1@x.se").get("/inbox").text
    assert "Per slag" not in web.browser("m2@x.se").get("/inbox").text
    nameless = _post(client, "/inbox/views", {"name": ""})
    assert nameless.status_code == 422 and 'id="view-name-err"' in nameless.text  # type: ignore[attr-defined]


def test_comments_on_a_task_for_whoever_sees_it(web: Web) -> None:
    task = _task(web, "m1@x.se", "employee_survey")
    rep = web.browser("so1@x.se")
    said = _post(rep, f"/tasks/{task}/comments", {"text": "Jag tar med enkäten till APT"})
    assert said.status_code == 303  # type: ignore[attr-defined]
    page = web.browser("m1@x.se").get(f"/tasks/{task}").text
    assert "Jag tar med enkäten till APT" in page and "Sven Skyddsombud" in page
    stranger = web.browser("m2@x.se")
    assert stranger.get(f"/tasks/{task}").status_code == 404
    assert _post(stranger, f"/tasks/{task}/comments", {"text": "hej"}).status_code == 404  # type: ignore[attr-defined]
    empty = _post(rep, f"/tasks/{task}/comments", {"text": " "})
    assert empty.status_code == 422 and 'id="comment-body-err"' in empty.text  # type: ignore[attr-defined]


def test_forms_people_understand(web: Web) -> None:
    o = web.org
    cycle = o.cycle_of("U1")
    drive_to(o, cycle, "analysis")
    manager = web.browser("m1@x.se")
    risk = _task(web, "m1@x.se", "risk_assessment")
    form = manager.get(f"/tasks/{risk}").text
    assert form.count('name="risks[0].pc"') == 16 and "Mycket sannolik" in form
    assert "Mycket allvarlig" in form and "Risknivå" in form
    assert 'name="risks[0].probability"' not in form
    kept = _post(
        manager,
        f"/tasks/{risk}",
        {"_action": "add:risks", "risks[0].description": "Tunga lyft", "risks[0].pc": "4-3"},
    )
    html = kept.text  # type: ignore[attr-defined]
    assert 'value="4-3" data-level="Mycket hög" checked' in html  # the choice is kept
    assert "Risknivå: <strong data-risk-level>Mycket hög" in html
    version = re.search(r'name="_version" value="(\d+)"', html)
    assert version is not None
    done = _post(
        manager,
        f"/tasks/{risk}",
        {
            "_action": "complete",
            "_version": version.group(1),
            "participants": "Chef och skyddsombud",
            "safety_rep_participated": "true",
            "risks[0].description": "Tunga lyft",
            "risks[0].domain": "physical",
            "risks[0].pc": "2-3",
            "risks[0].serious": "false",
        },
    )
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    saved = cycle_views.cycle_view(web.engine, cycle).risks[0]
    assert (saved.probability, saved.consequence, saved.level) == (2, 3, "high")
    o.sign_off("m1@x.se", cycle, "analysis")
    plan = manager.get(f"/tasks/{_task(web, 'm1@x.se', 'action_plan')}").text
    # a row and its radio group at most (was four deep: list, row, list, row)
    assert "Åtgärder till 1" in plan and _fieldset_depth(plan) <= 2
    u2 = o.cycle_of("U2")
    drive_to(o, u2, "cooperation", manager="m2@x.se", safety_rep="so2@x.se")
    o.complete("m2@x.se", "approve_manager", {**APPROVE, "protocol_ref": "P-12"}, u2)
    rep = web.browser("so2@x.se")
    approval = rep.get(f"/tasks/{_task(web, 'so2@x.se', 'approve_safety_rep')}").text
    assert 'name="decision"' in approval and 'name="comment"' in approval
    assert 'name="body"' not in approval and 'name="protocol_ref"' not in approval
    assert "Beslut av Mats Chef" in approval and "LSG" in approval and "P-12" in approval
    assert "Returnera uppgiften" not in approval  # not a manager's task
    assert 'action="/year/preview"' not in rep.get("/year").text  # she cannot start the year
    assert 'action="/year/preview"' in web.browser("hr@x.se").get("/year").text


def test_read_only_task_says_not_yet_submitted(web: Web) -> None:
    task = _task(web, "m1@x.se", "safety_round")
    page = web.browser("so1@x.se").get(f"/tasks/{task}").text
    assert "Ännu inte inskickad." in page and "Inlämnat" not in page
