"""Positions and groups on the command line: a dry run, the import, a bad cell named."""

from pathlib import Path

import pytest

from tests.cli.test_cli import EXAMPLES, db, run, setup_org  # noqa: F401 - the fixture


def test_positions_import_on_the_command_line(
    db: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_org(capsys)
    file = str(EXAMPLES / "positions.csv")
    code, out, _ = run(capsys, "org", "positions", file, "--dry-run")
    assert code == 0 and out.startswith("would change: 2 new positions, 2 holders, 2 new groups")
    code, out, _ = run(capsys, "org", "positions", file)
    assert code == 0 and out.startswith("changed: 2 new positions")
    bad = tmp_path / "positions.csv"
    bad.write_text("kind,name,unit_code,email\nbefattning,HR-chef,OF,ingen@example.se\n")
    code, _, err = run(capsys, "org", "positions", str(bad))
    assert code == 2 and err.startswith(f"error: {bad}:2: email: no person with the e-mail")
