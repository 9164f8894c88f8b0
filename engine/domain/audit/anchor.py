"""Signed checkpoints: the audit chains anchored outside the database.

The hash chain shows an event changed in place, but someone with rights over the database
can drop the append-only triggers, remove the newest events and move the head back, or
edit an event and recompute every hash after it; the log then holds together again. A
*checkpoint* records every chain's head (sequence number and hash) at one moment, signed
with a key the database never sees (Ed25519), and is kept outside the database. Each
checkpoint names the previous one's digest, so the series is a chain of its own.

Verifying then compares the log with the latest checkpoint: a chain that ends before the
event the checkpoint saw lost events (*truncation*); an event whose hash differs from the
one the checkpoint signed means the chain was recomputed (*re-hashing*). Events newer than
the latest checkpoint are not anchored yet: the schedule keeps that window short.

Only the public key is needed to verify, so an inspector can check a checkpoint too.
Everything here is pure: keys and files come in as bytes and parsed JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.domain.audit.chain import GENESIS, canonical_json
from engine.domain.audit.keys import key_id
from engine.domain.clock import LOCAL_TZ, as_utc

KIND = "samflow.audit-checkpoint"
FORMAT = 1
ALGORITHM = "ed25519"
Heads = dict[str, tuple[int, str]]


# --- checkpoints --------------------------------------------------------------------------
@dataclass(frozen=True)
class Checkpoint:
    seq: int
    at: str  # ISO 8601, UTC
    prev: str  # digest of the previous checkpoint; GENESIS for the first
    key_id: str
    reason: str  # schedule | evidence | manual
    heads: Heads

    def body(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "format": FORMAT,
            "seq": self.seq,
            "at": self.at,
            "prev": self.prev,
            "key_id": self.key_id,
            "reason": self.reason,
            "heads": {k: [s, h] for k, (s, h) in sorted(self.heads.items())},
        }

    def signed_bytes(self) -> bytes:
        return canonical_json(self.body()).encode()

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.signed_bytes()).hexdigest()


@dataclass(frozen=True)
class Signed:
    checkpoint: Checkpoint
    signature: str  # base64

    def document(self) -> dict[str, Any]:
        """What is written to the file and embedded in evidence packages."""
        return {
            "body": self.checkpoint.body(),
            "algorithm": ALGORITHM,
            "signature": self.signature,
        }


def following(prev: Checkpoint | None, at: str, kid: str, reason: str, heads: Heads) -> Checkpoint:
    """The next checkpoint of a series whose latest is ``prev``."""
    seq, digest = (prev.seq + 1, prev.digest) if prev else (1, GENESIS)
    return Checkpoint(seq, at, digest, kid, reason, dict(heads))


def sign(cp: Checkpoint, key: Ed25519PrivateKey) -> Signed:
    return Signed(cp, base64.b64encode(key.sign(cp.signed_bytes())).decode())


class Unreadable(ValueError):
    """A checkpoint document that is not one (kind ``broken_file``) or has no signature
    (kind ``unsigned``)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def parse(doc: Any) -> Signed:
    """A checkpoint document as read from a file; raises ``Unreadable``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("body"), dict):
        raise Unreadable("broken_file", "not a samflow audit checkpoint")
    b = doc["body"]
    if b.get("kind") != KIND or b.get("format") != FORMAT:
        raise Unreadable("broken_file", "not a samflow audit checkpoint (kind or format)")
    if not doc.get("signature"):
        raise Unreadable("unsigned", "the checkpoint carries no signature")
    try:
        heads = {str(k): (int(v[0]), str(v[1])) for k, v in dict(b["heads"]).items()}
        cp = Checkpoint(
            int(b["seq"]), str(b["at"]), str(b["prev"]), str(b["key_id"]), str(b["reason"]), heads
        )
    except (KeyError, TypeError, ValueError, IndexError):
        raise Unreadable("broken_file", "the checkpoint's fields are missing or damaged") from None
    if doc.get("algorithm") != ALGORITHM:
        raise Unreadable("broken_file", f"unknown signature algorithm {doc.get('algorithm')!r}")
    return Signed(cp, str(doc["signature"]))


def signature_ok(s: Signed, key: Ed25519PublicKey) -> bool:
    """Whether ``key`` signed exactly this checkpoint (and it names that key)."""
    if s.checkpoint.key_id != key_id(key):
        return False
    try:
        key.verify(base64.b64decode(s.signature, validate=True), s.checkpoint.signed_bytes())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


# --- findings -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One thing the checkpoints show wrong, in words (see ``text``).

    kinds: truncated, rehashed (the log against a checkpoint); forged, unsigned,
    broken_file, missing, out_of_chain, went_back (the checkpoints themselves).
    """

    kind: str
    checkpoint: int | None = None
    at: str = ""
    chain: str | None = None
    seen: int = 0  # the event the checkpoint saw
    found: int = 0  # where the log ends now
    detail: str = ""

    def text(self, lang: str, chain_name: str = "") -> str:
        sv = lang == "sv"
        name = chain_name or self.chain or ""
        k, at = self.checkpoint, when(self.at)
        if self.kind == "truncated":
            return (
                f"kedjan {name} slutar vid händelse {self.found} men kontrollpunkt {k} från "
                f"{at} såg händelse {self.seen} > {self.found}: händelser har tagits bort"
                if sv
                else f"chain {name} ends at event {self.found} but checkpoint {k} of {at} saw "
                f"event {self.seen} > {self.found}: events removed"
            )
        if self.kind == "rehashed":
            return (
                f"kedjan {name}: händelse {self.seen} har en annan hash än den kontrollpunkt {k} "
                f"från {at} signerade: kedjan har räknats om (eller händelser bytts ut)"
                if sv
                else f"chain {name}: event {self.seen}'s hash differs from the one checkpoint {k} "
                f"of {at} signed: the chain was recomputed (or its events replaced)"
            )
        return _SERIES[self.kind][0 if sv else 1].format(k=k, at=at, d=self.detail, name=name)


def when(at: str) -> str:
    """A checkpoint's time for reading: Swedish local time, to the second."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    return as_utc(moment).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S %Z")


_SERIES = {
    "forged": (
        "kontrollpunkt {k} ({d}) är inte signerad med denna installations nyckel: "
        "förfalskad eller ändrad",
        "checkpoint {k} ({d}) is not signed by this installation's key: forged or altered",
    ),
    "unsigned": ("kontrollpunkt {k} ({d}) saknar signatur", "checkpoint {k} ({d}) is unsigned"),
    "broken_file": (
        "kontrollpunktsfilen {d} går inte att läsa",
        "checkpoint file {d} cannot be read",
    ),
    "missing": ("kontrollpunkt {k} saknas ({d})", "checkpoint {k} is missing ({d})"),
    "out_of_chain": (
        "kontrollpunkt {k} pekar inte på kontrollpunkt före den: serien är bruten",
        "checkpoint {k} does not point at the checkpoint before it: the series is broken",
    ),
    "went_back": (
        "kontrollpunkt {k} från {at} visar kedjan {name} bakåt jämfört med föregående ({d})",
        "checkpoint {k} of {at} shows chain {name} going back from the one before ({d})",
    ),
}


@dataclass(frozen=True)
class Entry:
    """One file of the directory: its number (from the name), and what it held."""

    name: str
    seq: int
    doc: Any  # parsed JSON, or None when it was not JSON


def check_series(
    entries: Iterable[Entry], key: Ed25519PublicKey
) -> tuple[list[Signed], list[Finding]]:
    """The validly signed checkpoints in order, and everything wrong with the series:
    unreadable, unsigned or forged files, numbers missing, a checkpoint not pointing at the
    one before it, and a chain going back from one checkpoint to the next."""
    valid: list[Signed] = []
    findings: list[Finding] = []
    seqs: set[int] = set()
    for e in sorted(entries, key=lambda x: x.seq):
        seqs.add(e.seq)
        try:
            s = parse(e.doc)
        except Unreadable as exc:
            findings.append(Finding(exc.kind, e.seq, detail=f"{e.name}: {exc}"))
            continue
        if s.checkpoint.seq != e.seq:
            findings.append(Finding("broken_file", e.seq, detail=f"{e.name}: number differs"))
        elif not signature_ok(s, key):
            findings.append(Finding("forged", e.seq, s.checkpoint.at, detail=e.name))
        else:
            valid.append(s)
    top = max(seqs, default=0)
    for gap in _gaps(seqs, top):
        findings.append(Finding("missing", gap[0], detail=_range_text(gap)))
    findings += _links(valid)
    return valid, findings


def _gaps(seqs: set[int], top: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    n = 1
    while n <= top:
        if n in seqs:
            n += 1
            continue
        start = n
        while n <= top and n not in seqs:
            n += 1
        out.append((start, n - 1))
    return out


def _range_text(gap: tuple[int, int]) -> str:
    return f"{gap[0]}" if gap[0] == gap[1] else f"{gap[0]}–{gap[1]}"


def _links(valid: list[Signed]) -> list[Finding]:
    out: list[Finding] = []
    if valid and valid[0].checkpoint.seq == 1 and valid[0].checkpoint.prev != GENESIS:
        out.append(Finding("out_of_chain", 1))
    for a, b in pairwise(valid):
        ca, cb = a.checkpoint, b.checkpoint
        if cb.seq == ca.seq + 1 and cb.prev != ca.digest:
            out.append(Finding("out_of_chain", cb.seq, cb.at))
        out += went_back(ca, cb)
    return out


def went_back(earlier: Checkpoint, later: Checkpoint) -> list[Finding]:
    """Chains a later checkpoint shows shorter than, or different from, an earlier one."""
    out = []
    for chain, (seq, digest) in sorted(earlier.heads.items()):
        now = later.heads.get(chain)
        if now is None or now[0] < seq or (now[0] == seq and now[1] != digest):
            was = f"{seq} → {now[0] if now else 0}"
            out.append(Finding("went_back", later.seq, later.at, chain, seq, 0, was))
    return out


def compare(
    cp: Checkpoint,
    ends: Mapping[str, int],
    hashes_at: Mapping[str, str],
    chains: Iterable[str] | None = None,
) -> list[Finding]:
    """The log against one checkpoint: ``ends`` is where each chain's events end now,
    ``hashes_at`` the hash of each chain's event at the sequence number the checkpoint saw.
    Only ``chains`` when given."""
    wanted = cp.heads.keys() if chains is None else set(chains) & cp.heads.keys()
    out = []
    for chain in sorted(wanted):
        seq, digest = cp.heads[chain]
        end = ends.get(chain, 0)
        if end < seq:
            out.append(Finding("truncated", cp.seq, cp.at, chain, seq, end))
        elif hashes_at.get(chain) != digest:
            out.append(Finding("rehashed", cp.seq, cp.at, chain, seq, end))
    return out


def unanchored(cp: Checkpoint | None, ends: Mapping[str, int]) -> int:
    """Events recorded after the checkpoint (not anchored by it yet)."""
    heads = cp.heads if cp else {}
    return sum(max(0, end - heads.get(chain, (0, ""))[0]) for chain, end in ends.items())
