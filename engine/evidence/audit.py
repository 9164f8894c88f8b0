"""The audit side of an evidence package: which chains it rests on, where they stood when it
was built (the *position*), the events up to there with each chain's verification, and the
events recorded since (which explain later differences)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.audit_store import chunks
from engine.db.models import AuditChain, AuditEvent, table
from engine.domain.audit.chain import StoredEvent, position_break, time_text
from engine.domain.evidence import LaterEvent

Position = dict[str, tuple[int, str]]  # chain -> (seq, hash) the package was built at


@dataclass
class AuditSlice:
    position: Position
    events: dict[str, list[StoredEvent]] = field(default_factory=lambda: defaultdict(list))
    later: list[LaterEvent] = field(default_factory=list)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)


def current_heads(s: Session, chains: Sequence[str]) -> Position:
    out: Position = {}
    for batch in chunks(sorted(set(chains)), 500):
        for key, seq, digest in s.execute(
            select(AuditChain.key, AuditChain.last_seq, AuditChain.last_hash).where(
                AuditChain.key.in_(batch)
            )
        ):
            out[key] = (seq, digest)
    return out


def read(s: Session, chains: Sequence[str], position: Position) -> AuditSlice:
    """Events of ``chains`` split at ``position``; each chain verified up to it."""
    sl = AuditSlice(position)
    t = table(AuditEvent)
    cols = [
        t.c.id,
        t.c.chain,
        t.c.seq,
        t.c.at,
        t.c.actor_id,
        t.c.actor_label,
        t.c.on_behalf_of_id,
        t.c.action,
        t.c.subject_type,
        t.c.subject_id,
        t.c.unit_id,
        t.c.data,
        t.c.prev_hash,
        t.c.hash,
    ]
    for batch in chunks(sorted(set(chains)), 300):
        stmt = select(*cols).where(t.c.chain.in_(batch)).order_by(t.c.chain, t.c.seq)
        for row in s.execute(stmt):
            ev = StoredEvent(row[0], row[1], row[2], time_text(row[3]), *row[4:])
            upto = position.get(ev.chain, (0, ""))[0]
            if ev.seq <= upto:
                sl.events[ev.chain].append(ev)
            else:
                sl.later.append(
                    LaterEvent(ev.chain, ev.seq, ev.action, f"{ev.subject_type}:{ev.subject_id}")
                )
    for chain in sorted(set(chains)):
        seq, digest = position.get(chain, (0, ""))
        events = sl.events.get(chain, [])
        count, brk = len(events), position_break(chain, events, seq, digest)
        sl.checks[chain] = {
            "chain": chain,
            "seq": seq,
            "hash": digest,
            "events": count,
            "ok": brk is None,
            "break": None
            if brk is None
            else {"seq": brk.seq, "kind": brk.kind, "detail": brk.detail, "event_id": brk.event_id},
        }
    return sl


def event_record(ev: StoredEvent, unit_codes: Mapping[int, str]) -> dict[str, Any]:
    """An event as the package holds it: its content, pinned by the hash of its data."""
    data = _loads(ev.data_json)
    return {
        "ref": f"event:{ev.chain}#{ev.seq}",
        "chain": ev.chain,
        "seq": ev.seq,
        "at": ev.at_text,
        "actor": ev.actor_label,
        "actor_id": ev.actor_id,
        "on_behalf_of_id": ev.on_behalf_of_id,
        "action": ev.action,
        "subject": f"{ev.subject_type}:{ev.subject_id}",
        "unit": unit_codes.get(ev.unit_id) if ev.unit_id is not None else None,
        "data_sha256": hashlib.sha256(ev.data_json.encode()).hexdigest(),
        "hash": ev.hash,
        "summary": summary(ev.action, data),
    }


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_KEYS = ("stage", "key", "decision", "level", "to", "from", "reason", "comment", "role", "status")


def summary(action: str, data: Mapping[str, Any]) -> str:
    """A short line of what an event says ("level=2 to=director@4"), for reading."""
    parts = []
    for k in _KEYS:
        v = data.get(k)
        if v not in (None, "", [], {}) and not isinstance(v, dict | list):
            parts.append(f"{k}={v}")
    text = " ".join(parts)
    return text if len(text) <= 160 else text[:157] + "…"


def data_of(ev: StoredEvent) -> dict[str, Any]:
    return _loads(ev.data_json)


def events_of(sl: AuditSlice, chain: str, actions: Iterable[str]) -> list[StoredEvent]:
    wanted = set(actions)
    return [e for e in sl.events.get(chain, []) if e.action in wanted]
