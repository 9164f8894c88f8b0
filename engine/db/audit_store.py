"""Appending to and reading back the hash-chained audit log.

Appends are buffered by the use case and written in one go at the end of its transaction:
one read of the chain heads (locked on PostgreSQL, so two writers to one chain queue instead
of forking it), one multi-row insert, one guarded update of the heads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.db.models import AuditChain, AuditEvent, table
from engine.domain.audit import (
    GENESIS,
    EventContent,
    StoredEvent,
    canonical_json,
    event_hash,
    time_text,
)
from engine.domain.errors import ConcurrentChange

CHUNK = 500


@dataclass(frozen=True)
class Pending:
    chain: str
    content: EventContent


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class AuditLog:
    """Collects a transaction's events; ``flush`` chains and writes them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pending: list[Pending] = []

    def record(
        self,
        chain: str,
        action: str,
        subject_type: str,
        subject_id: object,
        *,
        at: datetime,
        actor_id: int | None,
        actor_label: str,
        on_behalf_of_id: int | None = None,
        unit_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.pending.append(
            Pending(
                chain,
                EventContent(
                    action=action,
                    subject_type=subject_type,
                    subject_id=str(subject_id),
                    at=at,
                    actor_id=actor_id,
                    actor_label=actor_label,
                    on_behalf_of_id=on_behalf_of_id,
                    unit_id=unit_id,
                    data_json=canonical_json(data or {}),
                ),
            )
        )

    def flush(self) -> int:
        if not self.pending:
            return 0
        pending, self.pending = self.pending, []
        before = self._heads(sorted({p.chain for p in pending}))
        heads = dict(before)
        rows: list[dict[str, Any]] = []
        for p in pending:
            seq, prev = heads.get(p.chain, (0, GENESIS))
            seq += 1
            digest = event_hash(p.chain, seq, p.content, prev)
            c = p.content
            rows.append(
                {
                    "chain": p.chain,
                    "seq": seq,
                    "at": c.at,
                    "actor_id": c.actor_id,
                    "on_behalf_of_id": c.on_behalf_of_id,
                    "actor_label": c.actor_label,
                    "action": c.action,
                    "subject_type": c.subject_type,
                    "subject_id": c.subject_id,
                    "unit_id": c.unit_id,
                    "data": c.data_json,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            heads[p.chain] = (seq, digest)
        for batch in chunks(rows, 2000):
            self.session.execute(table(AuditEvent).insert(), list(batch))
        self._write_heads(before, heads)
        return len(rows)

    def _heads(self, chains: list[str]) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for batch in chunks(chains):
            stmt = (
                select(AuditChain.key, AuditChain.last_seq, AuditChain.last_hash)
                .where(AuditChain.key.in_(batch))
                .order_by(AuditChain.key)
            )
            if self.session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update()
            out.update({k: (s, h) for k, s, h in self.session.execute(stmt)})
        return out

    def _write_heads(
        self, before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
    ) -> None:
        new = [
            {"key": k, "last_seq": s, "last_hash": h}
            for k, (s, h) in after.items()
            if k not in before
        ]
        if new:
            self.session.execute(table(AuditChain).insert(), new)
        moved = [
            {"k": k, "old_seq": before[k][0], "new_seq": s, "new_hash": h}
            for k, (s, h) in after.items()
            if k in before
        ]
        if not moved:
            return
        stmt = (
            update(table(AuditChain))
            .where(AuditChain.key == bindparam("k"), AuditChain.last_seq == bindparam("old_seq"))
            .values(last_seq=bindparam("new_seq"), last_hash=bindparam("new_hash"))
        )
        result = self.session.connection().execute(stmt, moved)
        dialect = self.session.get_bind().dialect
        sane = dialect.supports_sane_multi_rowcount if len(moved) > 1 else True
        if sane and result.rowcount != len(moved):
            raise ConcurrentChange("audit log")


def read_chain_rows(session: Session, chain: str | None = None) -> Iterator[StoredEvent]:
    """Events in chain order, with the time in stored text form, streamed."""
    t = table(AuditEvent)
    stmt = select(
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
    )
    if chain is not None:
        stmt = stmt.where(t.c.chain == chain)
    stmt = stmt.order_by(t.c.chain, t.c.seq)
    result = session.connection().execution_options(yield_per=5000).execute(stmt)
    for row in result:
        yield StoredEvent(row[0], row[1], row[2], time_text(row[3]), *row[4:])


def chain_heads(session: Session) -> dict[str, tuple[int, str]]:
    return {
        k: (s, h)
        for k, s, h in session.execute(
            select(AuditChain.key, AuditChain.last_seq, AuditChain.last_hash)
        )
    }
