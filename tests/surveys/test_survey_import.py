"""Importing a survey export: indices up the tree, suppression, re-import, errors, rights,
and what the unit's survey and analysis tasks start from."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engine.audit import log as audit
from engine.context import App
from engine.db.models.followup.surveys import SurveyImport, SurveyResult
from engine.domain.errors import ImportInvalid, InvalidInput, NotFound, NotPermitted
from engine.surveys import imports, mapping, results
from engine.views import detail
from tests.surveys.scenario import HEADINGS, MAPPING, answers, build, respondent_csv

U1 = answers("U1", 6, [5, 5, 5, 4, 4, 4, 3, 3, 3])
U2 = answers("U2", 7, [4] * 9)


def _import(
    app: App, o: object, content: bytes, year: int = 2027, **kw: object
) -> imports.ImportReport:
    actor = o.actor("hr@x.se")  # type: ignore[attr-defined]
    return imports.import_survey(
        app,
        actor,
        year=year,
        filename="svar.csv",
        content=content,
        **kw,  # type: ignore[arg-type]
    )


def _by_code(res: results.YearResults) -> dict[str, results.UnitFigures]:
    return {u.code: u for u in res.units}


def test_indices_per_unit_and_up_the_tree(app: App) -> None:
    o = build(app)
    report = _import(app, o, respondent_csv(U1 + U2))
    assert (report.respondents, report.shown, report.too_few, report.derivable) == (13, 4, 0, 0)
    assert report.applied and not report.replaced and report.hme == 75.0
    got = _by_code(results.year_results(app, o.actor("hr@x.se"), 2027))
    u1, dep = got["U1"].now, got["DEP"].now
    assert (u1.motivation, u1.leadership, u1.governance, u1.hme) == (100, 75, 50, 75)
    assert (dep.answered, dep.motivation, dep.leadership, dep.governance, dep.hme) == (
        13,
        86.5,
        75,
        63.5,
        75,
    )
    assert got["ADM"].now == dep and got["U2"].now.hme == 75
    assert got["U1"].low == ["governance"]  # 50 < 70


def test_small_units_are_hidden_and_so_is_what_would_reveal_them(app: App) -> None:
    o = build(app)
    report = _import(app, o, respondent_csv(U1 + answers("U2", 3, [1] * 9)))
    assert (report.shown, report.too_few, report.derivable) == (2, 1, 1)
    got = _by_code(results.year_results(app, o.actor("hr@x.se"), 2027))
    assert got["U2"].now.suppressed == "few" and got["U2"].now.hme is None
    # DEP minus U1 would give U2's three answers: U1 is hidden as well
    assert got["U1"].now.suppressed == "derivable" and got["U1"].now.motivation is None
    assert got["DEP"].now.answered == 9 and got["DEP"].now.hme is not None
    with app.read() as s:  # no figure of a hidden unit is stored at all
        hidden = s.scalars(select(SurveyResult).where(SurveyResult.suppressed.is_not(None))).all()
        assert hidden and all(r.hme is None and r.questions is None for r in hidden)


def test_reimport_replaces_the_year_with_an_audit_event(app: App) -> None:
    o = build(app)
    _import(app, o, respondent_csv(U1 + U2))
    second = _import(app, o, respondent_csv(U1 + U1 + U2))
    assert second.replaced and second.respondents == 19
    with app.read() as s:
        active = s.scalars(select(SurveyImport).where(SurveyImport.replaced_at.is_(None))).all()
        assert [i.id for i in active] == [second.import_id]
        assert s.scalar(select(func.count()).select_from(SurveyImport)) == 2
    actions = [e.action for e in audit.events(app, chain="surveys")]
    assert actions == ["survey.mapping_saved", "survey.imported", "survey.reimported"]
    got = _by_code(results.year_results(app, o.actor("hr@x.se"), 2027))
    assert got["U1"].now.answered == 12


def test_bad_cells_are_named_and_nothing_is_written(app: App) -> None:
    o = build(app)
    bad = respondent_csv([*U1, ("U9", [4] * 9), ("U2", [4, 4, 6, 4, 4, 4, 4, 4, 4])])
    with pytest.raises(ImportInvalid) as err:
        _import(app, o, bad)
    where = [f"{r.file}:{r.line}: {r.field}" for r in err.value.rows]
    assert where == ["svar.csv:8: A (Enhet)", "svar.csv:9: D (Fråga 3)"]
    assert "'6' is not a whole number from 1 to 5" in err.value.rows[1].message_en
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(SurveyImport)) == 0
        assert s.scalar(select(func.count()).select_from(SurveyResult)) == 0


def test_a_dry_run_computes_and_keeps_nothing(app: App) -> None:
    o = build(app)
    report = _import(app, o, respondent_csv(U1 + U2), dry_run=True)
    assert report.shown == 4 and not report.applied and report.import_id is None
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(SurveyImport)) == 0
    assert [e.action for e in audit.events(app, chain="surveys")] == ["survey.mapping_saved"]


def test_limits_before_the_file_is_read(app: App) -> None:
    o = build(app)
    app.settings = app.settings.model_copy(update={"survey_max_bytes": 100, "survey_max_rows": 5})
    with pytest.raises(ImportInvalid, match="SAMFLOW_SURVEY_MAX_BYTES"):
        _import(app, o, respondent_csv(U1))
    app.settings = app.settings.model_copy(update={"survey_max_bytes": 10_000})
    with pytest.raises(ImportInvalid, match="SAMFLOW_SURVEY_MAX_ROWS"):
        _import(app, o, respondent_csv(U1))


def test_only_hr_at_the_top_imports_and_people_see_their_own_units(app: App) -> None:
    o = build(app)
    with pytest.raises(NotPermitted):
        _import_as(app, o, "m1@x.se")
    with pytest.raises(NotPermitted):
        mapping.save_mapping(app, o.actor("dep@x.se"), mapping.parse_mapping(MAPPING))
    _import(app, o, respondent_csv(U1 + U2))
    seen = [u.code for u in results.year_results(app, o.actor("dep@x.se"), 2027).units]
    assert seen == ["DEP", "U1", "U2"]
    assert [u.code for u in results.year_results(app, o.actor("m1@x.se"), 2027).units] == ["U1"]
    with pytest.raises(NotFound):
        results.year_results(app, o.actor("m1@x.se"), 2027, root="U2")


def _import_as(app: App, o: object, email: str) -> None:
    imports.import_survey(
        app,
        o.actor(email),  # type: ignore[attr-defined]
        year=2027,
        filename="svar.csv",
        content=respondent_csv(U1),
    )


def test_year_over_year_and_the_mapping_found_by_its_headings(app: App) -> None:
    o = build(app)
    _import(app, o, respondent_csv(answers("U1", 6, [4] * 9) + U2), year=2026)
    _import(app, o, respondent_csv(U1 + U2), year=2027, mapping=None)
    got = _by_code(results.year_results(app, o.actor("hr@x.se"), 2027))
    assert got["U1"].change("motivation") == 25.0 and got["U1"].change("governance") == -25.0
    assert got["U1"].low == ["governance"]


def test_an_aggregated_xlsx_file(app: App) -> None:
    o = build(app)
    spec = {
        **MAPPING,
        "key": "vendor-agg",
        "layout": "unit",
        "count_column": "Antal svar",
        "invited_column": "Antal tillfrågade",
    }
    mapping.save_mapping(app, o.actor("hr@x.se"), mapping.parse_mapping(spec))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*HEADINGS, "Antal svar", "Antal tillfrågade"])
    sheet.append(["U1", *[4.5] * 9, 8, 10])
    sheet.append(["U2", *[3] * 9, 2, 12])
    buf = io.BytesIO()
    book.save(buf)
    report = imports.import_survey(
        app,
        o.actor("hr@x.se"),
        year=2027,
        filename="agg.xlsx",
        content=buf.getvalue(),
        mapping="vendor-agg",
    )
    assert (report.respondents, report.shown, report.too_few, report.derivable) == (10, 2, 1, 1)
    got = _by_code(results.year_results(app, o.actor("hr@x.se"), 2027))
    # U2 has two answers; DEP minus U1 would show them, so U1 is hidden too
    assert got["U1"].now.suppressed == "derivable" and got["U1"].now.invited == 10
    assert got["DEP"].now.hme == 80.0 and got["DEP"].now.invited == 22


def test_the_survey_and_analysis_tasks_start_from_the_figures(app: App) -> None:
    o = build(app)
    o.start(2027)
    _import(app, o, respondent_csv(U1 + U2))
    item = o.task("m1@x.se", "employee_survey")
    start = detail.start_input(detail.task_detail(app, o.actor("m1@x.se"), item.task_id))
    assert start["answered"] == 6 and start["invited"] == 30
    assert (start["motivation"], start["leadership"], start["governance"]) == (100, 75, 50)
    assert "styrning" in start["findings"]
    with app.read() as s:
        proposed = results.prefill(s, app.settings, "risk_assessment", o.units["U1"], 2027)
    assert proposed is not None
    assert [r["domain"] for r in proposed["risks"]] == ["organisational"]
    assert "styrning" in proposed["risks"][0]["description"]
    # what was pre-filled passes the form's own check
    from forms.schemas.registry import schema_for

    schema_for("survey_results").model_validate(start, context={"min_answers": 5})
    assert json.dumps(start)


def test_a_bad_mapping_names_each_field() -> None:
    with pytest.raises(InvalidInput) as err:
        mapping.parse_mapping({"key": "Bad Key!", "layout": "x", "columns": {"m1": "A"}})
    paths = {e.path for e in err.value.errors}
    assert {"key", "layout", "unit_column", "columns.m2", "columns.g3"} <= paths


def test_the_board_report_gets_the_figures_within_the_threshold(app: App) -> None:
    from engine.surveys.report import board_survey

    o = build(app)
    _import(app, o, respondent_csv(U1 + answers("U2", 3, [1] * 9)), year=2026)
    _import(app, o, respondent_csv(U1 + U2))
    got = {u.code: u for u in board_survey(app, o.actor("dep@x.se"), 2027).units}
    assert set(got) == {"DEP", "U1", "U2"}
    assert got["U2"].shown and got["U2"].change is None  # hidden last year: no change shown
    assert got["U1"].change is None and got["DEP"].change is not None
    assert got["DEP"].last_hme is not None
