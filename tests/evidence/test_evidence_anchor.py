"""Evidence packages and the audit anchor: each new package carries a signed checkpoint, and
checking a package names truncation and re-hashing for what they are (it used to call both
"chain head says event N but the log ends at …")."""

from __future__ import annotations

from pathlib import Path

from engine.audit import checkpoint as audit_checkpoint
from engine.context import Actor, App
from engine.domain.clock import FrozenClock
from engine.evidence import package as evidence
from engine.evidence import verify as evidence_verify
from tests.evidence.scenario import year_with_history
from tests.tampering import event_edited_and_chain_recomputed, newest_event_removed

SYSTEM = Actor.system("test")


def anchored(app: App, tmp_path: Path) -> Path:
    key = tmp_path / "audit.key"
    audit_checkpoint.keygen(key)
    app.settings = app.settings.model_copy(
        update={"audit_key_file": str(key), "audit_checkpoint_dir": str(tmp_path / "cp")}
    )
    return tmp_path / "cp"


def package(app: App) -> evidence.Built:
    return evidence.build(app, SYSTEM, evidence.Scope("unit", "U2", 2027))


def test_package_carries_a_checkpoint_and_verifies(
    app: App, clock: FrozenClock, tmp_path: Path
) -> None:
    directory = anchored(app, tmp_path)
    y = year_with_history(app, clock)
    built = package(app)
    doc = built.document()
    chain = f"cycle:{y.c2}"
    heads = doc["checkpoint"]["body"]["heads"]
    assert heads[chain] == list(built.data["basis"]["position"][chain])
    assert [p.name for p in directory.iterdir()] == ["checkpoint-00000001.json"]
    package(app)  # nothing moved: the same checkpoint again, none written
    assert len(list(directory.iterdir())) == 1
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert report.matches and report.anchor == [] and report.anchor_notes == []


def test_package_names_truncation(app: App, clock: FrozenClock, tmp_path: Path) -> None:
    anchored(app, tmp_path)
    y = year_with_history(app, clock)
    doc = package(app).document()
    chain = f"cycle:{y.c2}"
    removed = newest_event_removed(app, chain)
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert not report.matches
    (broken,) = report.broken_chains
    assert broken["break"]["kind"] == "truncated"
    assert broken["break"]["detail"] == (
        f"the chain ends at event {removed - 1} but the package saw event {removed}: events removed"
    )
    assert [f.kind for f in report.anchor] == ["truncated"]
    assert "Enhet 2 (U2), 2027" in report.anchor[0].en


def test_package_names_rehashing(app: App, clock: FrozenClock, tmp_path: Path) -> None:
    anchored(app, tmp_path)
    y = year_with_history(app, clock)
    doc = package(app).document()
    chain = f"cycle:{y.c2}"
    seen = doc["data"]["basis"]["position"][chain][0]
    event_edited_and_chain_recomputed(app, chain, 3, "someone else")
    report = evidence_verify.verify(app, SYSTEM, doc)
    (broken,) = report.broken_chains
    assert broken["break"]["kind"] == "rehashed"
    assert broken["break"]["detail"] == (
        f"event {seen}'s hash differs from the one the package recorded: the chain was recomputed"
    )
    assert [f.kind for f in report.anchor] == ["rehashed"]


def test_package_checkpoint_missing_from_the_directory(
    app: App, clock: FrozenClock, tmp_path: Path
) -> None:
    directory = anchored(app, tmp_path)
    year_with_history(app, clock)
    doc = package(app).document()
    for p in directory.iterdir():
        p.unlink()  # someone with rights over the directory removed it
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert not report.matches and [f.kind for f in report.anchor] == ["missing"]
    doc["checkpoint"]["body"]["heads"]["org"][0] += 1  # and the package's copy altered
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert [f.kind for f in report.anchor] == ["forged"]


def test_package_without_anchor_says_so(app: App, clock: FrozenClock) -> None:
    year_with_history(app, clock)
    doc = package(app).document()
    assert "checkpoint" not in doc
    report = evidence_verify.verify(app, SYSTEM, doc)
    assert report.matches and [n.kind for n in report.anchor_notes] == ["not_carried"]
