"""The audit anchor in evidence packages: each new package carries a signed checkpoint (so
the inspector holds a copy of where every chain stood), and checking a package holds the
log against the checkpoint it carries, and that checkpoint against the directory's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.audit import checkpoint_files as files
from engine.audit.checkpoint import Said, said, write
from engine.audit.names import chain_names
from engine.context import App
from engine.db.audit_store import hashes_at, log_ends
from engine.domain.audit import anchor
from engine.domain.audit.anchor import when


def for_package(app: App) -> dict[str, Any] | None:
    """The checkpoint a new package carries: written now (or the latest, if no chain has
    moved since); None when the anchor is not set up. A log that lost events or was
    recomputed is refused (``Conflict``): no package is handed out on it."""
    st = app.settings
    if not (st.audit_key_file and st.audit_checkpoint_dir):
        return None
    return write(app, reason="evidence").signed.document()


@dataclass
class PackageAnchor:
    findings: list[Said] = field(default_factory=list)  # the package does not match
    notes: list[Said] = field(default_factory=list)  # what could not be checked, and why


def check(app: App, doc: Any, chains: Sequence[str]) -> PackageAnchor:
    """The package's checkpoint: signed by this installation's key, still in the directory,
    and the log (for the package's chains) neither shorter nor recomputed since."""
    out = PackageAnchor()
    if doc is None:
        out.notes.append(_NOT_CARRIED)
        return out
    try:
        signed = anchor.parse(doc)
    except anchor.Unreadable as exc:
        out.findings.append(said(anchor.Finding(exc.kind, None, detail=str(exc)), {}))
        return out
    cp = signed.checkpoint
    st = app.settings
    key = files.verifying_key(st.audit_public_key_file, st.audit_key_file)
    if key is None:
        out.notes.append(_NO_KEY)
    elif not anchor.signature_ok(signed, key):
        out.findings.append(said(anchor.Finding("forged", cp.seq, cp.at, detail="package"), {}))
        return out
    if st.audit_checkpoint_dir:
        out.findings += _in_directory(Path(st.audit_checkpoint_dir), signed)
    wanted = [c for c in chains if c in cp.heads]
    with app.read() as s:
        ends = log_ends(s, wanted)
        found = hashes_at(s, {c: cp.heads[c][0] for c in wanted})
        compared = anchor.compare(cp, ends, found, wanted)
        names = chain_names(s, {f.chain for f in compared if f.chain})
    out.findings += [said(f, names) for f in compared]
    return out


def _in_directory(directory: Path, signed: anchor.Signed) -> list[Said]:
    cp = signed.checkpoint
    entry = files.read_one(directory, cp.seq)
    try:
        there = anchor.parse(entry.doc) if entry else None
    except anchor.Unreadable:
        there = None
    if there is not None and there.checkpoint.digest == cp.digest:
        return []
    return [
        Said(
            "missing",
            f"paketets kontrollpunkt {cp.seq} från {when(cp.at)} finns inte (oförändrad) "
            f"i katalogen {directory}: kontrollpunkter har tagits bort eller bytts ut",
            f"the package's checkpoint {cp.seq} of {when(cp.at)} is not (unchanged) in "
            f"{directory}: checkpoints were removed or replaced",
        )
    ]


_NOT_CARRIED = Said(
    "not_carried",
    "paketet bär ingen signerad kontrollpunkt (gjort utan förankring)",
    "the package carries no signed checkpoint (made without the anchor)",
)
_NO_KEY = Said(
    "unchecked",
    "kontrollpunktens signatur kan inte kontrolleras: ingen publik nyckel "
    "(SAMFLOW_AUDIT_PUBLIC_KEY_FILE)",
    "the checkpoint's signature cannot be checked: no public key (SAMFLOW_AUDIT_PUBLIC_KEY_FILE)",
)
