"""The action plan as organisations write it: import (header block, numbered areas,
periods, dated statuses, several follow-up points) -> the plan document -> XLSX export ->
import again gives the same plan; statuses judged against the plan's own dates."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine.context import App, Tx
from engine.db.models import AuditEvent, Cycle, Measure, MeasureEvent, Task
from engine.db.models.followup.plans import MeasureFollowUp, Plan
from engine.domain.clock import FrozenClock
from engine.domain.errors import ImportInvalid, InvalidInput
from engine.domain.period import parse_period
from engine.plans import document
from engine.plans import importer as plan_import
from engine.plans import plan as plans
from engine.views import cycle as cycle_views
from tests.factories import APPROVE, Org, build_org, drive_to, plan

IMPORT_DAY = datetime(2027, 11, 15, 9, tzinfo=UTC)

# A plan as a municipality writes it: a title row, a header block, a numbered area column
# spanning rows, periods, a dated status column, a repeated row with more history,
# multi-line cells, a comment on a planned row, no follow-up on some rows.
PLAN = "\n".join(
    [
        "Handlingsplan arbetsmiljö 2027 – Enhet 1;;;;;;;;;",
        "Enhet: Hemtjänsten Enhet 1;;;;;;;;;",
        "Datum: 2027-01-05;;;;;;;;;",
        "Ansvarig chef: Maja Chef;;;;;;;;;",
        "Deltagare: Maja Chef (Kommunen); Sara Skydd (Kommunal); Olle Ek (Vision);;;;;;;",
        ";;;;;;;;;",
        "Nr;Identifierad risk;Aktivitet;Förväntat resultat;Ansvar;Tidplan;Uppföljning;"
        "Utvärdering;Status;Status 2 sept;Kommentar",
        '1;Hög arbetsbelastning;"Kartlägga arbetsuppgifter\nmed hela gruppen";Tydliga '
        'prioriteringar;Enhetschef;feb 2027;"mars 2027\nhösten 2027";Q4 2027;Klart 13/10;'
        "Pågår: intervjuer gjorda;",
        ";;Prioriteringsstöd;;enhetschef;hösten 2027;;;Inte påbörjat;;Väntar på kartläggningen",
        "2;Hot och våld;Larmrutin;Trygghet;skyddsombud;T2 2027;;;Pågående – offert begärd;;",
        ";;;;;;;;Uppskjuten 2027-06-01 ny leverantör upphandlas;;",
        "3;Friskvård;Friskvårdstimme;Fler friska;m1@x.se;kontinuerligt;;;Ständigt pågående;;",
        "",
    ]
)


def at_plan(app: App, clock: FrozenClock, late_in_the_year: bool = True) -> tuple[Org, int]:
    """U1's cycle at its plan; the import day late in the year (after the statuses)."""
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "action_plan")
    if late_in_the_year:
        clock.set(IMPORT_DAY)
    return o, cid


def doc_of(app: App, cid: int, today: date = date(2027, 3, 1)) -> dict[str, Any]:
    with app.read() as s:
        return document.plan_document(s, cid, today)


def imported(d: dict[str, Any]) -> list[dict[str, Any]]:
    """The imported items of a plan document (the cycle's own first item apart)."""
    return [i for i in d["items"] if i["area"] != "Tunga lyft"]


def test_a_real_plan_is_read_with_its_header_periods_history_and_follow_ups(
    app: App, clock: FrozenClock
) -> None:
    o, cid = at_plan(app, clock)
    r = plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    assert (r.items, r.measures) == (3, 4)
    d = doc_of(app, cid)
    assert d["title"] == "Handlingsplan arbetsmiljö 2027 – Enhet 1"
    assert (d["scope"], d["plan_date"], d["responsible_manager"]) == (
        "Hemtjänsten Enhet 1", "2027-01-05", "Maja Chef",
    )  # fmt: skip
    assert [(p["name"], p["organisation"]) for p in d["participants"]] == [
        ("Maja Chef", "Kommunen"), ("Sara Skydd", "Kommunal"), ("Olle Ek", "Vision"),
    ]  # fmt: skip
    items = imported(d)
    assert [i["area"] for i in items] == ["Hög arbetsbelastning", "Hot och våld", "Friskvård"]
    kart, prio = items[0]["measures"]
    assert kart["what"] == "Kartlägga arbetsuppgifter\nmed hela gruppen"  # line break kept
    assert (kart["due"], kart["due_end"]) == ("feb 2027", "2027-02-28")
    assert kart["follow_ups"] == ["mars 2027", "hösten 2027"] and kart["evaluations"] == ["Q4 2027"]
    # dated history, in the order of the days it is about; each note once
    assert [(h["about"], h["status"], h["note"]) for h in kart["history"]] == [
        ("2027-09-02", "in_progress", "intervjuer gjorda"),
        ("2027-10-13", "done", ""),
    ]
    assert kart["status"] == "done" and kart["done_on"] == "2027-10-13"
    # a comment on a planned row is kept, as a note
    assert (prio["status"], [h["note"] for h in prio["history"]]) == (
        "planned", ["Väntar på kartläggningen"],
    )  # fmt: skip
    assert prio["follow_ups"] == [] and prio["evaluations"] == []
    (larm,) = items[1]["measures"]
    assert [(h["about"], h["status"], h["note"], h["reason"]) for h in larm["history"]] == [
        ("2027-06-01", "postponed", "", "ny leverantör upphandlas"),
        ("2027-11-15", "in_progress", "offert begärd", ""),  # undated: as of the import
    ]
    (frisk,) = items[2]["measures"]
    assert frisk["open_ended"] and frisk["due"] == "kontinuerligt" and not frisk["late"]
    with app.read() as s:
        events = list(s.scalars(select(MeasureEvent).where(MeasureEvent.about.is_not(None))))
        audit = [json.loads(e.data) for e in s.scalars(select(AuditEvent)) if "about" in e.data]
    assert {e.about for e in events} >= {date(2027, 9, 2), date(2027, 10, 13), date(2027, 6, 1)}
    assert all(e.at.date() == date(2027, 11, 15) for e in events)  # recorded today
    assert {a["about"] for a in audit} >= {"2027-09-02", "2027-10-13"}


def test_no_follow_up_is_made_up_and_tasks_only_for_points_that_exist(
    app: App, clock: FrozenClock
) -> None:
    o, cid = at_plan(app, clock)
    plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    with app.read() as s:
        no_points = [
            m.what
            for m in s.scalars(select(Measure).where(Measure.cycle_id == cid))
            if not s.scalar(select(MeasureFollowUp.id).where(MeasureFollowUp.measure_id == m.id))
        ]
        assert set(no_points) == {"Prioriteringsstöd", "Larmrutin", "Friskvårdstimme"}
        assert all(
            m.follow_up_date is None
            for m in s.scalars(select(Measure).where(Measure.what.in_(no_points)))
        )
    risk = cycle_views.cycle_view(app, cid).risks[0].id
    o.complete("m1@x.se", "action_plan", plan(risk_id=risk), cid)
    o.sign_off("m1@x.se", cid, "action_plan")
    o.complete("m1@x.se", "approve_manager", APPROVE, cid)
    o.complete("so1@x.se", "approve_safety_rep", APPROVE, cid)
    o.sign_off("m1@x.se", cid, "cooperation")
    with app.read() as s:
        follow = s.scalars(
            select(Measure.what)
            .join(Task, Task.measure_id == Measure.id)
            .where(Task.cycle_id == cid, Task.form_key == "measure_follow_up")
        ).all()
        whats = sorted(follow)
    # the cycle's own measure (follow-up 2027-10-15) and "Kartlägga" (mars 2027) only
    assert whats == ["Kartlägga arbetsuppgifter\nmed hela gruppen", "Taklyft"]


def test_export_then_import_gives_the_same_plan(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app, clock)
    plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    first = doc_of(app, cid)
    content = document.export_xlsx(first)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert sheet["A1"].value == first["title"]
    drive_to(o, o.cycle_of("U2"), "action_plan", manager="m2@x.se", safety_rep="so2@x.se")
    cid2 = o.cycle_of("U2")
    plan_import.import_plan(app, o.actor("m2@x.se"), cid2, "export.xlsx", content)
    second = doc_of(app, cid2)

    def same(d: dict[str, Any]) -> Any:
        keep = ("title", "plan_date", "responsible_manager", "participants", "scope")
        items = [
            {
                **{k: v for k, v in i.items() if k not in ("number", "measures")},
                "measures": [
                    {
                        **{k: v for k, v in m.items() if k not in ("number", "history", "holder")},
                        "history": [
                            (h["about"], h["event"], h["status"], h["note"], h["reason"])
                            for h in m["history"]
                        ],
                    }
                    for m in i["measures"]
                ],
            }
            for i in d["items"]
        ]
        return {k: d[k] for k in keep}, items

    assert same(second) == same(first)  # the holder apart: "Enhetschef" of another unit


def test_an_archived_plan_is_judged_at_its_own_dates(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app, clock)
    plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    # while it runs: "Prioriteringsstöd" (hösten 2027, planned) is late once autumn is over
    late = {m["what"]: m["late"] for i in doc_of(app, cid, date(2027, 12, 15))["items"]
            for m in i["measures"]}  # fmt: skip
    assert late["Prioriteringsstöd"] and not late["Friskvårdstimme"]

    # closed in October 2027: not late then, so not late in 2033 either
    def close(tx: Tx) -> None:
        c = tx.session.get(Cycle, cid)
        assert c is not None
        c.closed_at = datetime(2027, 10, 20, 12, tzinfo=UTC)

    app.run(close)
    d = doc_of(app, cid, date(2033, 5, 1))
    assert d["judged_on"] == "2027-10-20" and d["closed"]
    late = {m["what"]: m["late"] for i in d["items"] for m in i["measures"]}
    assert not late["Prioriteringsstöd"]
    assert late["Larmrutin"]  # T2 2027 (ended 2027-08-31), still open when the plan closed


def test_a_backdated_status_needs_a_reason_and_records_both_days(
    app: App, clock: FrozenClock
) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "follow_up")
    with app.read() as s:
        mid = s.scalar(select(Measure.id).where(Measure.cycle_id == cid))
    assert mid is not None
    clock.advance(timedelta(days=30))
    with pytest.raises(InvalidInput) as err:
        plans.update_measure(app, o.actor("m1@x.se"), mid, "in_progress", about=date(2027, 1, 20))
    assert err.value.errors[0].path == "reason"
    with pytest.raises(InvalidInput):
        plans.update_measure(app, o.actor("m1@x.se"), mid, "in_progress", about=date(2027, 3, 1))
    plans.update_measure(
        app, o.actor("m1@x.se"), mid, "in_progress", note="startade", reason="glömde registrera",
        about=date(2027, 1, 20),
    )  # fmt: skip
    with app.read() as s:
        e = s.scalars(select(MeasureEvent).where(MeasureEvent.measure_id == mid)).all()[-1]
        a = s.scalars(select(AuditEvent).where(AuditEvent.action == "measure.start")).all()[-1]
    assert (e.about, e.at.date()) == (date(2027, 1, 20), date(2027, 2, 9))  # about, recorded
    data = json.loads(a.data)
    assert data["about"] == "2027-01-20" and data["reason"] == "glömde registrera"


def test_bad_cells_name_file_row_column_and_the_form_expected(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app, clock)
    bad = (
        PLAN.replace("T2 2027", "snart")
        .replace("Klart 13/10", "Klart")
        .replace("Status 2 sept", "Status sommarlov")
    )
    with pytest.raises(ImportInvalid) as err:
        plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", bad.encode())
    rendered = [e.render("sv") for e in err.value.errors]
    assert rendered[0].startswith("plan.csv:7: Status sommarlov: inte ett datum eller en period")
    assert any(x.startswith("plan.csv:12: Tidplan: inte ett datum eller en period: 'snart'")
               and "hösten 2017" in x for x in rendered)  # fmt: skip
    assert len(rendered) == 3  # nothing follows from a wrong row
    assert any(x.startswith("plan.csv:8: Status: en genomförd åtgärd behöver datum (t.ex. "
                            "'Klart 2017-10-13'") for x in rendered)  # fmt: skip
    with app.read() as s:
        assert s.scalar(select(Plan.id).where(Plan.cycle_id == cid)) is None


def test_dry_run_shows_what_would_be_created(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app, clock)
    r = plan_import.import_plan(
        app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode(), dry_run=True
    )
    assert not r.applied and (r.items, r.measures) == (3, 4)
    assert r.header.title.startswith("Handlingsplan") and len(r.header.participants) == 3
    assert [m.due.label for i in r.rows for m in i.measures] == [
        "feb 2027", "hösten 2027", "T2 2027", "kontinuerligt",
    ]  # fmt: skip
    assert parse_period("hösten 2027").end == date(2027, 11, 30)
    with app.read() as s:
        assert s.scalar(select(Plan.id)) is None


def test_the_plan_form_takes_a_period_and_keeps_it_on_edit(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app, clock, late_in_the_year=False)
    risk = cycle_views.cycle_view(app, cid).risks[0].id
    measure = {"what": "Friskvård", "responsible": "Enhetschef", "due_period": "hösten 2027"}
    o.complete("m1@x.se", "action_plan", plan(measure, risk_id=risk), cid)
    with app.read() as s:
        m = s.scalar(select(Measure).where(Measure.cycle_id == cid))
        assert m is not None
        assert (m.due_kind, m.due_label, m.due_date) == (
            "season",
            "hösten 2027",
            date(2027, 11, 30),
        )
        assert m.follow_up_date is None  # none given: none made up
        assert (
            s.scalar(select(MeasureFollowUp.id).where(MeasureFollowUp.measure_id == m.id)) is None
        )
    (view,) = cycle_views.cycle_view(app, cid).plan[0].measures
    assert view.due_label == "hösten 2027" and view.follow_ups == ()
