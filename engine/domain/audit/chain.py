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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

GENESIS = "0" * 64
#: The stored form of an instant (UTC). It is also SQLAlchemy's SQLite storage format, so
#: on SQLite the stored text is hashed without converting it.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same data always gives the same text."""
    return _CANONICAL(data)


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


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
).encode
#: One encoder for every hash (``json.dumps`` with options builds a new one per call).
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
#: The string escaping that encoder uses (``ensure_ascii=False``): the C function.
_ESC = json.encoder.encode_basestring
_sha256 = hashlib.sha256


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
    """SHA-256 of the JSON list of the fields (compact, UTF-8 kept). The list is written
    here field by field with the JSON encoder's own string escaping — byte for byte what
    encoding the list gives, at a third of the cost — for the types the log stores; any
    other value goes through the encoder."""
    if (
        type(chain) is str
        and type(seq) is int
        and type(at_text) is str
        and type(actor_label) is str
        and type(action) is str
        and type(subject_type) is str
        and type(subject_id) is str
        and type(data_json) is str
        and type(prev_hash) is str
        and (actor_id is None or type(actor_id) is int)
        and (on_behalf_of_id is None or type(on_behalf_of_id) is int)
        and (unit_id is None or type(unit_id) is int)
    ):
        payload = (
            f"[{_ESC(chain)},{seq},{_ESC(at_text)},"
            f"{'null' if actor_id is None else actor_id},{_ESC(actor_label)},"
            f"{'null' if on_behalf_of_id is None else on_behalf_of_id},{_ESC(action)},"
            f"{_ESC(subject_type)},{_ESC(subject_id)},{'null' if unit_id is None else unit_id},"
            f"{_ESC(data_json)},{_ESC(prev_hash)}]"
        )
    else:
        payload = _ENCODE(
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
            ]
        )
    return _sha256(payload.encode()).hexdigest()


def row_hash_encoded(*fields: Any) -> str:
    """The reference form of ``row_hash``: the list through the JSON encoder (tests compare
    the two)."""
    return _sha256(_ENCODE(list(fields)).encode()).hexdigest()


class StoredEvent(NamedTuple):
    """An event as read back, the time as stored text; also a row for ``verify_rows``."""

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
    kind: str  # altered | removed | reordered | head_mismatch | truncated | rehashed
    detail: str


@dataclass
class VerifyResult:
    chains: int = 0
    events: int = 0
    breaks: list[Break] | None = None

    @property
    def ok(self) -> bool:
        return not self.breaks


#: The columns of a raw event row, in order (what ``verify_rows`` reads).
ROW = (
    "id",
    "chain",
    "seq",
    "at_text",
    "actor_id",
    "actor_label",
    "on_behalf_of_id",
    "action",
    "subject_type",
    "subject_id",
    "unit_id",
    "data_json",
    "prev_hash",
    "hash",
)


def verify_rows(
    rows: Iterable[Sequence[Any]], heads: dict[str, tuple[int, str]]
) -> tuple[int, set[str], list[Break]]:
    """Verify events read in insertion (id) order, all chains at once.

    Within a chain, insertion order is sequence order (each append waits for the chain's
    head), so one pass in id order with the last hash of each chain in memory checks
    everything — a table scan, not an index walk. Returns (events, chains, first break per
    broken chain), the head of every chain compared at the end.
    """
    state: dict[str, tuple[int, str]] = {}
    broken: dict[str, Break] = {}
    count = 0
    for ev_id, chain, seq, at, actor, label, obo, action, st, sid, unit, data, prev, h in rows:
        count += 1
        if chain in broken:
            continue
        expected, last = state.get(chain, (1, GENESIS))
        if seq != expected:
            broken[chain] = Break(
                chain, expected, None, "removed", f"event {expected} is missing (next found: {seq})"
            )
            continue
        if prev != last:
            broken[chain] = Break(
                chain, seq, ev_id, "altered", "does not point at the previous event's hash"
            )
        elif row_hash(chain, seq, at, actor, label, obo, action, st, sid, unit, data, prev) != h:
            broken[chain] = Break(chain, seq, ev_id, "altered", "content does not match its hash")
        else:
            state[chain] = (seq + 1, h)
    return count, *close_chains(state, broken, heads)


def close_chains(
    state: dict[str, tuple[int, str]],
    broken: dict[str, Break],
    heads: dict[str, tuple[int, str]],
) -> tuple[set[str], list[Break]]:
    """Every chain's head compared with where its events end; (chains, breaks)."""
    for chain, (head_seq, head_hash) in heads.items():
        if chain in broken:
            continue
        expected, last = state.get(chain, (1, GENESIS))
        if head_seq != expected - 1 or (head_seq and head_hash != last):
            broken[chain] = Break(
                chain,
                head_seq,
                None,
                "removed",
                f"chain head says event {head_seq} but the log ends at {expected - 1}",
            )
    for chain in state.keys() - heads.keys():
        broken[chain] = Break(
            chain, state[chain][0] - 1, None, "head_mismatch", "chain has no head record"
        )
    return set(state) | set(broken), sorted(broken.values(), key=lambda b: b.chain)


def verify_payloads(
    rows: Iterable[Sequence[Any]],
    heads: dict[str, tuple[int, str]],
    fields: Callable[[int], Sequence[Any] | None],
) -> tuple[int, set[str], list[Break]]:
    """``verify_rows`` over rows of (id, chain, seq, hash input, prev_hash, hash), the hash
    input as bytes built by the database: the same findings, with only the SHA-256 left per
    event. An event whose hash does not match is read again with ``fields`` (a ``ROW``) and
    checked the reference way, so only ``row_hash`` ever names an event altered."""
    state: dict[str, tuple[int, str]] = {}
    broken: dict[str, Break] = {}
    before: dict[str, tuple[int, str]] = {}  # where a broken chain stood when it broke
    count = 0
    sha = _sha256
    get = state.get
    for ev_id, chain, seq, payload, prev, h in rows:
        count += 1
        expected, last = get(chain, (1, GENESIS))
        if seq == expected and prev == last and sha(payload).hexdigest() == h:
            state[chain] = (seq + 1, h)
            continue
        if chain in broken:
            continue
        if seq != expected:
            brk = Break(
                chain, expected, None, "removed", f"event {expected} is missing (next found: {seq})"
            )
        elif prev != last:
            brk = Break(chain, seq, ev_id, "altered", "does not point at the previous event's hash")
        else:
            row = fields(ev_id)
            if row is not None and row_hash(*row[1:13]) == h:
                state[chain] = (seq + 1, h)
                continue
            brk = Break(chain, seq, ev_id, "altered", "content does not match its hash")
        broken[chain] = brk
        if chain in state:
            before[chain] = state[chain]
        state[chain] = (-1, "")  # no later event of a broken chain passes the quick test
    for chain in broken:
        if chain in before:
            state[chain] = before[chain]
        else:
            del state[chain]
    return count, *close_chains(state, broken, heads)


def verify_chain(
    chain: str, events: Iterable[StoredEvent], head: tuple[int, str] | None
) -> tuple[int, Break | None]:
    """One chain's events (in sequence order) checked against its head: (events, first
    break or None)."""
    count, _, breaks = verify_rows(events, {chain: head} if head else {})
    return count, next((b for b in breaks if b.chain == chain), None)


def position_break(
    chain: str, events: Sequence[StoredEvent], seq: int, digest: str, where: str = "the package"
) -> Break | None:
    """A chain's events up to a position recorded elsewhere (an evidence package's), checked:
    they must hold together, reach that event, and have the recorded hash there. Names
    truncation (events removed) and re-hashing (the chain recomputed) apart."""
    last = events[-1] if events else None
    _, brk = verify_chain(chain, events, (last.seq, last.hash) if last else None)
    if brk is not None or not seq:
        return brk
    end = last.seq if last else 0
    if end < seq:
        return Break(
            chain,
            end + 1,
            None,
            "truncated",
            f"the chain ends at event {end} but {where} saw event {seq}: events removed",
        )
    if last is not None and last.hash != digest:
        return Break(
            chain,
            seq,
            last.id,
            "rehashed",
            f"event {seq}'s hash differs from the one {where} recorded: the chain was recomputed",
        )
    return None
