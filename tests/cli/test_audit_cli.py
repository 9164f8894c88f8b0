"""``samflow audit keygen | checkpoint | verify`` as an operator and an inspector run them:
the log tampered with by someone with database rights (the append-only triggers dropped),
then removed events and a recomputed chain named, with exit code 8."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.audit import checkpoint_files
from engine.context import App
from engine.domain.audit import anchor, keys
from engine.settings import Settings
from tests.cli.test_cli import db, run, setup_org
from tests.tampering import event_edited_and_chain_recomputed, newest_event_removed

__all__ = ["db"]  # the CLI tests' database fixture, used here too


@pytest.fixture
def anchored(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> App:
    key = tmp_path / "secret" / "audit.key"
    monkeypatch.setenv("SAMFLOW_AUDIT_KEY_FILE", str(key))
    monkeypatch.setenv("SAMFLOW_AUDIT_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    code, out, _ = run(capsys, "audit", "keygen")
    assert code == 0 and "mode 0600" in out and "fingerprint: " in out
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    setup_org(capsys)
    code, out, _ = run(capsys, "cycle", "start", "--year", "2027", "--as", "hanna.hr@example.se")
    assert code == 0
    return App.from_settings(Settings.from_env())


def test_intact_log_no_checkpoint_yet_then_anchored(
    anchored: App, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 9 and "no checkpoint yet" in out
    code, out, _ = run(capsys, "audit", "checkpoint")
    assert code == 0 and out.startswith("checkpoint 1 written")
    code, out, _ = run(capsys, "audit", "checkpoint")
    assert code == 0 and out.startswith("unchanged since checkpoint 1")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and out.startswith("OK:") and "matches checkpoint 1 of " in out
    code, _, err = run(capsys, "audit", "keygen")
    assert code == 5 and "exists already" in err


def test_removed_newest_event_fails_verify_as_truncation(
    anchored: App, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "audit", "checkpoint")[0] == 0
    removed = newest_event_removed(anchored, "cycle:3")
    code, out, err = run(capsys, "audit", "verify")
    assert code == 8 and "OK" not in out
    assert "chain Hemtjänst Norr (AO-HN), 2027 [cycle:3] ends at event " in err
    assert f"saw event {removed} > {removed - 1}: events removed" in err
    code, _, err = run(capsys, "--lang", "sv", "audit", "verify")
    assert code == 8 and "händelser har tagits bort" in err
    code, _, err = run(capsys, "audit", "checkpoint")  # never signs over it
    assert code == 5 and "no checkpoint written" in err


def test_recomputed_chain_fails_verify_as_rehashing(
    anchored: App, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "audit", "checkpoint")[0] == 0
    event_edited_and_chain_recomputed(anchored, "cycle:3", 1, "someone else")
    code, out, err = run(capsys, "audit", "verify")
    assert code == 8 and "OK" not in out
    assert "Hemtjänst Norr (AO-HN), 2027 [cycle:3]: event " in err
    assert "signed: the chain was recomputed" in err


def test_forged_checkpoint_fails_verify_and_an_inspector_checks_with_the_public_key(
    anchored: App,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "audit", "checkpoint")[0] == 0
    directory = tmp_path / "checkpoints"
    pub = tmp_path / "secret" / "audit.key.pub"
    # the inspector's machine: no signing key, only the public key and a copy of the files
    monkeypatch.delenv("SAMFLOW_AUDIT_KEY_FILE")
    code, out, _ = run(
        capsys, "audit", "verify", "--public-key", str(pub), "--checkpoints", str(directory)
    )
    assert code == 0 and "matches checkpoint 1" in out
    other = keys.new_key()
    (first,) = directory.iterdir()
    real = anchor.parse(json.loads(first.read_text())).checkpoint
    fake = anchor.following(real, real.at, keys.key_id(other.public_key()), "manual", {})
    checkpoint_files.write_exclusive(directory, anchor.sign(fake, other))
    code, _, err = run(
        capsys, "audit", "verify", "--public-key", str(pub), "--checkpoints", str(directory)
    )
    assert code == 8 and "checkpoint 2 (checkpoint-00000002.json) is not signed by" in err
