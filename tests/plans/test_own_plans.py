"""Plans in their own right (issue 11, part 5): an administration-wide plan with its own
header, its measures imported, decided by the manager, established through a cooperation
meeting, followed up at its own rhythm, and in the evidence package and the board report;
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.context import Actor, App
from engine.coop import meetings
from engine.db.models import AuditEvent, Task
from engine.db.models.followup.plans import Plan
from engine.domain.clock import FrozenClock
from engine.domain.errors import InvalidInput, NotFound, NotPermitted
from engine.evidence import package as evidence
from engine.evidence import verify as evidence_verify
from engine.plans import document, own
from engine.plans import importer as plan_import
from engine.reports import board as board_report
from engine.workflow import cycles
from forms.exports.evidence_docs import evidence_html
from forms.exports.report_docs import board_html
from tests.api.conftest import Web, _close, csrf_of, make_web
from tests.cli.test_cli import run
from tests.coop.scenario import build
from tests.factories import build_org, people_csv, units_csv

SYSTEM = Actor.system("test")


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(sqlite_url, clock)
    yield w
    _close(w)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", url)
    monkeypatch.delenv("SAMFLOW_CLI_LANG", raising=False)
    return url


HEADER = {
    "unit": "ADM",
    "scope": "administration",
    "title": "Handlingsplan efter chefsenkäten 2027",
    "plan_date": "2027-01-10",
    "responsible_manager": "Förvaltningschef",
    "participants": [
        {"name": "Dora Direktör", "organisation": "Förvaltningen"},
        {"name": "Frida Facklig", "organisation": "Vision"},
    ],
    "follow_up_months": 4,
}
PLAN_CSV = (
    "Nr;Område;Åtgärd;Ansvar;Tidplan;Uppföljning;Status\n"
    "1;Chefers arbetsbelastning;Se över antalet medarbetare per chef;dir@x.se;hösten 2027;"
    "december 2027;Pågår – kartläggning gjord\n"
    ";;Stöd till nya chefer;dir@x.se;kontinuerligt;;\n"
    "2;Återhämtning;Mötesfria fredagar;dir@x.se;Q4 2027;;Inte påbörjat\n"
).encode()


def test_a_plan_in_its_own_right_from_header_to_establishment(app: App, clock: FrozenClock) -> None:
    c = build(app)
    o, a = c.o, c.o.actor
    clock.set(clock.now().replace(year=2027, month=2, day=1))
    with pytest.raises(NotPermitted):  # an employee opens no plan
        own.create(app, a("anna@x.se"), own.parse(HEADER))
    with pytest.raises(InvalidInput) as bad:  # a theme plan names its theme
        own.parse({**HEADER, "scope": "theme"})
    assert bad.value.errors[0].path == "theme"
    made = own.create(app, a("hr@x.se"), own.parse(HEADER))
    # no survey, no risk assessment: drawing the plan up is its first task, the director's
    with app.read() as s:
        keys = list(s.scalars(select(Task.key).where(Task.cycle_id == made.cycle_id)))
    assert keys == ["action_plan"]
    r = plan_import.import_plan(app, a("dir@x.se"), made.cycle_id, "plan.csv", PLAN_CSV)
    assert (r.items, r.measures) == (2, 3)
    shown = own.show(app, a("dir@x.se"), made.plan_id)
    assert shown.row.scope == "administration" and shown.row.title == HEADER["title"]
    assert shown.participants == [("Dora Direktör", "Förvaltningen"), ("Frida Facklig", "Vision")]
    assert shown.row.counts.total == 3 and shown.importable
    assert "chefen har inte beslutat planen" in shown.unmet
    for outsider in ("m2@x.se", "anna@x.se"):  # 404 for a plan one may not see
        with pytest.raises(NotFound):
            own.show(app, a(outsider), made.plan_id)
    assert [p.id for p in own.list_plans(app, a("m2@x.se"))] == []
    assert made.plan_id in [p.id for p in own.list_plans(app, a("hso@x.se"))]
    # drawn up, decided, established at the FSG
    o.complete(
        "dir@x.se", "action_plan", {"participants": "Ledningsgruppen, Vision"}, made.cycle_id
    )
    cycles.sign_off_stage(app, a("dir@x.se"), made.cycle_id, "action_plan")
    meeting = meetings.create_meeting(app, a("dir@x.se"), "FSG-ADM", date(2027, 2, 20), "FSG")
    item = meetings.add_item(app, a("dir@x.se"), meeting, "Handlingsplan", "plan", made.cycle_id)
    meetings.record_outcome(app, a("dir@x.se"), item, "decided", "Planen fastställs.")
    o.complete("dir@x.se", "approve_manager", {"decision": "approve"}, made.cycle_id)
    signed = meetings.sign_protocol(app, a("fack@x.se"), meeting)
    assert signed.established == [made.cycle_id]
    shown = own.show(app, a("dir@x.se"), made.plan_id)
    assert shown.established is not None and shown.established.text("sv") == (
        "fastställd vid FSG 2027-02-20"
    )
    with app.read() as s:
        doc = document.plan_document(s, made.cycle_id, date(2027, 2, 21))
    assert doc["established"]["text"] == "fastställd vid FSG 2027-02-20"
    assert doc["scope_kind"] == "administration" and doc["title"] == HEADER["title"]
    # followed up: only the measure with a follow-up point gets a follow-up task; the plan
    # as a whole is reviewed, then again at its own rhythm (4 months) while measures are open
    cycles.sign_off_stage(app, a("dir@x.se"), made.cycle_id, "cooperation")
    with app.read() as s:
        open_keys = sorted(
            s.scalars(select(Task.key).where(Task.cycle_id == made.cycle_id, Task.status == "open"))
        )
    assert open_keys == ["measure_follow_up", "plan_review"]
    clock.advance(timedelta(days=90))
    o.complete("dir@x.se", "plan_review", {"summary": "Kartläggningen klar."}, made.cycle_id)
    with app.read() as s:
        reviews = list(
            s.scalars(
                select(Task)
                .where(Task.cycle_id == made.cycle_id, Task.key == "plan_review")
                .order_by(Task.id)
            )
        )
        events = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.chain == f"cycle:{made.cycle_id}"))
        )
    assert [t.status for t in reviews] == ["completed", "open"]
    today = clock.now().date()
    assert reviews[1].due_at.date() >= today + timedelta(days=119)
    assert {"action_plan.registered", "plan.imported", "plan.established"} <= set(events)
    # in the board report of the year, and in the evidence package (header, tasks, the
    # establishment under cooperation), which verifies against the database
    r = board_report.build(app, a("dir@x.se"), 2027, root_code="ADM")
    assert [(p.title, p.scope, p.established) for p in r.plans] == [
        (HEADER["title"], "administration", "fastställd vid FSG 2027-02-20")
    ]
    assert "Handlingsplaner med egen omfattning" in board_html(r, "sv")
    built = evidence.build(app, SYSTEM, evidence.Scope("subtree", "ADM", 2027))
    (section,) = built.data["action_plans"]
    assert section["title"] == HEADER["title"] and section["scope"] == "administration"
    assert {t["key"] for t in section["tasks"]} >= {"action_plan", "approve_manager"}
    refs = [e["ref"] for e in built.data["cooperation"]["established"]]
    assert f"cycle:{made.cycle_id}" in refs
    page = evidence_html(built.document())
    assert HEADER["title"] in page and "fastställd vid FSG 2027-02-20" in page
    assert evidence_verify.verify(app, SYSTEM, built.document()).matches


def test_a_theme_plan_at_a_unit_without_a_manager_is_refused_naming_the_unit(app: App) -> None:
    build_org(app, u2_manager=None)
    theme = {**HEADER, "unit": "U2", "scope": "theme", "theme": "Första linjens chefer"}
    with pytest.raises(InvalidInput) as refused:
        own.create(app, Actor.system("test"), own.parse(theme))
    assert refused.value.errors[0].path == "unit"
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(Plan)) == 0  # nothing half-made


def test_plan_pages_and_api(web: Web) -> None:
    hr = web.browser("hr@x.se")
    page = hr.get("/plans/new")
    assert page.status_code == 200 and "Omfattning" in page.text
    token = csrf_of(page.text)
    made = hr.post(
        "/plans/new",
        data={
            "csrf_token": token,
            "_action": "create",
            "unit": "DEP",
            "scope": "department",
            "title": "Plan för avdelningen",
            "plan_date": "2027-01-10",
            "participants[0].name": "Dag Avdelningschef",
            "participants[0].organisation": "Kommunen",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    shown = hr.get(made.headers["location"])
    assert shown.status_code == 200
    for text in ("Plan för avdelningen", "Dag Avdelningschef (Kommunen)", "Inte ännu"):
        assert text in shown.text
    assert "Plan för avdelningen" in hr.get("/plans").text
    bad = hr.post(
        "/plans/new",
        data={"csrf_token": token, "_action": "create", "unit": "DEP", "scope": "theme",
              "title": "X", "plan_date": "2027-01-10"},
    )  # fmt: skip
    assert bad.status_code == 422 and "tema" in bad.text
    # the JSON API
    dep = web.api("dep@x.se")
    rows = dep.get("/api/plans").json()
    assert [r["title"] for r in rows] == ["Plan för avdelningen"]
    plan_id = rows[0]["id"]
    one = dep.get(f"/api/plans/{plan_id}").json()
    assert one["plan"]["scope"] == "department" and one["importable"] is True
    assert one["participants"] == [{"name": "Dag Avdelningschef", "organisation": "Kommunen"}]
    up = dep.post(
        f"/api/plans/{plan_id}/import",
        files={"file": ("plan.csv", PLAN_CSV.replace(b"dir@x.se", b"dep@x.se"), "text/csv")},
        data={"dry_run": "true"},
    )
    assert up.status_code == 200 and up.json()["measures"] == 3 and not up.json()["applied"]
    assert web.api("m2@x.se").get(f"/api/plans/{plan_id}").status_code == 404
    refused = dep.post("/api/plans", json={**HEADER, "unit": "DEP", "scope": "nope"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == "scope"
    created = dep.post("/api/plans", json={**HEADER, "unit": "DEP", "scope": "department"})
    assert created.status_code == 201 and created.json()["plan_id"] > plan_id


def test_plan_cli(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    units, people, header = tmp_path / "u.csv", tmp_path / "p.csv", tmp_path / "plan.json"
    units.write_text(units_csv())
    people.write_text(people_csv())
    header.write_text(json.dumps({**HEADER, "unit": "DEP", "scope": "department"}))
    assert run(capsys, "db", "upgrade")[0] == 0
    assert run(capsys, "org", "import", str(units), str(people))[0] == 0
    code, out, _ = run(capsys, "plan", "create", str(header), "--as", "hr@x.se")
    assert code == 0 and "the manager draws it up" in out
    code, out, _ = run(capsys, "plan", "list", "--as", "dep@x.se")
    assert code == 0 and HEADER["title"] in out and "department: Avdelningen" in out
    plan_id = out.split("\t")[0]
    code, out, _ = run(capsys, "plan", "show", plan_id, "--as", "dep@x.se")
    assert code == 0 and "Frida Facklig (Vision)" in out and "not decided" in out
    assert "every 4 months, counted from the plan date" in out  # its own rhythm
    code, out, err = run(capsys, "plan", "show", plan_id, "--as", "m2@x.se")
    assert code == 3, (out, err)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**HEADER, "scope": "theme"}))
    code, _, err = run(capsys, "plan", "create", str(bad), "--as", "hr@x.se")
    assert code == 2 and "theme" in err
