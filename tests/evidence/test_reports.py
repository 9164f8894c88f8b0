"""The annual follow-up across the organisation and the board's status report."""

from __future__ import annotations

import io

from pypdf import PdfReader

from engine.context import Actor, App
from engine.domain.clock import FrozenClock
from engine.reports import board as board_report
from engine.reports import followup as followup_report
from engine.settings import Settings
from forms.exports.report_docs import board_html, board_pdf, followup_html, followup_pdf
from tests.evidence.scenario import year_with_history

SYSTEM = Actor.system("test")


def test_annual_follow_up_per_department(app: App, clock: FrozenClock) -> None:
    year_with_history(app, clock)
    r = followup_report.build(app, SYSTEM, 2027)
    assert (r.root_code, [g.code for g in r.groups]) == ("ADM", ["ADM", "DEP"])
    adm, dep = r.groups
    assert (adm.units, adm.risk_signed, adm.plan_share) == (1, 0, 0.0)
    assert (dep.units, dep.cycles, dep.risk_signed, dep.plan_approved, dep.evaluated) == (
        3,
        3,
        2,
        2,
        1,
    )
    assert dep.risk_share == 2 / 3
    # U1's measure is done (early), U2's first is overdue, its second not yet due
    assert (dep.measures, dep.measures_due, dep.done_on_time, dep.overdue) == (3, 2, 1, 1)
    # escalated tasks (queries.ESCALATED), not escalation events: a task that climbed two
    # rungs counts once, as on the overview; DEP's own survey is late too
    assert (dep.returned, dep.escalations) == (1, 3)
    assert r.total.units == 4 and r.total.on_time_share == 0.5


def test_board_report_counts_and_respects_anonymity(app: App, clock: FrozenClock) -> None:
    y = year_with_history(app, clock)
    r = board_report.build(app, y.o.actor("dir@x.se"), 2027)
    by_key = {a.key: (a.done, a.ongoing, a.planned) for a in r.activities}
    assert by_key["survey"] == (2, 2, 0)
    assert by_key["follow_up"] == (1, 1, 2)
    assert by_key["evaluation"] == (1, 0, 3)
    assert (r.measures.done, r.measures.ongoing, r.measures.planned) == (1, 1, 1)
    this_year = r.survey[-1]
    assert (this_year.reported, this_year.units, this_year.answers) == (2, 1, 15)
    assert this_year.hme == 70.0 and not this_year.suppressed  # U2 (3 answers) left out
    assert r.survey[0].suppressed and r.survey[0].reported == 0
    assert (r.span.managers, r.span.median, r.span.above) == (3, 30, 1)
    strict = App(app.db, app.clock, Settings(min_survey_answers=20), app.cache)
    hidden = board_report.build(strict, SYSTEM, 2027).survey[-1]
    assert hidden.suppressed and hidden.hme is None and hidden.reported == 2


def test_reports_render_with_charts(sqlite_app: App, clock: FrozenClock) -> None:
    year_with_history(sqlite_app, clock)
    f = followup_report.build(sqlite_app, SYSTEM, 2027)
    b = board_report.build(sqlite_app, SYSTEM, 2027)
    page = followup_html(f)
    assert page.count("<svg") == 3 and "Avdelningen" in page and "67 %" in page
    assert board_html(b, "en").count("<svg") == 4  # the named activities too
    for content, expected in (
        (followup_pdf(f), "Årlig uppföljning av det systematiska"),
        (board_pdf(b, "en"), "Work environment – status report to the board"),
    ):
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
        assert expected in " ".join(text.split())
