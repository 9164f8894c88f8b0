"""The board's status report shows the survey package's work (issue 12 §6): the HME
indices per unit year over year within the anonymity threshold, the ROA selection, the
health goals with their figures; beside the activities by name, span of control and the
proposed decision. Page and PDF, Swedish and English; a hidden unit's figures never."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from engine.context import App
from engine.domain.clock import FrozenClock
from engine.reports import board
from engine.surveys import absence, health, imports, roa
from tests.api.conftest import Web, _close, make_web
from tests.factories import Org
from tests.surveys.scenario import answers, build, respondent_csv
from tests.surveys.test_absence_roa import ABSENCE
from tests.surveys.test_health import PLAN

U1 = answers("U1", 6, [5, 5, 5, 4, 4, 4, 3, 3, 3])  # alone: 100 / 75 / 50, HME 75
U2_2026 = answers("U2", 7, [4] * 9)
U2_FEW = answers("U2", 3, [1] * 9)  # 3 < 5 answers: hidden, and so is U1 (DEP − U1 = U2)
#: What the hidden units' figures would be (U1: 100, 75, 50 and 75; U2: 0 everywhere):
#: none of these may appear on their rows.
HIDDEN = ("100", "75", "50", "0,0", "0.0")


def _seed(app: App, o: Org) -> None:
    hr = o.actor("hr@x.se")
    for year, rows in ((2026, U1 + U2_2026), (2027, U1 + U2_FEW)):
        imports.import_survey(app, hr, year=year, filename="svar.csv", content=respondent_csv(rows))
    absence.import_absence(app, hr, filename="franvaro.csv", content=ABSENCE.encode())
    roa.confirm(app, hr, 2027, ["U1", "U2"], note="Beslut i LSG")
    health.set_goal(app, hr, 2027, "G1", "Minska korttidsfrånvaron", "korttid %", 3.0, "at_most")
    health.save_plan(app, o.actor("m1@x.se"), "U1", 2027,
                     *health.parse_plan(app.settings.health_factors, PLAN))  # fmt: skip
    done = {**PLAN, "goals": [{"goal": "G1", "text": "Schema", "status": "done", "value": 2}]}
    health.save_plan(app, o.actor("m2@x.se"), "U2", 2027,
                     *health.parse_plan(app.settings.health_factors, done))  # fmt: skip


def _deep(app: App) -> App:
    """The same database, the survey table down to the units (three levels)."""
    return App(app.db, app.clock, app.settings.model_copy(update={"board_survey_levels": 3}),
               app.cache)  # fmt: skip


def _row(html: str, code: str) -> str:
    found = re.search(rf"<tr><td>[\s\u2003]*{code} [^<]*</td>(.*?)</tr>", html)
    assert found, code
    return found.group(1)


def test_the_sections_show_the_figures_within_the_threshold(app: App) -> None:
    o = build(app)
    _seed(app, o)
    r = board.build(_deep(app), o.actor("dir@x.se"), 2027)
    keys = [x.key for x in r.sections]
    assert keys[:3] == ["survey_indices", "roa_selection", "health_goals"]
    survey = r.sections[0]
    assert survey.headers_sv[2:4] == ["HME 2026", "HME 2027"]
    rows = {row[0].strip("\u2003").split()[0]: row for row in survey.rows}
    # ADM and DEP: 9 answers now (motivation 66.7, leadership 50, governance 33.3, HME 50);
    # last year 13 answers, HME 75: a fall of 25 points
    assert rows["ADM"][1:] == ["9", "75,0", "50,0", "−25,0", "66,7", "50,0", "33,3"]
    assert rows["DEP"][1:] == rows["ADM"][1:] and rows["DEP"][0].startswith("\u2003")
    assert rows["U1"][1:] == ["6", "–", "–", "–", "–", "–", "–"]  # would reveal U2
    assert rows["U2"][1:] == ["3", "–", "–", "–", "–", "–", "–"]  # too few answers
    assert survey.rows_for("en")[0][1:5] == ["9", "75.0", "50.0", "−25.0"]
    assert "2 av 4 enheter redovisas inte" in survey.note_sv

    roa_rows = {row[0]: row[1:] for row in r.sections[1].rows}
    assert roa_rows["U1 Enhet 1"][0].startswith("Föreslagen av regeln: 2027-01: 6,0 %")
    assert roa_rows["U2 Enhet 2"] == ["Vald av HR", "Pågår"]
    assert r.sections[1].rows_for("en")[1][1:] == ["Selected by HR", "Ongoing"]

    goals = r.sections[2]
    # U1 ongoing at 2.5 (≤ 3: reached), U2 done at 2 (reached)
    assert goals.rows == [["G1 Minska korttidsfrånvaron", "korttid %", "≤ 3,0", "2", "1", "1",
                           "0", "2"]]  # fmt: skip
    assert goals.note_sv.startswith("2 av 2 enheter har en hälsoplan för 2027")

    # by default the board sees the administration and its departments, the units not
    shallow = board.build(app, o.actor("dir@x.se"), 2027).sections[0]
    assert [row[0].strip("\u2003")[:3] for row in shallow.rows] == ["ADM", "DEP"]
    assert "2 enheter längre ned" in shallow.note_sv

    # a unit's manager sees their own unit only: its row, its selection, its plan
    own = board.build(_deep(app), o.actor("m1@x.se"), 2027, root_code="U1")
    mine = {x.key: x for x in own.sections}
    assert [row[0].strip() for row in mine["survey_indices"].rows] == ["U1 Enhet 1"]
    assert [row[0] for row in mine["roa_selection"].rows] == ["U1 Enhet 1"]
    assert mine["health_goals"].rows[0][3:] == ["1", "0", "1", "0", "1"]


def test_no_sections_without_imports_or_goals(app: App) -> None:
    o = build(app)
    r = board.build(app, o.actor("dir@x.se"), 2027)
    assert not {"survey_indices", "roa_selection", "health_goals"} & {x.key for x in r.sections}


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(sqlite_url, clock, start=False, board_survey_levels=3)
    yield w
    _close(w)


def _pdf_text(content: bytes) -> str:
    assert content[:5] == b"%PDF-"
    return " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split()
    )


def test_the_board_page_and_pdf_in_swedish_and_english(web: Web) -> None:
    from engine.surveys import mapping
    from tests.surveys.scenario import MAPPING

    engine = web.engine
    mapping.save_mapping(engine, web.org.actor("hr@x.se"), mapping.parse_mapping(MAPPING))
    _seed(engine, web.org)
    director = web.browser("dir@x.se")
    for lang, words in (
        ("sv", ("Medarbetarenkät (HME) per enhet 2026–2027", "Riskorienterat urval (ROA) 2027",
                "Hälsomål 2027", "Verksamhetens aktiviteter", "Kontrollspann",
                "Förslag till beslut", "Vald av HR", "Minska korttidsfrånvaron")),
        ("en", ("Employee survey (HME) per unit 2026–2027", "Risk-oriented selection (ROA) 2027",
                "Health goals 2027", "Span of control", "Proposed decision", "Selected by HR",
                "Reached the target")),
    ):  # fmt: skip
        page = director.get("/reports", params={"kind": "board", "year": 2027, "lang": lang})
        assert page.status_code == 200, page.text
        for w in words:
            assert w in page.text, (lang, w)
        part = page.text[page.text.index(words[0]) :]  # the survey table onwards
        for code in ("U1", "U2"):  # a hidden unit's row: its count and dashes, no figure
            cells = re.findall(r"<td[^>]*>([^<]*)</td>", _row(part, code))
            assert cells[1:] == ["–"] * 6, (lang, code, cells)
        adm = _row(part, "ADM")
        assert ("50,0" if lang == "sv" else "50.0") in adm
        pdf = director.get("/reports/board.pdf", params={"year": 2027, "lang": lang})
        assert pdf.status_code == 200
        text = _pdf_text(pdf.content)
        for w in words:
            assert " ".join(w.split()) in text, (lang, w)
        for code, count in (("U1", 6), ("U2", 3)):
            found = re.search(rf"{code} Enhet \d ((?:\S+ ){{7}})", text)
            assert found, (lang, code)
            assert found.group(1).split() == [str(count), *["–"] * 6], (lang, found.group(1))
            assert not any(h in found.group(1) for h in HIDDEN)
    got = web.api("dir@x.se").get("/api/reports/board", params={"year": 2027}).json()
    by_key = {x["key"]: x for x in got["sections"]}
    assert {"survey_indices", "roa_selection", "health_goals"} <= set(by_key)
    assert [row[1:] for row in by_key["survey_indices"]["rows"] if "U1" in row[0]] == [
        ["6", *["–"] * 6]
    ]
