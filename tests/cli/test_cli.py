"""The command line as an admin meets it: exit codes, one-line errors, no tracebacks."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", url)
    monkeypatch.delenv("SAMFLOW_CLI_LANG", raising=False)
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def setup_org(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out, _ = run(
        capsys, "org", "import", str(EXAMPLES / "units.csv"), str(EXAMPLES / "people.csv")
    )
    assert code == 0 and "8 + 0 units" in out


def test_needs_upgrade_first(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "inbox", "anna.hn@example.se")
    assert code == 6 and "samflow db upgrade" in err


def test_bad_csv_names_file_line_field_and_imports_nothing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "db", "upgrade")
    bad = tmp_path / "units.csv"
    bad.write_text("code,name,parent_code\nA,Enhet A,\nB,,A\nC,Enhet C,Z\n")
    code, _, err = run(capsys, "org", "import", str(bad), str(EXAMPLES / "people.csv"))
    assert code == 2
    first, *rest = err.strip().splitlines()
    assert first.startswith(f"error: {bad}:3: name: name is empty (and ")
    assert any(":4: parent_code" in line for line in rest)
    code, out, _ = run(capsys, "org", "span")
    assert code == 0 and out.startswith("0 managers")


def test_files_from_excel_on_windows_are_read_and_other_bytes_named(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Excel's "CSV" on Swedish Windows is Windows-1252 and its "Unicode text" is UTF-16
    with tabs: both import. A file that is neither was an "unexpected error" (exit 70)."""
    run(capsys, "db", "upgrade")
    units = (EXAMPLES / "units.csv").read_text("utf-8")
    ansi, utf16, bad = (tmp_path / n for n in ("ansi.csv", "unicode.txt", "bad.csv"))
    ansi.write_bytes(units.encode("cp1252"))
    utf16.write_bytes(units.replace(",", "\t").encode("utf-16"))
    bad.write_bytes(units.encode("utf-8").replace(b"OF,", b"O\x81F,", 1))
    people = str(EXAMPLES / "people.csv")
    code, out, _ = run(capsys, "org", "import", "--dry-run", str(utf16), people)
    assert code == 0 and "8 + 0 units" in out
    code, out, _ = run(capsys, "org", "import", str(ansi), people)
    assert code == 0 and "8 + 0 units" in out
    with sqlite3.connect(db.removeprefix("sqlite:///")) as con:
        names = {n for (n,) in con.execute("SELECT name FROM org_unit")}
    assert {"Äldreomsorg", "Funktionsstöd"} <= names
    code, _, err = run(capsys, "org", "import", str(bad), people)
    assert code == 2 and err.startswith(f"error: {bad}:2: the file is neither UTF-8")


def test_a_year_through_the_command_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_org(capsys)
    dry = ("cycle", "start", "--year", "2027", "--dry-run")
    code, out, _ = run(capsys, *dry)
    assert code == 0 and "7 units would start, 1 held back, 0 already" in out
    assert "FS-LSS" in out and "nothing started" in out
    code, out, _ = run(capsys, "cycle", "start", "--year", "2027", "--as", "hanna.hr@example.se")
    assert code == 0 and "started 7 cycles" in out and "FS-LSS" in out and "missing manager" in out
    assert "0 units would start, 1 held back, 7 already" in run(capsys, *dry)[1]
    code, out, _ = run(capsys, "inbox", "anna.hn@example.se")
    task_id = next(line.split()[0] for line in out.splitlines() if "Employee survey" in line)
    data = tmp_path / "survey.json"
    data.write_text(
        json.dumps({"survey_name": "HME", "invited": 3, "answered": 2, "motivation": 50})
    )
    code, _, err = run(
        capsys, "task", "complete", task_id, "--as", "anna.hn@example.se", "--data", str(data)
    )
    assert code == 2 and "motivation: fewer than 5 answers" in err
    code, _, err = run(
        capsys, "task", "complete", task_id, "--as", "lena.so@example.se", "--data", str(data)
    )
    assert code == 4 and "not yours" in err
    code, _, err = run(
        capsys, "task", "complete", "99999", "--as", "anna.hn@example.se", "--data", str(data)
    )
    assert code == 3
    data.write_text("{not json")
    code, _, err = run(
        capsys, "task", "complete", task_id, "--as", "anna.hn@example.se", "--data", str(data)
    )
    assert code == 2 and "not valid JSON" in err
    cycle_id = run(capsys, "cycle", "show", "3")[1]
    assert "Hemtjänst Norr" in cycle_id
    code, _, err = run(capsys, "stage", "sign-off", "3", "survey", "--as", "anna.hn@example.se")
    assert code == 5 and "waiting on" in err
    code, out, _ = run(capsys, "sweep", "--now", "2027-04-20T06:00", "--dry-run")
    assert code == 0 and out.startswith("dry run, nothing written:") and "escalations" in out
    assert run(capsys, "sweep", "--now", "2027-04-20T06:00", "--dry-run")[1] == out  # unwritten
    code, out, _ = run(capsys, "audit", "verify")  # intact, but nothing anchors it: 9
    assert code == 9 and out.startswith("warning: the audit log is not anchored") and "OK:" in out
    code, out, _ = run(capsys, "--lang", "sv", "inbox", "anna.hn@example.se")
    assert "öppna" in out


def test_help_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    for args in ([], ["task"], ["org", "import"], ["cycle", "start"]):
        with pytest.raises(SystemExit) as exit_:
            main([*args, "--help"])
        assert exit_.value.code == 0
        assert "usage: samflow" in capsys.readouterr().out


def test_installed_command_runs(db: str) -> None:
    exe = Path(sys.executable).parent / "samflow"
    done = subprocess.run(
        [str(exe), "template", "list"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and "sam-annual v2" in done.stdout
    done = subprocess.run(
        [str(exe), "cycle", "start", "--year", "abc"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "invalid int value" in done.stderr
    assert "Traceback" not in done.stderr


def test_import_rights_and_confirmation_on_the_command_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.rights_org import PEOPLE, UNITS, renamed, without

    run(capsys, "db", "upgrade")
    units, people = tmp_path / "units.csv", tmp_path / "people.csv"
    units.write_text(UNITS)
    people.write_text(PEOPLE)
    assert run(capsys, "org", "import", str(units), str(people))[0] == 0
    units.write_text(renamed(UNITS, "U3", "Kapad"))
    code, _, err = run(capsys, "org", "import", str(units), str(people), "--as", "dir1@x.se")
    assert code == 4 and f"{units}:7: name: U3 is outside the units you administer" in err
    units.write_text(UNITS)
    people.write_text(without(PEOPLE, "m1@x.se", "so1@x.se", "emp@x.se"))
    code, out, _ = run(capsys, "org", "import", str(units), str(people), "--as", "hr@x.se")
    assert code == 5 and "not applied" in out and "samflow org confirm 1" in out
    code, out, _ = run(capsys, "org", "pending", "--as", "hr2@x.se")
    digest = out.splitlines()[-1].split()[-1]
    assert code == 0 and len(digest) == 64
    code, _, err = run(capsys, "org", "confirm", "1", "--hash", digest, "--as", "hr@x.se")
    assert code == 4 and "a second HR person" in err
    code, out, _ = run(capsys, "org", "confirm", "1", "--hash", digest, "--as", "hr2@x.se")
    assert code == 0 and "3 ended" in out


def test_a_held_import_refused_on_the_command_line_is_gone(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.rights_org import PEOPLE, UNITS, without

    run(capsys, "db", "upgrade")
    units, people = tmp_path / "units.csv", tmp_path / "people.csv"
    units.write_text(UNITS)
    people.write_text(PEOPLE)
    assert run(capsys, "org", "import", str(units), str(people))[0] == 0
    people.write_text(without(PEOPLE, "m1@x.se", "so1@x.se", "emp@x.se"))
    assert run(capsys, "org", "import", str(units), str(people), "--as", "hr@x.se")[0] == 5
    digest = run(capsys, "org", "pending", "--as", "hr2@x.se")[1].splitlines()[-1].split()[-1]
    code, out, _ = run(capsys, "org", "refuse", "1", "--reason", "fel fil", "--as", "hr2@x.se")
    assert code == 0 and "the import is refused" in out
    code, out, _ = run(capsys, "org", "pending", "--as", "hr2@x.se")
    assert code == 0 and digest not in out
    code, _, _ = run(capsys, "org", "confirm", "1", "--hash", digest, "--as", "hr2@x.se")
    assert code != 0


def test_sweep_into_the_future_only_as_a_dry_run(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``sweep --now`` a time to come would write future-dated reminders and escalations to
    the audit log for good: refused (naming --now), unless it is a dry run, which writes
    nothing; a time already past is swept as asked."""
    from sqlalchemy import create_engine, func, select

    from engine.db.models import AuditEvent

    def events() -> int:
        with create_engine(db).connect() as conn:
            return int(conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one())

    setup_org(capsys)
    assert run(capsys, "cycle", "start", "--year", "2027", "--as", "hanna.hr@example.se")[0] == 0
    before = events()
    code, out, err = run(capsys, "sweep", "--now", "2099-04-20T06:00")
    assert code == 2 and "--now" in err and "--dry-run" in err and out == ""
    assert events() == before
    code, out, _ = run(capsys, "sweep", "--now", "2099-04-20T06:00", "--dry-run")
    assert code == 0 and out.startswith("dry run, nothing written: ")
    assert " 0 escalations" not in out  # it does count what it would do
    assert events() == before
    code, out, _ = run(capsys, "sweep", "--now", "2020-01-01T06:00")
    assert code == 0 and out.startswith("0 reminders")
