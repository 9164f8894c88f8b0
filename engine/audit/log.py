"""Verifying the audit log, and reading it back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.context import App, Progress, no_progress
from engine.db.audit_store import chain_heads, raw_rows
from engine.db.models import AuditEvent
from engine.domain.audit.chain import VerifyResult, verify_rows


def verify(
    app: App,
    *,
    chain: str | None = None,
    progress: Progress = no_progress,
) -> VerifyResult:
    """Recompute every hash; report the first break of each chain (altered or removed)."""
    with app.read() as s:
        total = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
        heads = chain_heads(s)
        if chain is not None:
            heads = {k: v for k, v in heads.items() if k == chain}
        rows = _counting(raw_rows(s, chain), total, progress)
        count, chains, breaks = verify_rows(rows, heads)
    progress(count, total, "verify")
    return VerifyResult(chains=len(chains), events=count, breaks=breaks)


def _counting(
    rows: Iterator[tuple[Any, ...]], total: int, progress: Progress
) -> Iterator[tuple[Any, ...]]:
    for i, row in enumerate(rows, 1):
        if i % 100_000 == 0:
            progress(i, total, "verify")
        yield row


@dataclass(frozen=True)
class EventView:
    id: int
    chain: str
    seq: int
    at: datetime
    actor_id: int | None
    actor_label: str
    on_behalf_of_id: int | None
    action: str
    subject_type: str
    subject_id: str
    unit_id: int | None
    data: str
    hash: str


def events(app: App, *, chain: str | None = None, limit: int = 500) -> list[EventView]:
    with app.read() as s:
        stmt = select(AuditEvent)
        if chain is not None:
            stmt = stmt.where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        else:
            stmt = stmt.order_by(AuditEvent.id.desc())
        return [_view(e) for e in s.scalars(stmt.limit(limit))]


def _view(e: AuditEvent) -> EventView:
    return EventView(
        e.id,
        e.chain,
        e.seq,
        e.at,
        e.actor_id,
        e.actor_label,
        e.on_behalf_of_id,
        e.action,
        e.subject_type,
        e.subject_id,
        e.unit_id,
        e.data,
        e.hash,
    )
