"""Audit events and their hash chain.

Each chain (one per cycle, one for the organisation, ...) is a list of events numbered
1, 2, 3, ...; each event's hash covers its content and the previous event's hash, so
changing, inserting or removing an event breaks every hash after it. The chain's head
(last number and hash) is kept beside the events, so removing the newest event shows too.

The hash input is built from the stored text of each field (the event data is stored as
canonical JSON text and hashed as stored), so verifying needs no JSON parsing: that is what
lets ``verify`` run at hundreds of thousands of events per second.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
#: The stored form of an instant (UTC). It is also SQLAlchemy's SQLite storage format, so
#: on SQLite the stored text is hashed without converting it.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def canonical_json(data: Any) -> str:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def time_text(at: datetime) -> str:
    """UTC instant in the stored form (naive, microseconds)."""
    if at.tzinfo is not None:
        from engine.domain.clock import as_utc

        at = as_utc(at).replace(tzinfo=None)
    return at.strftime(TIME_FORMAT)


@dataclass(frozen=True)
class EventContent:
    """What an event says; the chain position and hashes are added when it is appended."""

    action: str
    subject_type: str
    subject_id: str
    at: datetime
    actor_id: int | None
    actor_label: str
    on_behalf_of_id: int | None
    unit_id: int | None
    data_json: str


def event_hash(chain: str, seq: int, content: EventContent, prev_hash: str) -> str:
    return row_hash(
        chain,
        seq,
        time_text(content.at),
        content.actor_id,
        content.actor_label,
        content.on_behalf_of_id,
        content.action,
        content.subject_type,
        content.subject_id,
        content.unit_id,
        content.data_json,
        prev_hash,
    )


def row_hash(
    chain: str,
    seq: int,
    at_text: str,
    actor_id: int | None,
    actor_label: str,
    on_behalf_of_id: int | None,
    action: str,
    subject_type: str,
    subject_id: str,
    unit_id: int | None,
    data_json: str,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [
            chain,
            seq,
            at_text,
            actor_id,
            actor_label,
            on_behalf_of_id,
            action,
            subject_type,
            subject_id,
            unit_id,
            data_json,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class StoredEvent:
    """An event as read back for verification (time already in stored text form)."""

    id: int
    chain: str
    seq: int
    at_text: str
    actor_id: int | None
    actor_label: str
    on_behalf_of_id: int | None
    action: str
    subject_type: str
    subject_id: str
    unit_id: int | None
    data_json: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    """The first place a chain does not hold, in words."""

    chain: str
    seq: int
    event_id: int | None
    kind: str  # altered | removed | reordered | head_mismatch
    detail: str


@dataclass
class VerifyResult:
    chains: int = 0
    events: int = 0
    breaks: list[Break] | None = None

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify_chain(
    chain: str, events: Iterable[StoredEvent], head: tuple[int, str] | None
) -> tuple[int, Break | None]:
    """Check one chain in order; returns (events seen, first break or None)."""
    expected_seq, prev = 1, GENESIS
    count = 0
    for ev in events:
        count += 1
        if ev.seq != expected_seq:
            return count, Break(
                chain,
                expected_seq,
                None,
                "removed",
                f"event {expected_seq} is missing (next found: {ev.seq})",
            )
        if ev.prev_hash != prev:
            return count, Break(
                chain, ev.seq, ev.id, "altered", "does not point at the previous event's hash"
            )
        actual = row_hash(
            chain,
            ev.seq,
            ev.at_text,
            ev.actor_id,
            ev.actor_label,
            ev.on_behalf_of_id,
            ev.action,
            ev.subject_type,
            ev.subject_id,
            ev.unit_id,
            ev.data_json,
            ev.prev_hash,
        )
        if actual != ev.hash:
            return count, Break(chain, ev.seq, ev.id, "altered", "content does not match its hash")
        prev = ev.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head is not None and (head[0] != last_seq or head[1] != prev):
        return count, Break(
            chain,
            head[0],
            None,
            "removed",
            f"chain head says event {head[0]} but the log ends at {last_seq}",
        )
    if head is None and count:
        return count, Break(chain, last_seq, None, "head_mismatch", "chain has no head record")
    return count, None


def group_by_chain(rows: Iterable[StoredEvent]) -> Iterator[tuple[str, list[StoredEvent]]]:
    """Rows ordered by (chain, seq) -> (chain, its events), one chain at a time."""
    current: str | None = None
    bucket: list[StoredEvent] = []
    for row in rows:
        if row.chain != current:
            if current is not None:
                yield current, bucket
            current, bucket = row.chain, []
        bucket.append(row)
    if current is not None:
        yield current, bucket
