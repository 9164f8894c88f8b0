"""Positions and groups as a measure's responsible: imported with the organisation's
positions file, shown as written with the holder today, tasks to the holder (a group's
convener) that follow a change of holder; an unknown title is an error naming the cell and
listing what exists, never someone else in its place."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.context import Actor, App
from engine.db.models import AuditEvent, Measure, Task
from engine.domain.clock import FrozenClock
from engine.domain.errors import ImportInvalid, NotPermitted
from engine.org import positions
from engine.plans import document
from engine.plans import importer as plan_import
from engine.views import cycle as cycle_views
from tests.factories import APPROVE, build_org, drive_to, plan

POSITIONS = "\n".join(
    [
        "kind,name,unit_code,email,valid_from,valid_to,convener",
        "befattning,HR-chef,ADM,hr@x.se,2020-01-01,,",
        "ledningsgrupp,Ledningsgruppen,DEP,,,,",
        "grupp,Gemensamt ansvar,U1,so1@x.se,,,",
        "grupp,Gemensamt ansvar,U1,m1@x.se,,,ja",
        "",
    ]
)
PLAN = "\n".join(
    [
        "Område;Åtgärd;Ansvarig;Klart senast;Uppföljning",
        "Arbetsbelastning;Kompetensförsörjningsplan;HR-chef;Q2 2027;2027-09-01",
        ";Chefsstöd;Ledningsgruppen;hösten 2027;",
        ";Friskvård;Gemensamt ansvar;kontinuerligt;",
        "",
    ]
)


def test_positions_and_groups_as_responsible_follow_a_change_of_holder(
    app: App, clock: FrozenClock
) -> None:
    o = build_org(app)
    report = positions.import_positions(app, o.actor("hr@x.se"), POSITIONS)
    assert report.positions_created == ["HR-chef"]
    assert report.groups_created == ["Ledningsgruppen", "Gemensamt ansvar"]
    assert positions.import_positions(app, o.actor("hr@x.se"), POSITIONS).holders_set == []
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "action_plan")
    plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    with app.read() as s:
        doc = document.plan_document(s, cid, clock.now().date())
    shown = {
        m["what"]: (m["responsible"], m["holder"]) for i in doc["items"] for m in i["measures"]
    }
    assert shown["Kompetensförsörjningsplan"] == ("HR-chef", "Hugo HR")  # as written + holder
    assert shown["Chefsstöd"] == ("Ledningsgruppen", "Dag Avdelningschef")  # DEP's manager
    assert shown["Friskvård"] == ("Gemensamt ansvar", "Maja Chef")  # the convener

    # through approval to follow-up: the task goes to the holder
    risk = cycle_views.cycle_view(app, cid).risks[0].id
    o.complete("m1@x.se", "action_plan", plan(risk_id=risk), cid)
    o.sign_off("m1@x.se", cid, "action_plan")
    o.complete("m1@x.se", "approve_manager", APPROVE, cid)
    o.complete("so1@x.se", "approve_safety_rep", APPROVE, cid)
    o.sign_off("m1@x.se", cid, "cooperation")
    assert [i.key for i in o.inbox("hr@x.se") if i.cycle_id == cid] == ["measure_follow_up"]

    # a new HR-chef from 1 February: the measure and its open task follow
    clock.set(datetime(2027, 2, 1, 8, tzinfo=UTC))
    moved = positions.import_positions(
        app, o.actor("hr@x.se"), "kind,name,unit_code,email,valid_from\n"
        "befattning,HR-chef,ADM,dep@x.se,2027-02-01\n",
    )  # fmt: skip
    assert moved.measures_moved == 1
    assert [i.key for i in o.inbox("dep@x.se") if i.cycle_id == cid] == ["measure_follow_up"]
    assert not [i for i in o.inbox("hr@x.se") if i.cycle_id == cid]
    with app.read() as s:
        m = s.scalar(select(Measure).where(Measure.what == "Kompetensförsörjningsplan"))
        assert m is not None and m.responsible == "HR-chef"  # still as written
        task = s.scalar(select(Task).where(Task.measure_id == m.id))
        assert task is not None and task.assignee_id == m.responsible_person_id
        events = [json.loads(e.data) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action == "measure.reassigned"))]  # fmt: skip
        doc = document.plan_document(s, cid, clock.now().date())
    assert (
        events[-1]["position"] == "HR-chef" and events[-1]["reason"] == "new holder of the position"
    )
    shown = {m["what"]: m["holder"] for i in doc["items"] for m in i["measures"]}
    assert shown["Kompetensförsörjningsplan"] == "Dag Avdelningschef"


def test_an_unknown_title_is_an_error_naming_the_cell_and_the_positions(
    app: App, clock: FrozenClock
) -> None:
    o = build_org(app)
    positions.import_positions(app, o.actor("hr@x.se"), POSITIONS)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "action_plan")
    bad = PLAN.replace(";HR-chef;", ";Förvaltningschef;")
    with pytest.raises(ImportInvalid) as err:
        plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", bad.encode())
    (row,) = err.value.rows
    assert (row.file, row.line, row.field) == ("plan.csv", 2, "Ansvarig")
    assert "'Förvaltningschef'" in row.message_en
    assert "Gemensamt ansvar, HR-chef, Ledningsgruppen" in row.message_sv
    with app.read() as s:
        assert s.scalar(select(Measure.id).where(Measure.what == "Chefsstöd")) is None


def test_positions_file_errors_and_rights(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    bad = "kind,name,unit_code,email\nbefattning,HR-chef,XX,nobody@x.se\nklubb,Ö,U1,\n"
    with pytest.raises(ImportInvalid) as err:
        positions.import_positions(app, Actor.system("test"), bad)
    assert [(r.line, r.field) for r in err.value.rows] == [
        (2, "unit_code"), (2, "email"), (3, "kind"),
    ]  # fmt: skip
    with pytest.raises(NotPermitted):
        positions.import_positions(app, o.actor("m1@x.se"), POSITIONS)
    dry = positions.import_positions(app, o.actor("hr@x.se"), POSITIONS, dry_run=True)
    assert not dry.applied and dry.positions_created == ["HR-chef"]
    with app.read() as s:
        assert positions.all_titles(s) == []
