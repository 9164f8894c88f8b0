"""Importing last year's action plan from a spreadsheet (CSV or XLSX) into a cycle."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engine.context import App
from engine.db.models import AuditEvent, Measure, MeasureEvent
from engine.domain.clock import FrozenClock
from engine.domain.errors import Conflict, ImportInvalid, NotPermitted
from engine.plans import importer as plan_import
from engine.views import cycle as cycle_views
from tests.factories import Org, build_org, drive_to

PLAN = "\n".join(
    [
        "Handlingsplan 2026 – Enhet 1;;;;;;;;;;;",
        "Område;Nuläge;Sannolikhet;Konsekvens;Åtgärd;Önskat resultat;Ansvarig;Klart senast;"
        "Uppföljning;Status;Genomförd;Kommentar",
        "Tunga lyft;Två skador;3;3;Utbildning;Alla utbildade;Enhetschef;2027-09-30;2027-10-15;;;",
        ";;;;Taklyft;Inga manuella lyft;m1@x.se;2027-11-30;;pågår;;Offert begärd",
        "Arbetsbelastning;Index 58;;;Prioriteringsstöd;Tydliga prioriteringar;enhetschef;"
        "2027-06-30;;genomförd;2026-11-20;",
        "Hot och våld;;;;Larmrutin;;skyddsombud;2027-08-31;;uppskjuten;;Väntar på ny leverantör",
        "",
    ]
)


def at_plan(app: App) -> tuple[Org, int]:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "action_plan")
    return o, cid


def count(app: App, model: type) -> int:
    with app.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_csv_plan_is_imported_like_the_form_writes_it(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app)
    r = plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    assert (r.items, r.measures, r.status_changes) == (3, 4, 3)
    plan = cycle_views.cycle_view(app, cid).plan
    assert [(i.number, i.area, i.risk_level) for i in plan] == [
        (1, "Tunga lyft", "high"),
        (2, "Arbetsbelastning", None),
        (3, "Hot och våld", None),
    ]
    m = {x.what: x for i in plan for x in i.measures}
    assert (m["Utbildning"].number, m["Taklyft"].number) == ("1.1", "1.2")
    assert m["Utbildning"].follow_up_date.isoformat() == "2027-10-15"
    assert (m["Taklyft"].status, m["Taklyft"].history[-1][3]) == ("in_progress", "Offert begärd")
    assert (m["Prioriteringsstöd"].status, str(m["Prioriteringsstöd"].done_on)) == (
        "done",
        "2026-11-20",
    )
    assert m["Larmrutin"].status == "postponed"
    assert m["Larmrutin"].history[-1][4] == "Väntar på ny leverantör"
    with app.read() as s:
        actions = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.chain == f"cycle:{cid}"))
        )
    assert actions.count("measure.created") == 4 and actions[-1] == "plan.imported"
    assert {"measure.start", "measure.finish", "measure.postpone"} <= set(actions)


def test_every_bad_cell_is_named_and_nothing_is_written(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app)
    before = (count(app, Measure), count(app, MeasureEvent), count(app, AuditEvent))
    bad = (
        PLAN.replace("2027-09-30", "snart")
        .replace(";m1@x.se;", ";kalle;")
        .replace("2027-06-30;;genomförd", "2027-06-30;2027-06-01;klar")
        .replace("uppskjuten;;Väntar på ny leverantör", "uppskjuten;;")
    )
    with pytest.raises(ImportInvalid) as err:
        plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", bad.encode())
    assert [(r.line, r.field) for r in err.value.rows] == [
        (3, "Klart senast"),
        (4, "Ansvarig"),
        (5, "Uppföljning"),
        (6, "Kommentar"),
    ]
    assert (
        err.value.errors[0]
        .render("sv")
        .startswith("plan.csv:3: Klart senast: inte ett datum eller en period")
    )
    assert (count(app, Measure), count(app, MeasureEvent), count(app, AuditEvent)) == before


def test_unknown_people_are_reported_with_their_line(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app)
    bad = PLAN.replace(";m1@x.se;", ";nobody@x.se;")
    with pytest.raises(ImportInvalid) as err:
        plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", bad.encode())
    ((line, field, en),) = [(r.line, r.field, r.message_en) for r in err.value.rows]
    assert (line, field) == (4, "Ansvarig") and "nobody@x.se" in en
    assert count(app, Measure) == 0


def test_xlsx_with_a_title_row_and_date_cells(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Handlingsplan Enhet 1"])
    sheet.append(["Area", "Measure", "Desired result", "Responsible", "Due", "Follow-up"])
    first = ["Buller", "Ljuddämpande skärmar", "Lägre ljudnivå", "manager"]
    sheet.append([*first, date(2027, 9, 1), date(2027, 9, 15)])
    sheet.append([None, "Mätning", None, "manager", date(2027, 10, 1), None])
    buf = io.BytesIO()
    book.save(buf)
    r = plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.xlsx", buf.getvalue())
    assert (r.items, r.measures) == (1, 2)
    item = cycle_views.cycle_view(app, cid).plan[-1]
    assert [(x.number, x.due_date.isoformat()) for x in item.measures] == [
        (f"{item.number}.1", "2027-09-01"),
        (f"{item.number}.2", "2027-10-01"),
    ]
    with pytest.raises(ImportInvalid) as err:
        plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.xlsx", b"not a zip")
    assert err.value.rows[0].line == 1


def test_dry_run_access_and_stage(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app)
    before = count(app, Measure)
    r = plan_import.import_plan(app, o.actor("m1@x.se"), cid, "p.csv", PLAN.encode(), dry_run=True)
    assert r.measures == 4 and not r.applied and count(app, Measure) == before
    with pytest.raises(NotPermitted):
        plan_import.import_plan(app, o.actor("m2@x.se"), cid, "p.csv", PLAN.encode())
    drive_to(o, o.cycle_of("U2"), "cooperation", manager="m2@x.se", safety_rep="so2@x.se")
    with pytest.raises(Conflict):
        plan_import.import_plan(app, o.actor("m2@x.se"), o.cycle_of("U2"), "p.csv", PLAN.encode())
