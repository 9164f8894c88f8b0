"""``samflow db backup`` / ``samflow db restore``: a year with history is backed up, restored
into a fresh database, and the restored copy passes ``audit verify`` and ``evidence verify``
of a package made before the backup. On SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cli.main import main
from engine.db.session import normalise_url
from engine.domain.clock import FrozenClock
from tests.conftest import PG_URL, make_app
from tests.evidence.scenario import year_with_history


def run(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def empty_target(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as ``db_url``, to restore into."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    assert PG_URL is not None
    name = f"samflow_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield normalise_url(PG_URL).rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_restores_and_verifies(
    db_url: str,
    empty_target: str,
    clock: FrozenClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the chains are anchored by a signed checkpoint before the backup: the restored copy
    # is held against it, so a restore that lost or changed events would be caught
    monkeypatch.setenv("SAMFLOW_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("SAMFLOW_AUDIT_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    app = make_app(db_url, clock)
    year_with_history(app, clock)
    app.db.dispose()
    assert run(capsys, db_url, "audit", "keygen")[0] == 0
    assert run(capsys, db_url, "audit", "checkpoint")[0] == 0
    pdf = tmp_path / "u2.pdf"
    build = ["evidence", "build", "--unit", "U2", "--year", "2027", "--out", str(pdf)]
    code, out, err = run(capsys, db_url, *build, "--as", "dep@x.se")
    assert code == 0, err
    backup_file = tmp_path / "samflow.backup"
    code, out, err = run(capsys, db_url, "db", "backup", str(backup_file))
    assert code == 0, err
    assert "sha256" in out and backup_file.stat().st_size > 0
    assert not list(tmp_path.glob("*.part"))  # nothing half-written left

    code, out, err = run(capsys, empty_target, "db", "restore", str(backup_file))
    assert code == 0, err
    assert "audit verify" in out
    code, out, err = run(capsys, empty_target, "audit", "verify")
    assert code == 0 and "warning" not in out + err, out + err  # intact and anchored
    code, out, err = run(capsys, empty_target, "evidence", "verify", str(pdf), "--as", "dep@x.se")
    assert code == 0 and out.startswith("OK"), out + err

    # a restore never overwrites: the restored database is no longer empty
    code, _, err = run(capsys, empty_target, "db", "restore", str(backup_file))
    assert code != 0 and "restore" in err and "Traceback" not in err
    # and a backup never overwrites a file
    code, _, err = run(capsys, db_url, "db", "backup", str(backup_file))
    assert code != 0 and "exists already" in err


def test_restore_refuses_what_is_not_a_backup(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("inte en säkerhetskopia")
    target = f"sqlite:///{tmp_path / 'new.db'}"
    code, _, err = run(capsys, target, "db", "restore", str(junk))
    assert code != 0 and "not a samflow backup" in err
    code, _, err = run(capsys, target, "db", "restore", str(tmp_path / "missing.backup"))
    assert code != 0 and "does not exist" in err
    assert not (tmp_path / "new.db").exists()


def test_a_sqlite_backup_does_not_go_into_postgresql(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup_file = tmp_path / "s.backup"
    assert run(capsys, sqlite_url, "db", "backup", str(backup_file))[0] == 0
    code, _, err = run(capsys, "postgresql://u@127.0.0.1:9/none", "db", "restore", str(backup_file))
    assert code != 0 and "cannot be restored into a postgresql database" in err
