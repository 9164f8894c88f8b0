"""Every page, as every role, on a phone and on a desktop: axe-core finds no WCAG 2.1 AA
violation at 390 px and 1,280 px, and no page is wider than the window at 320 px and
1,280 px (WCAG 1.4.10 reflow: wide tables scroll inside their own box). Screenshots of
every page at both widths go to ``$SAMFLOW_ARTIFACTS`` (default tests/artifacts/pages/).

The pages are found the way a person finds them: from the inbox, every link on the way
that stays on this site, one page per kind of address (``/tasks/12`` and ``/tasks/13`` are
one kind), two clicks deep. One Chromium, one tab per role, each page loaded once and
resized in place."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from engine.accounts import signin as accounts
from engine.context import Actor
from engine.org import positions
from engine.plans import own
from tests.api.conftest import PASSWORD, make_web
from tests.browser.conftest import ARTIFACTS, Served, serve
from tests.factories import drive_to
from tests.plans.test_own_plans import HEADER as OWN_PLAN
from tests.services.test_positions import POSITIONS

pytestmark = pytest.mark.browser

#: Every role of the organisation the history scenario builds (tests/factories.py).
ROLES = {
    "manager": "m2@x.se",
    "manager-above": "dep@x.se",
    "safety-rep": "so2@x.se",
    "chief-safety-rep": "hso@x.se",
    "hr": "hr@x.se",
    "director": "dir@x.se",
}
AXE_WIDTHS = (390, 1280)
REFLOW_WIDTHS = (320, 1280)
#: Links that are not pages: downloads, files, the other language of the same page.
NOT_PAGES = re.compile(r"\.(csv|pdf|ics|json|xlsx|html?)$|/file$|/files/|^/api/|^/static/")
#: Pages reached by a form rather than a link (a GET form: the year start's preview).
FORM_PAGES = {"hr": ["/year/preview?year=2028"], "director": ["/year/preview?year=2028"]}
#: Of the year in progress, the pages where the work is: the inbox, the tasks, the cycle.
OPEN_PAGES = re.compile(r"^/(inbox|tasks/\d+|cycles/\d+)$")
#: The policy and routines, a document, knowledge (issue 10 §8), the year page's list.
POLICY_PAGES = re.compile(r"^/(inbox|tasks/\d+|policy(/[A-Za-z0-9-]+)?|knowledge|year)$")
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    # and, of axe's best practices: headings in order (no h1 -> h3), one main, one h1
    "rules": {
        "heading-order": {"enabled": True},
        "landmark-one-main": {"enabled": True},
        "page-has-heading-one": {"enabled": True},
    },
    "resultTypes": ["violations"],
}
#: The rules whose outcome depends on the layout. A page is loaded once and resized in
#: place (no script changes the document), so the rules that read only the document (names,
#: labels, roles, headings, language) give the same answer at every width: they run once, at
#: 1,280 px; these run at every width.
LAYOUT_RULES = ["color-contrast", "scrollable-region-focusable", "link-in-text-block"]


#: Resolves once the page has laid itself out again (and its resize handlers have run).
SETTLED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


def _kind(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _artifacts() -> Path:
    where = os.environ.get("SAMFLOW_ARTIFACTS")
    out = Path(where) / "pages" if where else ARTIFACTS / "pages"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _signed_in(browser: Any, served: Served, email: str) -> Iterator[Any]:
    accounts.set_password(served.web.engine, Actor.system("test"), email, PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{served.url}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{served.url}/home")
    try:
        yield page
    finally:
        context.close()


def _links(page: Any, origin: str) -> list[tuple[str, str]]:
    """(address, kind) of every link to a page of this site."""
    links: list[list[str]] = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => [e.href, e.textContent.trim()])"
    )
    out = []
    for href, text in links:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or NOT_PAGES.search(parts.path):
            continue
        # the other language is the same page; the second page of a list the same template
        if re.search(r"(^|&)(lang|page)=", parts.query) or parts.path in ("/login", "/logout"):
            continue
        kind = re.sub(r"\d+", "N", parts.path) + ("?" if parts.query else "")
        if kind == "/tasks/N":  # one task page per kind of task (its title), not per task
            kind += "#" + re.sub(r"\s+", " ", text)
        out.append((parts.path + (f"?{parts.query}" if parts.query else ""), kind))
    return out


def _crawl(
    page: Any, origin: str, *, depth: int = 2, only: re.Pattern[str] | None = None
) -> Iterator[str]:
    """Visit pages breadth first from the inbox; yields each address once it is loaded."""
    seen: set[str] = set()
    frontier = [("/inbox", "/inbox")]
    for _ in range(depth + 1):
        following: list[tuple[str, str]] = []
        for address, kind in frontier:
            if kind in seen or (only is not None and not only.match(address)):
                continue
            seen.add(kind)
            reply = page.goto(origin + address)
            assert reply is not None and reply.status == 200, f"{address}: {reply and reply.status}"
            yield address
            following += _links(page, origin)
        frontier = following


def _axe(page: Any, source: str, *, full: bool) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    options = AXE_OPTIONS if full else {**AXE_OPTIONS, "runOnly": LAYOUT_RULES, "rules": {}}
    result = page.evaluate(f"axe.run(document, {json.dumps(options)})")
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "summary": v["nodes"][0].get("failureSummary", "")[:300],
        }
        for v in result["violations"]
    ]


def _too_wide(page: Any) -> str | None:
    width, viewport, culprits = page.evaluate(
        """() => {
        const w = document.documentElement.scrollWidth, v = window.innerWidth;
        const wide = [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > v + 1)
          .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
        return [w, v, wide];
    }"""
    )
    return None if width <= viewport else f"{width} px wide in {viewport} px: {culprits}"


def _check(page: Any, label: str, source: str, shots: Path) -> list[str]:
    """The page as loaded, at every width, widest first; what is wrong with it."""
    problems = []
    for width in sorted({*AXE_WIDTHS, *REFLOW_WIDTHS}, reverse=True):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(SETTLED)
        if width in REFLOW_WIDTHS and (wide := _too_wide(page)):
            problems.append(f"{label} at {width}: {wide}")
        if width in AXE_WIDTHS:
            for v in _axe(page, source, full=width == max(AXE_WIDTHS)):
                problems.append(f"{label} at {width}: {json.dumps(v, ensure_ascii=False)}")
            name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
            page.screenshot(
                path=str(shots / f"{name}-{width}.jpeg"), full_page=True, type="jpeg", quality=60
            )
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def test_every_page_every_role_accessible_and_reflowing(
    served_history: Served, browser: Any, tmp_path: Path, sqlite_template: Path
) -> None:
    source, shots = _axe_source(), _artifacts()
    problems: list[str] = []
    pages: dict[str, int] = {}
    _allocations(served_history)
    _rounds(served_history)
    meeting = _coop_meeting(served_history)
    # a plan in its own right (the administration's) and the organisation's positions, so
    # their pages are among those crawled
    engine = served_history.web.engine
    positions.import_positions(engine, Actor.system("test"), POSITIONS)
    own.create(engine, Actor.system("test"), own.parse(OWN_PLAN))
    # a year with history: every role, every page two clicks from the inbox
    for role, email in ROLES.items():
        for page in _signed_in(browser, served_history, email):
            for address in _crawl(page, served_history.url):
                pages[role] = pages.get(role, 0) + 1
                problems += _check(page, f"{role} {address}", source, shots)
            extra = [f"/coop/meetings/{meeting}"] if role == "director" else []
            for address in [*FORM_PAGES.get(role, []), *extra]:
                reply = page.goto(served_history.url + address)
                assert reply is not None and reply.status == 200, address
                problems += _check(page, f"{role} {address}", source, shots)
    # a year in progress (the plan is up for approval): the open forms and the cycle page
    db = tmp_path / "open.db"
    shutil.copy(sqlite_template, db)
    with serve(make_web(f"sqlite:///{db}", served_history.web.clock)) as served:
        o = served.web.org
        drive_to(o, o.cycle_of("U1"), "cooperation")
        for role, email in (("open-manager", "m1@x.se"), ("open-safety-rep", "so1@x.se")):
            for page in _signed_in(browser, served, email):
                for address in _crawl(page, served.url, only=OPEN_PAGES):
                    pages[role] = pages.get(role, 0) + 1
                    problems += _check(page, f"{role} {address}", source, shots)
        _policy_document(served)
        for role, email in (("policy-hr", "hr@x.se"), ("policy-manager", "m2@x.se")):
            for page in _signed_in(browser, served, email):
                for address in _crawl(page, served.url, only=POLICY_PAGES):
                    pages[role] = pages.get(role, 0) + 1
                    problems += _check(page, f"{role} {address}", source, shots)
    assert not problems, "\n".join(problems)
    assert all(pages.get(role, 0) >= 8 for role in ROLES), pages
    assert pages["open-manager"] >= 3 and pages["open-safety-rep"] >= 3, pages
    assert pages["policy-hr"] >= 4 and pages["policy-manager"] >= 3, pages


def _policy_document(served: Served) -> None:
    """A policy with a version and a review, a training: the policy pages have content."""
    from engine.policy import documents, knowledge
    from engine.workflow import sweeps
    from forms.schemas.duties.policy import PolicyDocumentInput, PolicyVersionInput, TrainingInput

    engine, o = served.web.engine, served.web.org
    hr = o.actor("hr@x.se")
    doc = {"code": "AMP", "unit": "ADM", "topic": "policy", "title": "Arbetsmiljöpolicy"}
    documents.create(
        engine,
        hr,
        documents.parse(PolicyDocumentInput, {**doc, "owner": "hr"}),
        documents.parse(
            PolicyVersionInput,
            {"body": "Vi arbetar.", "valid_from": "2027-01-01", "review_by": "2027-02-01"},
        ),
    )
    given = {"email": "m2@x.se", "unit": "U2", "role": "manager", "course_key": "bam"}
    knowledge.record(
        engine,
        hr,
        documents.parse(
            TrainingInput, {**given, "taken_on": "2026-01-01", "valid_until": "2027-02-20"}
        ),
    )
    sweeps.sweep(engine)  # the review task (HR's) and the renewal task (the manager's)


def _coop_meeting(served: Served) -> int:
    """A body at the administration with a meeting to come, and a change and an incident
    below it: the meeting page's agenda form offers them by what they are."""
    from engine.coop import bodies, changes, meetings
    from engine.workflow.process import cases as processes
    from tests.coop.test_agenda_picker import INCIDENT
    from tests.coop.test_changes import CHANGE

    engine, o = served.web.engine, served.web.org
    bodies.import_bodies(
        engine,
        o.actor("hr@x.se"),
        "organ;enhet;typ;namn;epost;roll;organisation\nFSG-ADM;ADM;fsg;FSG;dir@x.se;chair;\n",
    )
    changes.register(engine, o.actor("hr@x.se"), changes.parse_registration(CHANGE))
    processes.open_case(
        engine, o.actor("m1@x.se"), "incident", processes.parse_subject("incident", INCIDENT)
    )
    return meetings.create_meeting(engine, o.actor("dir@x.se"), "FSG-ADM", date(2027, 3, 1))


def _allocations(served: Served) -> None:
    """Task allocations (issue 10): the chain accepted from the board to U1, U2's offered
    and waiting for its manager, a task of U1's returned and waiting for the decision."""
    from engine.alloc import allocations, returns
    from tests.alloc.scenario import BOARD, offer

    o = served.web.org
    for unit, by, to, kw in (
        ("ADM", "hr@x.se", "dir@x.se", BOARD),
        ("DEP", "dir@x.se", "dep@x.se", {}),
        ("U1", "dep@x.se", "m1@x.se", {}),
    ):
        allocations.accept(o.app, o.actor(to), offer(o, by, unit, **kw))
    offer(o, "dep@x.se", "U2")
    mine = allocations.list_mine(o.app, o.actor("m1@x.se"))["mine"][0]
    returns.return_item(o.app, o.actor("m1@x.se"), mine.id, "measures", ["resources"], "Tid")


def _rounds(served: Served) -> None:
    """Two safety rounds at U2 (a finding with a photo, in the plan; the next round with
    the earlier finding to review), so the rounds pages are among those crawled."""
    from engine.rounds import rounds
    from tests.rounds.scenario import FLOOR, JPEG

    o = served.web.org
    plan = {"unit": "U2", "checklist": "kitchen", "planned_on": "2027-01-10", "area": "Köket"}
    first = rounds.plan(o.app, o.actor("m2@x.se"), plan)
    f = rounds.add_finding(
        o.app, o.actor("so2@x.se"), first.case_id, FLOOR, [rounds.Photo("golv.jpg", JPEG)]
    )
    measure = {"what": "Halkfri matta", "responsible": "manager", "due_date": "2027-03-01"}
    rounds.to_plan(o.app, o.actor("m2@x.se"), f.id, {"measure": measure})
    rounds.plan(o.app, o.actor("m2@x.se"), {**plan, "planned_on": "2027-01-20"})


#: Issue 12's pages, with a survey of two years, absence figures and a confirmed ROA
#: selection: HR's (results, import with its dry run, absence, selection, the board report
#: with its survey, ROA and health sections) and a manager's.
SURVEY_PAGES = {
    "hr@x.se": ["/surveys?year=2027", "/surveys?year=2027&root=DEP", "/surveys/import",
                "/absence?year=2027", "/roa?year=2027", "/health?year=2027",
                "/reports?kind=board&year=2027"],  # the board's survey, ROA, health sections
    "m1@x.se": ["/surveys?year=2027", "/absence?year=2027", "/health?year=2027",
                "/health/plan?unit=U1&year=2027"],
    "dep@x.se": ["/health?year=2027"],
}  # fmt: skip


def test_survey_pages_accessible(browser: Any, served: Served) -> None:
    from engine.surveys import absence, health, imports, mapping, roa
    from tests.surveys.scenario import MAPPING, answers, respondent_csv
    from tests.surveys.test_absence_roa import ABSENCE

    engine, hr = served.web.engine, served.web.org.actor("hr@x.se")
    mapping.save_mapping(engine, hr, mapping.parse_mapping(MAPPING))
    for year, u2 in ((2026, 8), (2027, 3)):
        rows = answers("U1", 6, [5, 4, 3] * 3) + answers("U2", u2, [4] * 9)
        imports.import_survey(engine, hr, year=year, filename="s.csv", content=respondent_csv(rows))
    absence.import_absence(engine, hr, filename="f.csv", content=ABSENCE.encode())
    roa.confirm(engine, hr, 2027, ["U1"])
    health.set_goal(engine, hr, 2027, "G1", "Minska korttidsfrånvaron", "korttid %", 3, "at_most")
    plan = {
        "factors": ["leadership", "sam"],
        "challenges": "Vinter",
        "goals": [{"goal": "G1", "text": "Hälsosamtal", "status": "ongoing", "value": 2}],
    }
    factors, challenges, local = health.parse_plan(engine.settings.health_factors, plan)
    health.save_plan(
        engine, served.web.org.actor("m1@x.se"), "U1", 2027, factors, challenges, local
    )
    source, shots, problems = _axe_source(), _artifacts(), []
    for email, addresses in SURVEY_PAGES.items():
        for page in _signed_in(browser, served, email):
            for address in addresses:
                reply = page.goto(served.url + address)
                assert reply is not None and reply.status == 200, address
                problems += _check(page, f"survey {email} {address}", source, shots)
    assert not problems, "\n".join(problems)


FOCUS = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  let b = e.parentElement, bg = 'rgba(0, 0, 0, 0)';
  while (b && (bg = getComputedStyle(b).backgroundColor) === 'rgba(0, 0, 0, 0)')
    b = b.parentElement;
  return [e.tagName + ' ' + (e.textContent || '').trim().slice(0, 30), s.outlineStyle,
          s.outlineWidth, s.outlineColor, b ? bg : 'rgb(255, 255, 255)'];
}"""


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_focus_ring_contrast(served: Served, browser: Any) -> None:
    """WCAG 2.1 1.4.11: the focus ring has 3:1 against what it sits on, in the dark header
    and on the page (the old #ffbf47 on white had 1.6:1)."""
    assert contrast("rgb(255, 191, 71)", "rgb(255, 255, 255)") < 1.7  # the old ring
    for page in _signed_in(browser, served, "m1@x.se"):
        seen = []
        for _ in range(14):  # the skip link, the header, then the page
            page.keyboard.press("Tab")
            what, style, width, colour, behind = page.evaluate(FOCUS)
            assert style != "none" and float(width.removesuffix("px")) >= 2, what
            seen.append((what, contrast(colour, behind)))
        assert all(ratio >= 3 for _, ratio in seen), seen
        assert any("Inkorg" in what for what, _ in seen)  # the header was among them


def test_api_docs_render_with_no_way_out(served: Served, browser: Any) -> None:
    """Swagger UI draws the API from this app alone: every request elsewhere is refused,
    and the page still shows the API's operations."""
    context = browser.new_context()
    outside: list[str] = []

    def only_here(route: Any) -> None:
        if route.request.url.startswith(served.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{served.url}/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() > 10
    # ReDoc runs from here too and draws every operation (a "$defs" it cannot resolve
    # once left it showing only its error box)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{served.url}/api/redoc")
    operations = page.locator("[data-section-id^='operation/']")
    operations.first.wait_for()
    assert operations.count() > 10
    assert page.get_by_text("Something went wrong").count() == 0, "ReDoc shows its error"
    # the board report, whose JSON shape was the one with "$defs", is drawn with it
    board = page.locator("[data-section-id^='operation/board_api_reports_board_get']")
    assert board.count() == 1 and "activities" in board.inner_text()
    assert errors == []
    context.close()
    assert outside == []
