"""``samflow survey``, ``samflow absence`` and ``samflow roa`` end to end on a SQLite file;
a bad cell is one line naming file:line: column and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run
from tests.factories import people_csv, units_csv
from tests.surveys.scenario import MAPPING, answers, respondent_csv
from tests.surveys.test_absence_roa import ABSENCE


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", url)
    monkeypatch.delenv("SAMFLOW_CLI_LANG", raising=False)
    return url


def test_survey_absence_and_roa_commands(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units, people = tmp_path / "u.csv", tmp_path / "p.csv"
    units.write_text(units_csv())
    people.write_text(people_csv())
    spec, svar, bad = tmp_path / "m.json", tmp_path / "svar.csv", tmp_path / "bad.csv"
    spec.write_text(json.dumps({k: v for k, v in MAPPING.items() if k != "key"}))
    svar.write_bytes(respondent_csv(answers("U1", 6, [4] * 9) + answers("U2", 3, [2] * 9)))
    bad.write_bytes(respondent_csv([("U1", [4, 4, "x", 4, 4, 4, 4, 4, 4])]))
    assert run(capsys, "db", "upgrade")[0] == 0
    assert run(capsys, "org", "import", str(units), str(people))[0] == 0
    hr = ("--as", "hr@x.se")
    code, out, _ = run(capsys, "survey", "mapping", "enkatfabriken", "--data", str(spec), *hr)
    assert code == 0 and "new mapping enkatfabriken" in out
    code, out, _ = run(capsys, "survey", "import", str(svar), "--year", "2027", "--dry-run", *hr)
    assert code == 0 and out.startswith("checked, nothing kept"), out
    code, out, _ = run(capsys, "survey", "import", str(svar), "--year", "2027", *hr)
    assert code == 0 and "2 units shown, 1 with too few answers, 1 hidden" in out
    code, out, _ = run(capsys, "survey", "results", "--year", "2027", *hr)
    assert code == 0 and "too few" in out and "hidden" in out
    code, _, err = run(capsys, "survey", "import", str(bad), "--year", "2027", *hr)
    assert code == 2 and "bad.csv:2: D (Fråga 3)" in err
    code, _, err = run(capsys, "survey", "import", str(svar), "--year", "2027", "--as", "m1@x.se")
    assert code == 4
    absence = tmp_path / "franvaro.csv"
    absence.write_text(ABSENCE)
    code, out, _ = run(capsys, "absence", "import", str(absence), *hr)
    assert code == 0 and "8 rows, 3 units, 8 new" in out
    code, out, _ = run(capsys, "absence", "show", "--year", "2027", *hr)
    assert code == 0 and "too few employees" in out
    code, out, _ = run(capsys, "roa", "propose", "--year", "2027", *hr)
    assert code == 0 and "U1" in out and "2027-01 6.0" in out
    code, out, _ = run(capsys, "roa", "confirm", "--year", "2027", "U1", *hr)
    assert code == 0 and "U1: review started" in out
    goal = ("--title", "Minska korttidsfrånvaron", "--measure", "korttid %", "--target", "3")
    code, out, _ = run(capsys, "health", "goal", "G1", "--year", "2027", *goal,
                       "--direction", "at_most", *hr)  # fmt: skip
    assert code == 0 and "health goal G1 saved" in out
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"factors": ["sam", "leadership"], "challenges": "Vinter",
                                "goals": [{"goal": "G1", "text": "Samtal", "status": "done",
                                           "value": 2}]}))  # fmt: skip
    code, out, _ = run(capsys, "health", "plan", "U1", "--year", "2027", "--data", str(plan),
                       "--as", "m1@x.se")  # fmt: skip
    assert code == 0, out
    code, out, _ = run(capsys, "health", "show", "--year", "2027", *hr)
    assert code == 0 and "1/1 (1)" in out and "without a health plan: U2" in out
