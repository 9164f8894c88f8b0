"""The board's status report shows the organisation's own work (issue 12 §6): each process
that ran by name with done / ongoing / planned and its period, the sections registered by
key (engine.reports.sections; the survey package plugs in there), a proposed decision;
page and PDF."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.orm import Session

from engine.context import App
from engine.reports import board
from engine.reports.sections import SECTIONS, ReportSection
from engine.rounds import rounds
from engine.settings import Settings
from forms.exports import report_docs
from tests.factories import Org, build_org
from tests.rounds.scenario import FLOOR, KNIVES, finish, open_round


@pytest.fixture
def o(app: App) -> Org:
    org = build_org(app)
    org.start()
    return org


def test_the_board_report_lists_the_work_by_name(o: Org) -> None:
    done = open_round(o)
    rounds.add_finding(o.app, o.actor("m1@x.se"), done.case_id, FLOOR)
    rounds.add_finding(o.app, o.actor("m1@x.se"), done.case_id, KNIVES)
    finish(o, done)
    rounds.close(o.app, o.actor("m1@x.se"), done.case_id)
    open_round(o, planned_on="2027-01-10")  # going on
    open_round(o, planned_on="2027-05-04")  # planned (dated ahead)

    r = board.build(o.app, o.actor("dir@x.se"), 2027, root_code="ADM")
    work = {a.key: a for a in r.work}
    plans = work["annual_plans"]
    assert (plans.title_sv, plans.done, plans.ongoing, plans.planned) == (
        "Årscykler och handlingsplaner",
        0,
        4,
        0,
    )
    sr = work["safety_round"]
    assert (sr.title_sv, sr.done, sr.ongoing, sr.planned, sr.status) == (
        "Skyddsronder",
        1,
        1,
        1,
        "ongoing",
    )
    assert (str(sr.first), str(sr.last)) == ("2027-01-10", "2027-05-04")
    assert "incident" not in work  # only what ran
    section = next(x for x in r.sections if x.key == "safety_rounds")
    assert section.rows == [["Hög", "1", "0", "0", "1"], ["Medel", "1", "0", "0", "1"]]
    assert section.rows_for("en")[0][0] == "High"
    assert r.decision.sv.startswith("Nämnden godkänner statusrapporten")
    assert "återrapporterar" in r.decision.sv  # work is still going on

    page = report_docs.board_body(r, "sv")
    for part in (
        "Verksamhetens aktiviteter",
        "Skyddsronder",
        "2027-01-10 – 2027-05-04",
        "Skyddsronder: iakttagelser",
        "Förslag till beslut",
        "Nämnden godkänner",
    ):
        assert part in page, part
    assert "Findings" in report_docs.board_body(r, "en")
    assert report_docs.board_pdf(r, "sv")[:5] == b"%PDF-"


def test_a_registered_section_is_rendered_by_key(o: Org) -> None:
    def extra(s: Session, units: Sequence[int], year: int, settings: Settings) -> ReportSection:
        return ReportSection(
            "extra",
            "HME-index",
            "HME index",
            ["År", "HME"],
            ["Year", "HME"],
            [[str(year), "77,0"]],
        )

    board.build(o.app, o.actor("hr@x.se"), 2027)  # the catalogue's sections registered
    SECTIONS.add("board", "extra", extra)
    try:
        r = board.build(o.app, o.actor("hr@x.se"), 2027)
        # no round, no survey, ROA or health goals: only the section added here shows
        assert [x.key for x in r.sections] == ["extra"]
        assert "HME-index" in report_docs.board_body(r, "sv")
        with pytest.raises(ValueError):
            SECTIONS.add("board", "survey_indices", extra)  # the survey package's, taken
    finally:
        del SECTIONS.by_report["board"]["extra"]
