"""The audit anchor: signed checkpoints outside the database catch what the hash chain alone
cannot (an attacker with database rights removing the newest events or recomputing the
chain), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from engine.audit import checkpoint as audit_checkpoint
from engine.audit import checkpoint_files
from engine.audit import log as audit
from engine.context import App
from engine.domain.audit import anchor, keys
from engine.domain.clock import FrozenClock
from engine.domain.errors import Conflict, InvalidInput, NotReady
from tests.factories import SAFETY_ROUND, SURVEY, Org, build_org
from tests.tampering import event_edited_and_chain_recomputed, newest_event_removed


def anchored(app: App, tmp_path: Path) -> App:
    key = tmp_path / "keys" / "audit.key"
    audit_checkpoint.keygen(key)
    app.settings = app.settings.model_copy(
        update={"audit_key_file": str(key), "audit_checkpoint_dir": str(tmp_path / "cp")}
    )
    return app


def year_begun(app: App) -> tuple[Org, str]:
    o = build_org(app)
    o.start()
    o.complete("m1@x.se", "employee_survey", SURVEY)
    return o, f"cycle:{o.cycle_of('U1')}"


def kinds(r: audit_checkpoint.AnchorReport) -> list[str]:
    return [f.kind for f in r.findings]


# --- the reproducers ----------------------------------------------------------------------
def test_removed_newest_event_is_named_truncation(app: App, tmp_path: Path) -> None:
    anchored(app, tmp_path)
    _, chain = year_begun(app)
    audit_checkpoint.write(app)
    removed = newest_event_removed(app, chain)
    assert audit.verify(app).ok  # the chain alone holds together: what used to say OK
    r = audit_checkpoint.verify(app)
    assert not r.ok and kinds(r) == ["truncated"]
    (f,) = r.findings
    assert f"ends at event {removed - 1} but checkpoint 1 of " in f.en
    assert f"saw event {removed} > {removed - 1}: events removed" in f.en
    assert "Enhet 1 (U1), 2027" in f.en and "händelser har tagits bort" in f.sv


def test_edited_and_recomputed_chain_is_named_rehashing(app: App, tmp_path: Path) -> None:
    anchored(app, tmp_path)
    _, chain = year_begun(app)
    written = audit_checkpoint.write(app)
    seen = written.signed.checkpoint.heads[chain][0]
    event_edited_and_chain_recomputed(app, chain, 2, "someone else")
    assert audit.verify(app).ok  # recomputed: every hash agrees again
    r = audit_checkpoint.verify(app)
    assert not r.ok and kinds(r) == ["rehashed"]
    assert f"event {seen}'s hash differs from the one checkpoint 1 of " in r.findings[0].en
    assert "signed: the chain was recomputed" in r.findings[0].en
    assert "Enhet 1 (U1), 2027" in r.findings[0].en


def test_a_checkpoint_is_never_signed_over_a_tampered_log(app: App, tmp_path: Path) -> None:
    anchored(app, tmp_path)
    o, chain = year_begun(app)
    audit_checkpoint.write(app)
    removed = newest_event_removed(app, chain)
    with pytest.raises(Conflict, match="events removed"):
        audit_checkpoint.write(app)
    o.complete("m1@x.se", "safety_round", SAFETY_ROUND)  # work goes on: a new event there
    with pytest.raises(Conflict, match=f"event {removed}'s hash differs .* recomputed"):
        audit_checkpoint.on_schedule(app)
    assert len(list((tmp_path / "cp").iterdir())) == 1


# --- the checkpoints themselves -----------------------------------------------------------
def test_intact_log_matches_and_counts_what_is_not_anchored_yet(app: App, tmp_path: Path) -> None:
    anchored(app, tmp_path)
    o, _ = year_begun(app)
    first = audit_checkpoint.write(app)
    assert first.new and first.path is not None and first.path.name == "checkpoint-00000001.json"
    assert oct(first.path.stat().st_mode & 0o777) == "0o444"
    assert not audit_checkpoint.write(app).new  # nothing moved: none written
    o.complete("m1@x.se", "safety_round", SAFETY_ROUND)
    r = audit_checkpoint.verify(app)
    assert r.ok and not r.warnings and r.latest is not None and r.latest.seq == 1
    assert r.unanchored > 0
    assert audit_checkpoint.write(app).signed.checkpoint.seq == 2
    assert audit_checkpoint.verify(app).unanchored == 0


def test_forged_checkpoint_is_reported(app: App, tmp_path: Path) -> None:
    anchored(app, tmp_path)
    _, chain = year_begun(app)
    real = audit_checkpoint.write(app).signed.checkpoint
    other = keys.new_key()
    # an attacker signs a truncated state with a key of their own, as checkpoint 2 ...
    heads = dict(real.heads) | {chain: (1, "0" * 64)}
    forged = anchor.following(real, real.at, keys.key_id(other.public_key()), "manual", heads)
    checkpoint_files.write_exclusive(tmp_path / "cp", anchor.sign(forged, other))
    r = audit_checkpoint.verify(app)
    assert kinds(r) == ["forged"] and "checkpoint-00000002.json" in r.findings[0].en
    assert "not signed by this installation's key" in r.findings[0].en
    assert r.latest is not None and r.latest.seq == 1  # the latest *valid* one is used


def test_altered_missing_and_unsigned_checkpoints_are_reported(app: App, tmp_path: Path) -> None:
    anchored(app, tmp_path)
    o, _ = year_begun(app)
    directory = tmp_path / "cp"
    audit_checkpoint.write(app)
    o.complete("m1@x.se", "safety_round", SAFETY_ROUND)
    audit_checkpoint.write(app)
    o.complete("m2@x.se", "employee_survey", SURVEY)
    audit_checkpoint.write(app)
    first, second, _ = sorted(directory.iterdir())
    second.unlink()  # a checkpoint removed
    doc = json.loads(first.read_text())
    doc["body"]["heads"]["org"][0] += 1  # a checkpoint altered in place
    os.chmod(first, 0o644)
    first.write_text(json.dumps(doc))
    unsigned = {"body": doc["body"] | {"seq": 4}, "algorithm": "ed25519"}
    (directory / "checkpoint-00000004.json").write_text(json.dumps(unsigned))
    (directory / "checkpoint-00000005.json").write_text("{not json")
    r = audit_checkpoint.verify(app)
    assert kinds(r) == ["forged", "unsigned", "broken_file", "missing"]
    assert r.findings[3].en == "checkpoint 2 is missing (2)"
    with pytest.raises(Conflict, match="no checkpoint written"):
        audit_checkpoint.write(app)


def test_no_checkpoint_yet_is_a_warning_not_silence(app: App, tmp_path: Path) -> None:
    year_begun(app)
    r = audit_checkpoint.verify(app)
    assert r.ok and r.latest is None and [w.kind for w in r.warnings] == ["not_configured"]
    anchored(app, tmp_path)
    r = audit_checkpoint.verify(app)
    assert r.ok and [w.kind for w in r.warnings] == ["no_checkpoint"]
    assert "run samflow audit checkpoint" in r.warnings[0].en


def test_schedule_writes_when_due_and_the_log_moved(
    app: App, tmp_path: Path, clock: FrozenClock
) -> None:
    assert "disabled" in audit_checkpoint.on_schedule(app)
    anchored(app, tmp_path)
    o, _ = year_begun(app)
    assert audit_checkpoint.on_schedule(app) == {"checkpoint": 1, "written": True}
    o.complete("m1@x.se", "safety_round", SAFETY_ROUND)
    assert audit_checkpoint.on_schedule(app) == {"checkpoint": 1, "written": False}  # not due
    clock.advance(timedelta(minutes=61))
    assert audit_checkpoint.on_schedule(app) == {"checkpoint": 2, "written": True}
    clock.advance(timedelta(minutes=61))
    assert audit_checkpoint.on_schedule(app) == {"checkpoint": 2, "written": False}  # unmoved
    clock.advance(timedelta(hours=5))
    o.complete("m2@x.se", "employee_survey", SURVEY)
    r = audit_checkpoint.verify(app)  # 6 h since the latest, with events since: stale
    assert r.ok and [w.kind for w in r.warnings] == ["stale"]
    assert "is the sweep running?" in r.warnings[0].en


def test_key_is_made_private_and_never_replaced(tmp_path: Path) -> None:
    key, pub, kid = audit_checkpoint.keygen(tmp_path / "audit.key")
    assert oct(key.stat().st_mode & 0o777) == "0o600" and pub.name == "audit.key.pub"
    assert keys.key_id(keys.load_public(pub.read_bytes())) == kid
    with pytest.raises(Conflict, match="exists already"):
        audit_checkpoint.keygen(key)
    os.chmod(key, 0o640)
    with pytest.raises(InvalidInput, match="chmod 600"):
        checkpoint_files.signing_key(str(key))
    with pytest.raises(NotReady, match="SAMFLOW_AUDIT_KEY_FILE"):
        checkpoint_files.signing_key("")


def test_two_writers_cannot_take_one_number(tmp_path: Path) -> None:
    key = keys.new_key()
    cp = anchor.following(
        None,
        "2027-01-10T08:00:00+00:00",
        keys.key_id(key.public_key()),
        "manual",
        {"org": (1, "a" * 64)},
    )
    assert checkpoint_files.write_exclusive(tmp_path, anchor.sign(cp, key)) is not None
    assert checkpoint_files.write_exclusive(tmp_path, anchor.sign(cp, key)) is None
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint-00000001.json"]
