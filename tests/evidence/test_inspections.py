"""Inspections by Arbetsmiljöverket: requirements become routed tasks that remind and
escalate like any other; the reply is drafted once every requirement is answered."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from engine.context import Actor, App
from engine.db.models import Cycle
from engine.domain.clock import FrozenClock
from engine.domain.errors import Conflict, ImportInvalid, InvalidInput, NotPermitted
from engine.evidence import package as evidence
from engine.inspections import cases as inspections
from engine.views import cycle as cycle_views
from engine.workflow import cycles, sweeps
from forms.exports.case_docs import html, pdf
from tests.factories import Org, build_org

YAML = """
unit: DEP
inspected_on: 2027-01-05
reply_by: 2027-02-15
reference: "2027/001234"
inspector: Eva Inspektör
requirements:
  - text: Arbetsgivaren ska skriftligen bedöma riskerna för hot och våld.
    units: [U1, U2]
  - text: Arbetsgivaren ska se till att uppgiftsfördelningen är skriftlig.
"""
ANSWER = {
    "actions": "Riskbedömning av hot och våld gjord med skyddsombudet.",
    "done_on": "2027-01-30",
    "evidence": ["Riskbedömning 2027-01-30", "APT-protokoll 2027-02-01"],
}


def register(o: Org, text: str = YAML, who: str = "hr@x.se") -> inspections.Registered:
    reg = inspections.read_registration("inspection.yaml", text.encode())
    return inspections.register(o.app, o.actor(who), reg)


def at(clock: FrozenClock, month: int, day: int) -> None:
    clock.set(datetime(2027, month, day, 8, tzinfo=UTC))


def keys(o: Org, email: str) -> list[str]:
    return [i.key for i in o.inbox(email)]


def test_inspection_reply_end_to_end_with_escalation(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    out = register(o)
    assert (out.requirements, out.tasks) == (2, 3)
    assert keys(o, "m1@x.se") == keys(o, "m2@x.se") == ["requirement_reply"]
    first = o.task("m1@x.se", "requirement_reply")
    assert first.due_at == datetime(2027, 2, 8, 22, 59, 59, tzinfo=UTC)  # a week before
    at(clock, 2, 2)
    assert sweeps.sweep(app).reminded == 3
    o.complete("m1@x.se", "requirement_reply", ANSWER)
    at(clock, 2, 9)
    report = sweeps.sweep(app)
    assert sorted(to for _, level, to in report.escalations if level == 1) == sorted(
        [f"manager@{o.units['DEP']}", f"director@{o.units['ADM']}"]
    )
    assert "requirement_reply" in keys(o, "dep@x.se")  # U2's, escalated to the line above
    with pytest.raises(Conflict) as refused:
        inspections.draft_reply(app, o.actor("dep@x.se"), out.inspection_id)
    assert "1 (U2)" in refused.value.en and "2 (DEP)" in refused.value.en
    at(clock, 2, 12)
    report = sweeps.sweep(app)
    assert f"director@{o.units['ADM']}" in [to for _, level, to in report.escalations]
    o.complete("m2@x.se", "requirement_reply", {**ANSWER, "remaining": "Övning i maj."})
    o.complete("dep@x.se", "requirement_reply", {**ANSWER, "actions": "Skriftlig fördelning."})
    draft = inspections.draft_reply(app, o.actor("dep@x.se"), out.inspection_id)
    assert draft.data["complete"] and len(draft.data["requirements"]) == 2
    (summary,) = inspections.list_inspections(app, o.actor("dir@x.se"))
    assert (summary.status, summary.done, summary.answers, summary.escalated) == (
        "drafted",
        3,
        3,
        2,
    )
    text = " ".join(
        " ".join(
            p.extract_text()
            for p in PdfReader(
                io.BytesIO(pdf(draft.document(), draft.template, draft.title, "sv"))
            ).pages
        ).split()
    )
    for expected in (
        "Svar på inspektionsmeddelande",
        "2027/001234",
        "hot och våld",
        "Skriftlig fördelning.",
        "APT-protokoll 2027-02-01",
        "Övning i maj.",
        draft.digest,
    ):
        assert expected in text, expected
    cycles.sign_off_stage(app, o.actor("dep@x.se"), out.cycle_id, "requirements")
    assert inspections.list_inspections(app, Actor.system("t"))[0].status == "closed"
    package = evidence.build(app, o.actor("m2@x.se"), evidence.Scope("unit", "U2", 2027)).data
    (seen,) = package["inspections"]
    assert seen["reference"] == "2027/001234" and seen["reply_drafted_at"] is not None
    assert [a["unit"] for r in seen["requirements"] for a in r["answers"]] == ["U2"]
    assert {"chain": f"cycle:{out.cycle_id}", "ok": True}.items() <= next(
        c for c in package["audit"]["chains"] if c["chain"] == f"cycle:{out.cycle_id}"
    ).items()


def test_a_returned_requirement_is_answered_above(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    out = register(o)
    task = o.task("m1@x.se", "requirement_reply")
    from engine.workflow import tasks

    tasks.return_task(app, o.actor("m1@x.se"), task.task_id, "Frågan gäller hela avdelningen")
    answers = [i for i in o.inbox("dep@x.se") if i.key == "requirement_reply"]
    assert len(answers) == 2  # its own requirement and the returned one
    for item in answers:
        tasks.complete_task(app, o.actor("dep@x.se"), item.task_id, ANSWER)
    preview = inspections.preview_reply(app, o.actor("dep@x.se"), out.inspection_id)
    first = preview.data["requirements"][0]["answers"]
    assert [(a["unit"], a["by"], a["status"]) for a in first] == [
        ("U1", "Dag Avdelningschef", "completed"),
        ("U2", "", "open"),
    ]
    assert "UTKAST" in html(preview.document(), preview.template, preview.title, "sv")


def test_several_inspections_a_year_but_one_annual_cycle(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    register(o)
    register(o, YAML.replace("2027/001234", "2027/009999"))
    o.start()
    assert o.start().started == []  # the annual cycle stays one per unit and year
    with app.read() as s:
        count = s.scalar(
            select(func.count()).select_from(Cycle).where(Cycle.unit_id == o.units["DEP"])
        )
    assert count == 3
    assert cycle_views.year_overview(app, 2027).cycles == 4  # the yearly cycles, not inspections


def test_registration_errors_name_the_field(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    bad = YAML.replace("units: [U1, U2]", "units: [U1, NOPE]")
    with pytest.raises(InvalidInput) as err:
        register(o, bad)
    assert [e.path for e in err.value.errors] == ["requirements[0].units[1]"]
    inside = YAML.replace("unit: DEP", "unit: U1")
    with pytest.raises(InvalidInput) as err:
        register(o, inside)
    assert "U2 is not part of the inspected unit" in err.value.en
    late = YAML.replace("reply_by: 2027-02-15", "reply_by: 2027-01-09")
    with pytest.raises(InvalidInput, match="passed"):
        register(o, late)
    with pytest.raises(NotPermitted):
        register(o, who="m1@x.se")


def test_csv_registration_reports_lines(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    csv_text = (
        "krav;enheter;senast\n"
        "Riskbedömning av hot och våld;U1 U2;2027-02-01\n"
        "Skriftlig uppgiftsfördelning;;2027-13-01\n"
    )
    header = {"unit": "DEP", "inspected_on": "2027-01-05", "reply_by": "2027-02-15"}
    with pytest.raises(ImportInvalid) as err:
        inspections.read_registration("krav.csv", csv_text.encode(), header)
    assert [(r.file, r.line, r.field) for r in err.value.rows] == [("krav.csv", 3, "due")]
    good = csv_text.replace("2027-13-01", "2027-02-05")
    reg = inspections.read_registration("krav.csv", good.encode(), header)
    out = inspections.register(app, o.actor("dir@x.se"), reg)
    assert (out.requirements, out.tasks) == (2, 3)
