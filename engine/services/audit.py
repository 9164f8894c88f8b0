"""Verifying the audit log, and reading it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.db.audit_store import chain_heads, read_chain_rows
from engine.db.models import AuditEvent
from engine.domain.audit import Break, VerifyResult, group_by_chain, verify_chain
from engine.services.context import App, Progress, no_progress


def verify(
    app: App,
    *,
    chain: str | None = None,
    progress: Progress = no_progress,
    stop_at_first: bool = False,
) -> VerifyResult:
    """Recompute every hash; report the first break of each chain (altered or removed)."""
    result = VerifyResult(breaks=[])
    assert result.breaks is not None
    with app.read() as s:
        total = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
        heads = chain_heads(s)
        seen_chains: set[str] = set()
        for name, events in group_by_chain(read_chain_rows(s, chain)):
            seen_chains.add(name)
            count, brk = verify_chain(name, events, heads.get(name))
            result.chains += 1
            result.events += count
            if brk is not None:
                result.breaks.append(brk)
                if stop_at_first:
                    break
            if result.chains % 1000 == 0:
                progress(result.events, total, "verify")
        for name, (seq, _) in sorted(heads.items()):
            if (chain is None or name == chain) and name not in seen_chains and seq > 0:
                result.breaks.append(
                    Break(name, 1, None, "removed", f"all {seq} events of the chain are missing")
                )
    progress(result.events, total, "verify")
    return result


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
