"""The evidence, inspection, audit search, report and plan import commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from cli.main import main
from engine.domain.clock import FrozenClock
from engine.views import cycle as cycle_views
from tests.conftest import make_app
from tests.evidence.scenario import Year, year_with_history
from tests.evidence.test_plan_import import PLAN
from tests.factories import drive_to


@pytest.fixture
def year(sqlite_url: str, clock: FrozenClock) -> Year:
    app = make_app(sqlite_url, clock)
    return year_with_history(app, clock)


def run(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_build_then_verify_then_tamper(
    year: Year, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf, html = tmp_path / "u2.pdf", tmp_path / "u2.html"
    code, out, _ = run(
        capsys,
        sqlite_url,
        "evidence",
        "build",
        "--unit",
        "U2",
        "--year",
        "2027",
        "--out",
        str(pdf),
        "--as",
        "dep@x.se",
    )
    assert code == 0 and "wrote" in out and pdf.read_bytes().startswith(b"%PDF")
    assert (
        run(
            capsys,
            sqlite_url,
            "evidence",
            "build",
            "--unit",
            "U2",
            "--year",
            "2027",
            "--out",
            str(html),
            "--lang",
            "en",
        )[0]
        == 0
    )
    code, out, _ = run(capsys, sqlite_url, "evidence", "verify", str(pdf))
    assert code == 0 and out.startswith("OK: the package matches")
    measure = cycle_views.cycle_view(year.o.app, year.c2).plan[0].measures[1].id
    with year.o.app.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE measure SET due_date = '2028-01-01' WHERE id = :i"), {"i": measure}
        )
    for file in (pdf, html):
        code, out, err = run(capsys, sqlite_url, "evidence", "verify", str(file))
        assert code == 8 and "does NOT match" in err
        assert f"U2 · measure:{measure} › due: '2027-05-31' → '2028-01-01'" in out
        assert "CHANGED WITHOUT ANY AUDIT EVENT" in out


def test_bad_files_are_one_line_errors(
    year: Year, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        sqlite_url,
        "evidence",
        "build",
        "--unit",
        "U2",
        "--year",
        "2027",
        "--out",
        str(tmp_path / "x.docx"),
    )
    assert code == 2 and ".pdf or .html" in err
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.4 nothing")
    code, _, err = run(capsys, sqlite_url, "evidence", "verify", str(other))
    assert code == 2 and "no samflow evidence data" in err
    code, _, err = run(
        capsys,
        sqlite_url,
        "evidence",
        "build",
        "--unit",
        "NOPE",
        "--year",
        "2027",
        "--out",
        str(tmp_path / "x.pdf"),
    )
    assert code == 3


def test_audit_search_and_reports(
    year: Year, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        sqlite_url,
        "audit",
        "search",
        "--unit",
        "DEP",
        "--subtree",
        "--action",
        "task.returned",
    )
    assert code == 0 and "task.returned" in out and "1 match" in out
    target = tmp_path / "audit.csv"
    code, out, _ = run(
        capsys, sqlite_url, "audit", "search", "--person", "dep@x.se", "--csv", str(target)
    )
    lines = target.read_text("utf-8-sig").splitlines()
    assert code == 0 and lines[0].startswith("id,time,chain") and f"wrote {len(lines) - 1}" in out
    for kind in ("followup", "board"):
        page = tmp_path / f"{kind}.html"
        code, _, _ = run(capsys, sqlite_url, "report", kind, "--year", "2027", "--out", str(page))
        assert code == 0 and "<svg" in page.read_text()


def test_audit_search_pages_by_cursor_and_caps_the_total(
    year: Year, sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.audit.search.COUNT_CAP", 4)
    search = ("audit", "search", "--unit", "DEP", "--subtree", "--page-size", "3")
    code, out, _ = run(capsys, sqlite_url, *search)
    assert code == 0 and "page 1, more than 4 matches" in out and "newer:" not in out
    (older,) = re.findall(r"older: --before (\d+)", out)
    code, out, _ = run(capsys, sqlite_url, *search, "--before", older)
    assert code == 0 and "page 2, more than 4 matches" in out and "newer: --after" in out
    code, out, err = run(capsys, sqlite_url, *search, "--page", "3")
    assert code != 0 and "before" in out + err


def test_plan_import_errors_have_lines(
    sqlite_url: str, clock: FrozenClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(sqlite_url, clock)
    from tests.factories import build_org

    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "action_plan")
    bad = tmp_path / "plan.csv"
    bad.write_text(PLAN.replace("2027-09-30", "soon"), encoding="utf-8")
    code, _, err = run(capsys, sqlite_url, "plan", "import", str(cid), str(bad), "--as", "m1@x.se")
    assert code == 2 and "plan.csv:3: Klart senast: not a date" in err
    good = tmp_path / "good.csv"
    good.write_text(PLAN, encoding="utf-8")
    code, out, _ = run(
        capsys, sqlite_url, "plan", "import", str(cid), str(good), "--as", "m1@x.se", "--dry-run"
    )
    assert code == 0 and out.startswith("would import: 3 items, 4 measures")


def test_inspection_commands(
    year: Year, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The command line runs on the real clock: dates far ahead keep the reply date open.
    reg = tmp_path / "krav.csv"
    reg.write_text("krav,enheter\nRiskbedömning av hot och våld,U1 U2\n", encoding="utf-8")
    code, out, _ = run(
        capsys,
        sqlite_url,
        "inspection",
        "register",
        str(reg),
        "--unit",
        "DEP",
        "--date",
        "2099-01-05",
        "--reply-by",
        "2099-02-15",
        "--reference",
        "2099/1",
        "--as",
        "hr@x.se",
    )
    assert code == 0 and "1 requirement, 2 tasks" in out
    code, out, _ = run(capsys, sqlite_url, "inspection", "list", "--as", "dir@x.se")
    assert code == 0 and "2099/1" in out and "0/2" in out
    code, out, _ = run(capsys, sqlite_url, "inspection", "show", "1")
    assert "Maja Chef" in out and "Mats Chef" in out
    code, _, err = run(
        capsys, sqlite_url, "inspection", "reply", "1", "--out", str(tmp_path / "r.pdf")
    )
    assert code == 5 and "not yet answered" in err
    draft = tmp_path / "draft.html"
    code, _, _ = run(
        capsys, sqlite_url, "inspection", "reply", "1", "--preview", "--out", str(draft)
    )
    assert code == 0 and "UTKAST" in draft.read_text()
