"""Use cases of the audit anchor: make the key, write a checkpoint, verify the log against
the checkpoints (``engine.domain.audit.anchor`` says why and how).

    keygen(Path("/etc/samflow/audit.key"))          # once; the .pub beside it is public
    write(app, reason="schedule", only_if_due=True)  # the sweep; "evidence" with a package
    report = verify(app)                             # .ok, .findings, .warnings
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit import checkpoint_files as files
from engine.audit.names import chain_names
from engine.context import App, Progress, no_progress
from engine.db.audit_store import chain_heads, hashes_at, raw_rows
from engine.db.models import AuditEvent
from engine.domain.audit import anchor, keys
from engine.domain.audit.anchor import when
from engine.domain.audit.chain import VerifyResult, verify_rows
from engine.domain.clock import as_utc
from engine.domain.errors import ConcurrentChange, Conflict, NotReady


@dataclass(frozen=True)
class Said:
    """A finding or a warning, in both languages, the chain named in words."""

    kind: str
    sv: str
    en: str

    def text(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


def keygen(path: Path) -> tuple[Path, Path, str]:
    """A new signing key (0600) and its public key beside it; never over an existing one."""
    return files.write_new_key(path)


# --- writing ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Written:
    signed: anchor.Signed
    new: bool  # False: the log had not changed (or was not due): the latest is returned
    path: Path | None = None


def write(app: App, *, reason: str = "manual", only_if_due: bool = False) -> Written:
    """Sign the heads of every chain into the next checkpoint, after checking the log
    against the latest one: a log that lost events or was recomputed is refused
    (``Conflict``), never signed. With ``only_if_due`` (the schedule), nothing is written
    unless ``audit_checkpoint_minutes`` have passed; nothing is written when no chain moved
    since the latest (the latest is returned then)."""
    key = files.signing_key(app.settings.audit_key_file)
    directory = _directory(app.settings.audit_checkpoint_dir)
    kid = keys.key_id(key.public_key())
    for _ in range(5):
        valid, findings = anchor.check_series(files.read_all(directory), key.public_key())
        latest = valid[-1] if valid else None
        with app.read() as s:
            heads = chain_heads(s)
            if latest is not None:
                findings += _against(s, latest.checkpoint, heads)
            if findings:
                raise _refused(findings, chain_names(s, {f.chain for f in findings if f.chain}))
        if latest is not None and (
            heads == latest.checkpoint.heads or (only_if_due and not _due(app, latest))
        ):
            return Written(latest, False)
        cp = anchor.following(latest.checkpoint if latest else None, _now(app), kid, reason, heads)
        signed = anchor.sign(cp, key)
        path = files.write_exclusive(directory, signed)
        if path is not None:
            return Written(signed, True, path)
    raise ConcurrentChange("the audit checkpoint directory")


def on_schedule(app: App) -> dict[str, Any]:
    """The sweep's step: a checkpoint when the log has grown and the latest is due. A log
    found shorter or recomputed raises ``Conflict``, so the run fails where it is seen."""
    st = app.settings
    if not (st.audit_key_file and st.audit_checkpoint_dir):
        return {"disabled": "no SAMFLOW_AUDIT_KEY_FILE or SAMFLOW_AUDIT_CHECKPOINT_DIR"}
    w = write(app, reason="schedule", only_if_due=True)
    return {"checkpoint": w.signed.checkpoint.seq, "written": w.new}


def _against(s: Session, cp: anchor.Checkpoint, heads: dict[str, tuple[int, str]]) -> list[Any]:
    """The log's heads against a checkpoint; the hashes of events only for chains moved."""
    moved = {c: seq for c, (seq, h) in cp.heads.items() if heads.get(c) != (seq, h)}
    ends = {c: heads.get(c, (0, ""))[0] for c in moved}
    found = hashes_at(s, {c: seq for c, seq in moved.items() if ends[c] >= seq})
    return anchor.compare(cp, ends, found, moved)


def _due(app: App, latest: anchor.Signed) -> bool:
    at = as_utc(datetime.fromisoformat(latest.checkpoint.at))
    return app.clock.now() - at >= timedelta(minutes=app.settings.audit_checkpoint_minutes)


def _now(app: App) -> str:
    return as_utc(app.clock.now()).isoformat()


def _refused(findings: list[anchor.Finding], names: dict[str, tuple[str, str]]) -> Conflict:
    texts = [said(f, names) for f in findings]
    more = f" (+{len(texts) - 1})" if len(texts) > 1 else ""
    return Conflict(
        f"no checkpoint written: {texts[0].en}{more}; run: samflow audit verify",
        f"ingen kontrollpunkt skrevs: {texts[0].sv}{more}; kör: samflow audit verify",
    )


def _directory(setting: str) -> Path:
    if not setting:
        raise NotReady(
            "no checkpoint directory: set SAMFLOW_AUDIT_CHECKPOINT_DIR",
            "ingen katalog för kontrollpunkter: ange SAMFLOW_AUDIT_CHECKPOINT_DIR",
        )
    return Path(setting)


def said(f: anchor.Finding, names: dict[str, tuple[str, str]]) -> Said:
    sv, en = names.get(f.chain or "", ("", ""))
    return Said(f.kind, f.text("sv", sv), f.text("en", en))


# --- verifying ----------------------------------------------------------------------------
@dataclass
class AnchorReport:
    chains: VerifyResult
    findings: list[Said] = field(default_factory=list)
    warnings: list[Said] = field(default_factory=list)
    latest: anchor.Checkpoint | None = None
    checkpoints: int = 0
    unanchored: int = 0
    key_id: str = ""
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The chains hold and no checkpoint shows anything removed or recomputed."""
        return self.chains.ok and not self.findings

    def name(self, chain: str, lang: str) -> str:
        sv, en = self.names.get(chain, (chain, chain))
        return sv if lang == "sv" else en


def verify(
    app: App,
    *,
    chain: str | None = None,
    public_key_file: str | None = None,
    checkpoint_dir: str | None = None,
    progress: Progress = no_progress,
) -> AnchorReport:
    """Recompute every hash, then hold the log against the checkpoints: the series itself
    (signatures, numbers, links, chains never going back) and the latest valid one
    (truncation, re-hashing). The checkpoints are read before the log, so one written
    meanwhile cannot look like events missing."""
    st = app.settings
    key = files.verifying_key(public_key_file or st.audit_public_key_file, st.audit_key_file)
    where = checkpoint_dir or st.audit_checkpoint_dir
    valid: list[anchor.Signed] = []
    series: list[anchor.Finding] = []
    if key is not None and where:
        valid, series = anchor.check_series(files.read_all(Path(where)), key)
    latest = valid[-1].checkpoint if valid else None
    with app.read() as s:
        total = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
        heads = chain_heads(s)
        if chain is not None:
            heads = {k: v for k, v in heads.items() if k == chain}
        tap = _Tap(latest.heads if latest else {})
        rows = tap.rows(raw_rows(s, chain), total, progress)
        count, chains, breaks = verify_rows(rows, heads)
        progress(count, total, "verify")
        found = (
            anchor.compare(latest, tap.ends, tap.hashes, [chain] if chain else None)
            if (latest)
            else []
        )
        findings = [*series, *found]
        named = {f.chain for f in findings if f.chain} | {b.chain for b in breaks}
        names = chain_names(s, named)
    report = AnchorReport(
        VerifyResult(chains=len(chains), events=count, breaks=breaks),
        [said(f, names) for f in findings],
        latest=latest,
        checkpoints=len(valid),
        unanchored=anchor.unanchored(latest, tap.ends),
        key_id=keys.key_id(key) if key else "",
        names=names,
    )
    report.warnings = _warnings(app, key, where, report)
    return report


class _Tap:
    """Notes, as the rows stream past, where each chain ends and the hash of the event at
    the sequence number the checkpoint saw."""

    def __init__(self, points: dict[str, tuple[int, str]]) -> None:
        self.points = {c: seq for c, (seq, _) in points.items()}
        self.ends: dict[str, int] = {}
        self.hashes: dict[str, str] = {}

    def rows(
        self, rows: Iterator[tuple[Any, ...]], total: int, progress: Progress
    ) -> Iterator[tuple[Any, ...]]:
        ends, hashes, points = self.ends, self.hashes, self.points
        for i, row in enumerate(rows, 1):
            chain, seq = row[1], row[2]
            if seq > ends.get(chain, 0):
                ends[chain] = seq
            if points.get(chain) == seq:
                hashes[chain] = row[13]
            if i % 100_000 == 0:
                progress(i, total, "verify")
            yield row


def _warnings(app: App, key: Ed25519PublicKey | None, where: str, r: AnchorReport) -> list[Said]:
    if key is None or not where:
        return [
            Said(
                "not_configured",
                "revisionsloggen är inte förankrad: ingen nyckel eller katalog för "
                "kontrollpunkter (SAMFLOW_AUDIT_KEY_FILE, SAMFLOW_AUDIT_CHECKPOINT_DIR); "
                "borttagna eller omräknade händelser kan inte upptäckas",
                "the audit log is not anchored: no key or checkpoint directory "
                "(SAMFLOW_AUDIT_KEY_FILE, SAMFLOW_AUDIT_CHECKPOINT_DIR); removed or "
                "recomputed events cannot be detected",
            )
        ]
    if r.latest is None:
        return [
            Said(
                "no_checkpoint",
                f"ingen kontrollpunkt ännu i {where}: kör samflow audit checkpoint",
                f"no checkpoint yet in {where}: run samflow audit checkpoint",
            )
        ]
    age = app.clock.now() - as_utc(datetime.fromisoformat(r.latest.at))
    late = 2 * app.settings.audit_checkpoint_minutes + 15
    if r.unanchored and age > timedelta(minutes=late):
        k, at, n = r.latest.seq, when(r.latest.at), r.unanchored
        return [
            Said(
                "stale",
                f"senaste kontrollpunkten ({k}, {at}) är äldre än {late} minuter; {n} "
                "händelser sedan dess är inte förankrade (går svepet?)",
                f"the latest checkpoint ({k}, {at}) is older than {late} minutes; {n} events "
                "since are not anchored (is the sweep running?)",
            )
        ]
    return []
