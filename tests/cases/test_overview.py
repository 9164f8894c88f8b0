"""The overview of cases counted in the database (``engine.workflow.process.overview``)
agrees, for every person and kind, with what the case lists show case by case: cases per
state, open, overdue and escalated tasks, a returned requirement followed to where it
went, the own registrations of employees; and the latency of serious incidents, counted
in the database, agrees with each incident's own state. On SQLite and PostgreSQL; then the
JSON route and the page."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.cases import incidents
from engine.context import Actor, App
from engine.db.models.workflow.process import ProcessCase
from engine.domain.clock import FrozenClock
from engine.domain.errors import NotFound
from engine.inspections import cases as inspections
from engine.workflow import sweeps, tasks
from engine.workflow.process import cases as processes
from engine.workflow.process import overview
from engine.workflow.process import views as process_views
from tests.api.conftest import Web, _close
from tests.cases.test_doors import _web
from tests.cases.test_duties import INCIDENT, PEOPLE, REQUEST, RISK
from tests.conftest import START, _truncate_all, make_app
from tests.factories import Org, build_org

INSPECTION = """
unit: DEP
inspected_on: 2027-01-05
reply_by: 2027-02-15
reference: "2027/4711"
inspector: Eva Inspektör
requirements:
  - text: Arbetsgivaren ska skriftligen bedöma riskerna för hot och våld.
    units: [U1, U2]
  - text: Arbetsgivaren ska se till att uppgiftsfördelningen är skriftlig.
"""
ANSWER = {"actions": "Gjort.", "done_on": "2027-01-30", "evidence": ["Protokoll"]}
EVERYONE = [
    "dir@x.se",
    "hr@x.se",
    "hso@x.se",
    "dep@x.se",
    "m1@x.se",
    "m2@x.se",
    "so1@x.se",
    "so2@x.se",
    "emp@x.se",
    "emp2@x.se",
]


def reference(
    app: App, actor: Actor, year: int, unit: str | None = None
) -> dict[str, tuple[Any, ...]]:
    """The overview as the case lists give it, case by case in Python."""
    out = {}
    for k in overview.case_kinds():
        rows = processes.list_cases(app, actor, k.kind, unit_code=unit, year=year)
        with app.read() as s:
            found = s.scalars(select(ProcessCase).where(ProcessCase.id.in_([r.id for r in rows])))
            views = process_views.case_views(s, list(found))
        open_tasks = sum(1 for v in views.values() for t in v.current_tasks() if t.status == "open")
        states = Counter(r.status for r in rows)
        out[k.kind] = (
            len(rows),
            sum(1 for r in rows if r.status != "closed"),
            sum(r.overdue for r in rows),
            sum(r.escalated for r in rows),
            open_tasks,
            {st: states.get(st, 0) for st in overview.STATES},
        )
    return out


def counted(
    app: App, actor: Actor, year: int, unit: str | None = None
) -> dict[str, tuple[Any, ...]]:
    return {
        k.kind: (k.cases, k.open, k.overdue, k.escalated, k.open_tasks, k.states)
        for k in processes.case_overview(app, actor, year, unit_code=unit)
    }


def latency_reference(app: App, actor: Actor, year: int) -> tuple[Any, ...]:
    """The latency from each incident's own state (its status hook)."""
    rows = processes.list_cases(app, actor, "incident", year=year)
    serious = [r.state for r in rows if r.state["serious"] and "latency_hours" in r.state]
    hours = sorted(st["latency_hours"] for st in serious if st["latency_hours"] is not None)
    return (
        len(rows),
        len(serious),
        len(hours),
        round(statistics.median(hours), 1) if hours else None,
        max(hours) if hours else None,
        sum(1 for h in hours if h <= 24),
    )


def _open(o: Org, email: str, kind: str, data: dict[str, Any]) -> processes.Opened:
    return processes.open_case(o.app, o.actor(email), kind, processes.parse_subject(kind, data))


def _task(o: Org, email: str, cycle_id: int, key: str) -> int:
    return next(i.task_id for i in o.inbox(email) if i.cycle_id == cycle_id and i.key == key)


def scenario(o: Org, clock: FrozenClock) -> None:
    """Cases of every state at U1, U2 and DEP, in two years, by different people."""
    app = o.app
    a = _open(o, "emp@x.se", "incident", INCIDENT)  # serious, at U1, by an employee
    _open(o, "emp2@x.se", "incident", {**INCIDENT, "serious": False})
    c = _open(o, "dir@x.se", "incident", {**INCIDENT, "unit": "U2", "occurred_time": "08:15"})
    _open(o, "m2@x.se", "incident", {**INCIDENT, "unit": "U2", "occurred_on": "2026-12-30"})
    _open(o, "so1@x.se", "safety_request", REQUEST)
    _open(o, "so2@x.se", "safety_request", {**REQUEST, "unit": "U2"})
    risk = _open(o, "m1@x.se", "manager_risk", RISK)
    reg = inspections.read_registration("inspection.yaml", INSPECTION.encode())
    insp = inspections.register(app, o.actor("hr@x.se"), reg)
    # the report to Arbetsmiljöverket: 18.5 and 49.75 hours after the events
    report = {"reported_at": "2027-01-10T09:00", "av_reference": "AV-1"}
    tasks.complete_task(
        app, o.actor("m1@x.se"), _task(o, "m1@x.se", a.cycle_id, "report_av"), report
    )
    # a requirement returned up the line: the department manager answers it
    first = _task(o, "m1@x.se", insp.cycle_id, "requirement_reply")
    tasks.return_task(app, o.actor("m1@x.se"), first, "Gäller hela avdelningen")
    for item in [i for i in o.inbox("dep@x.se") if i.cycle_id == insp.cycle_id][:1]:
        tasks.complete_task(app, o.actor("dep@x.se"), item.task_id, ANSWER)
    # the manager above handles the manager's own risk: closed
    respond = _task(o, "dep@x.se", risk.cycle_id, "respond")
    tasks.complete_task(app, o.actor("dep@x.se"), respond, {"actions": "Stöd"})
    o.sign_off("dep@x.se", risk.cycle_id, "respond")
    clock.advance(timedelta(days=3))
    later = {"reported_at": "2027-01-12T10:00", "av_reference": "AV-2"}
    tasks.complete_task(
        app, o.actor("m2@x.se"), _task(o, "m2@x.se", c.cycle_id, "report_av"), later
    )
    clock.advance(timedelta(days=18))
    sweeps.sweep(app)  # overdue tasks, escalated to the line above


@pytest.fixture
def o(app: App, clock: FrozenClock) -> Org:
    org = build_org(app, extra=PEOPLE)
    org.start()
    scenario(org, clock)
    return org


def test_the_overview_and_latency_counted_in_the_database_agree_with_the_lists(o: Org) -> None:
    app = o.app
    whole = counted(app, Actor.system("t"), 2027)
    assert whole == reference(app, Actor.system("t"), 2027)
    # the scenario reaches what it is for: every state that matters, a returned item,
    # overdue and escalated tasks
    assert whole["incident"][0] == 3 and whole["incident"][2] > 0 and whole["incident"][3] > 0
    assert whole["manager_risk"][5]["closed"] == 1 and whole["manager_risk"][1] == 0
    assert whole["inspection"][0] == 1 and whole["inspection"][4] == 2  # U2's and DEP's
    assert whole["safety_request"][0] == 2
    for email in EVERYONE:
        actor = o.actor(email)
        assert counted(app, actor, 2027) == reference(app, actor, 2027), email
    for email in ("dir@x.se", "m2@x.se", "emp@x.se"):  # the year before
        actor = o.actor(email)
        assert counted(app, actor, 2026) == reference(app, actor, 2026), email
    assert counted(app, o.actor("dir@x.se"), 2027, "U1") == reference(
        app, o.actor("dir@x.se"), 2027, "U1"
    )
    assert counted(app, o.actor("m2@x.se"), 2027, "DEP") == reference(
        app, o.actor("m2@x.se"), 2027, "DEP"
    )
    # an employee: their own registration only; a unit manager: their unit's
    assert counted(app, o.actor("emp@x.se"), 2027)["incident"][0] == 1
    assert counted(app, o.actor("emp@x.se"), 2027)["safety_request"][0] == 0
    assert counted(app, o.actor("m2@x.se"), 2027)["incident"][0] == 1
    assert counted(app, o.actor("m2@x.se"), 2026)["incident"][0] == 1
    with pytest.raises(NotFound):
        processes.case_overview(app, o.actor("dir@x.se"), 2027, unit_code="NOPE")
    latency_agrees_with_each_incident(o)


def latency_agrees_with_each_incident(o: Org) -> None:
    """The latency counted in the database agrees with each incident's own state."""
    app = o.app
    for email in EVERYONE:
        lat = incidents.latency(app, o.actor(email), 2027)
        got = (
            lat.events,
            lat.serious,
            lat.reported,
            lat.median_hours,
            lat.max_hours,
            lat.within_24h,
        )
        assert got == latency_reference(app, o.actor(email), 2027), email
        assert lat.not_reported == lat.serious - lat.reported
    lat = incidents.latency(app, o.actor("dir@x.se"), 2027)
    # 14:30 on 9 January to 09:00 the next day; 08:15 on the 9th to 10:00 on the 12th
    assert (lat.events, lat.serious, lat.reported) == (3, 2, 2)
    assert (lat.max_hours, lat.within_24h) == (73.8, 1)
    assert lat.median_hours == round(statistics.median([18.5, 73.8]), 1)
    assert incidents.latency(app, o.actor("dir@x.se"), 2027, unit_code="U2").serious == 1


def more_incidents(o: Org) -> None:
    """Serious events reported and not, at units and years apart, and one not serious."""
    day = {"occurred_on": "2027-01-10", "occurred_time": "06:05"}
    for unit, email in (("U1", "m1@x.se"), ("U2", "m2@x.se"), ("DEP", "dep@x.se")):
        made = _open(o, "hr@x.se", "incident", {**INCIDENT, **day, "unit": unit})
        if unit != "U2":  # 2.9 hours after (U1) and 4.9 (DEP); U2's not reported
            at = "2027-01-10T09:00" if unit == "U1" else "2027-01-10T11:00"
            report = {"reported_at": at, "av_reference": f"AV-{unit}"}
            tasks.complete_task(
                o.app, o.actor(email), _task(o, email, made.cycle_id, "report_av"), report
            )
    _open(o, "dir@x.se", "incident", {**INCIDENT, **day, "unit": "U2", "serious": False})
    _open(o, "m1@x.se", "incident", {**INCIDENT, "occurred_on": "2026-11-02"})


def results(app: App, o: Org) -> dict[tuple[str, int, str | None], Any]:
    """The overview and the latency for every person, year and unit asked."""
    out: dict[tuple[str, int, str | None], Any] = {}
    asks = [(e, 2027, None) for e in EVERYONE]
    asks += [("dir@x.se", 2026, None), ("dir@x.se", 2027, "U2"), ("m2@x.se", 2027, "DEP")]
    for email, year, unit in [("", 2027, None), *asks]:
        actor = o.actor(email) if email else Actor.system("t")
        lat = incidents.latency(app, actor, year, unit_code=unit)
        out[email, year, unit] = (counted(app, actor, year, unit), lat)
        if unit is None:
            assert counted(app, actor, year) == reference(app, actor, year), email
            got = (lat.events, lat.serious, lat.reported, lat.median_hours, lat.max_hours)
            assert (*got, lat.within_24h) == latency_reference(app, actor, year), email
    return out


@pytest.mark.pg
def test_the_overview_and_latency_are_the_same_on_sqlite_and_postgresql(
    sqlite_url: str, pg_database: str
) -> None:
    """The statements differ by dialect (PostgreSQL's planned apart); their results do
    not. PostgreSQL asked first, then SQLite, then PostgreSQL again, in one process: each
    dialect gets its own statements from the cache."""
    _truncate_all(pg_database)
    got = []
    orgs = []
    for url in (pg_database, sqlite_url):
        clock = FrozenClock(START)
        app = make_app(url, clock)
        org = build_org(app, extra=PEOPLE)
        org.start()
        scenario(org, clock)
        more_incidents(org)
        orgs.append(org)
        got.append(results(app, org))
    try:
        assert got[0] == got[1]
        assert results(orgs[0].app, orgs[0]) == got[0]
        lat = got[0]["dir@x.se", 2027, None][1]
        assert (lat.events, lat.serious, lat.reported, lat.not_reported) == (7, 5, 4, 1)
        assert (lat.max_hours, lat.within_24h) == (73.8, 3)
        assert got[0]["dir@x.se", 2026, None][1].serious == 2
        assert got[0]["", 2027, None][0]["incident"][0] == 7
    finally:
        for org in orgs:
            org.app.db.dispose()


@pytest.fixture
def oweb(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = _web(db_url, clock)
    yield w
    _close(w)


def test_the_overview_route_and_page(oweb: Web) -> None:
    web = oweb
    web.api("emp@x.se").post("/api/cases/incident", json=INCIDENT)
    web.api("dir@x.se").post("/api/cases/incident", json={**INCIDENT, "unit": "U2"})
    api = web.api("dir@x.se")
    got = api.get("/api/overview/cases", params={"year": 2027})
    assert got.status_code == 200, got.text
    body = got.json()
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert kinds["incident"]["cases"] == 2 and kinds["incident"]["open_tasks"] == 4
    assert kinds["incident"]["states"] == {"open": 2, "ready": 0, "drawn_up": 0, "closed": 0}
    assert body["latency"]["serious"] == 2 and body["latency"]["not_reported"] == 2
    u1 = api.get("/api/overview/cases", params={"year": 2027, "unit": "U1"}).json()
    assert {k["kind"]: k["cases"] for k in u1["kinds"]}["incident"] == 1
    mine = web.api("emp@x.se").get("/api/overview/cases", params={"year": 2027}).json()
    assert {k["kind"]: k["cases"] for k in mine["kinds"]}["incident"] == 1
    assert api.get("/api/overview/cases", params={"year": 2027, "unit": "NOPE"}).status_code == 404
    assert api.get("/api/overview/cases", params={"year": 1999}).status_code == 422
    assert api.get("/api/overview/cases").status_code == 422
    page = web.browser("dir@x.se").get("/overview", params={"year": "2027"})
    assert page.status_code == 200 and "Öppna uppgifter" in page.text
