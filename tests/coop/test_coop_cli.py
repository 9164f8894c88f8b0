"""``samflow coop`` and ``samflow change`` end to end on a SQLite file: import bodies,
call a meeting, put items on it, ask for MBL, sign, print the protocol; a change refused
with every missing step named; refusals are one line and an exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run
from tests.coop.scenario import BODIES_CSV, UNION
from tests.coop.test_changes import CHANGE
from tests.factories import people_csv, units_csv


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", url)
    monkeypatch.delenv("SAMFLOW_CLI_LANG", raising=False)
    return url


def test_coop_and_change_commands(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units, people, bodies = tmp_path / "u.csv", tmp_path / "p.csv", tmp_path / "b.csv"
    units.write_text(units_csv())
    people.write_text(people_csv(extra=UNION))
    bodies.write_text(BODIES_CSV)
    assert run(capsys, "db", "upgrade")[0] == 0
    assert run(capsys, "org", "import", str(units), str(people))[0] == 0
    code, out, _ = run(capsys, "coop", "import", str(bodies), "--dry-run", "--as", "hr@x.se")
    assert code == 0 and out.startswith("dry run: 2 new bodies, 6 new members")
    code, out, _ = run(capsys, "coop", "import", str(bodies), "--as", "hr@x.se")
    assert code == 0
    code, out, _ = run(capsys, "coop", "bodies", "--as", "fack2@x.se")
    assert code == 0 and "LSG-U1" in out and "FSG-ADM" not in out
    code, _, err = run(capsys, "coop", "body", "FSG-ADM", "--as", "fack2@x.se")
    assert code == 3  # not theirs: not found
    code, out, _ = run(capsys, "coop", "meeting", "LSG-U1", "2027-02-03", "--as", "m1@x.se")
    assert code == 0
    assert out.startswith("meeting ")
    meeting = out.split()[1]
    code, out, _ = run(capsys, "coop", "item", meeting, "Bemanning", "--as", "m1@x.se")
    assert code == 0
    item = out.split()[1]
    code, _, err = run(capsys, "coop", "sign", meeting, "--as", "fack2@x.se")
    assert code == 5 and "item 1 (Bemanning) has no outcome" in err
    assert run(capsys, "coop", "mbl", item, "--as", "so1@x.se")[0] == 4
    assert run(capsys, "coop", "mbl", item, "--as", "fack2@x.se")[0] == 0
    assert (
        run(capsys, "coop", "mbl-end", item, "disagreement", "Oenighet.", "--as", "m1@x.se")[0] == 0
    )
    code, out, _ = run(capsys, "coop", "sign", meeting, "--as", "fack2@x.se")
    assert code == 0
    pdf = tmp_path / "protokoll.pdf"
    code, out, _ = run(capsys, "coop", "protocol", meeting, "--out", str(pdf), "--as", "so1@x.se")
    assert code == 0 and pdf.read_bytes()[:4] == b"%PDF"
    code, out, _ = run(capsys, "coop", "show", meeting, "--as", "so1@x.se")
    assert "MBL disagreement" in out and "Fredrik Facklig" in out
    change = tmp_path / "change.json"
    change.write_text(json.dumps(CHANGE))
    code, out, _ = run(capsys, "change", "register", str(change), "--as", "hr@x.se")
    assert code == 0
    change_id = out.split()[1]
    code, _, err = run(capsys, "change", "decide", change_id, "--as", "m1@x.se")
    assert code == 5
    for step in (
        "the risk assessment is not done",
        "the safety representative has not recorded their participation",
        "the risk assessment is not approved",
        "no cooperation meeting has the matter on its agenda",
    ):
        assert step in err
    code, out, _ = run(capsys, "change", "show", change_id, "--as", "m1@x.se")
    assert code == 0 and "change_risk_assessment" in out
