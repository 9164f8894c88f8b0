"""Verifying the audit log, and reading it back."""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.context import App, Progress, no_progress
from engine.db.audit_store import chain_heads, chain_part, raw_batches
from engine.db.models import AuditEvent
from engine.db.session import Database
from engine.domain.audit.chain import Break, VerifyResult, verify_rows


def verify(
    app: App,
    *,
    chain: str | None = None,
    progress: Progress = no_progress,
    workers: int | None = None,
) -> VerifyResult:
    """Recompute every hash; report the first break of each chain (altered or removed).

    With ``workers`` > 1 (default: ``Settings.audit_verify_workers``) and a large log, the
    chains are split over that many processes, each reading only its chains' events (a
    whole chain always in one process) — for a database file or server, not ``:memory:``."""
    n = app.settings.audit_verify_workers if workers is None else workers
    with app.read() as s:
        total = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
    url = app.settings.database_url
    if n > 1 and chain is None and total >= PARALLEL_FROM and ":memory:" not in url:
        return _verify_parallel(url, n, total, progress)
    with app.read() as s:
        heads = chain_heads(s)
        if chain is not None:
            heads = {k: v for k, v in heads.items() if k == chain}
        rows = itertools.chain.from_iterable(_counting(raw_batches(s, chain), total, progress))
        count, chains, breaks = verify_rows(rows, heads)
    progress(count, total, "verify")
    return VerifyResult(chains=len(chains), events=count, breaks=breaks)


#: Below this many events one process verifies (starting others costs about a second).
PARALLEL_FROM = 200_000


def _verify_parallel(url: str, n: int, total: int, progress: Progress) -> VerifyResult:
    context = multiprocessing.get_context("spawn")  # no fork: the caller may run threads
    with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
        futures = [pool.submit(_verify_part, url, i, n) for i in range(n)]
        count, chains, breaks = 0, 0, []
        for future in as_completed(futures):
            c, k, b = future.result()
            count, chains = count + c, chains + k
            breaks += b
            progress(count, total, "verify")
    return VerifyResult(chains=chains, events=count, breaks=sorted(breaks, key=lambda b: b.chain))


def _verify_part(url: str, i: int, n: int) -> tuple[int, int, list[Break]]:
    """One process's share: the chains of part ``i`` of ``n``, read and checked."""
    db = Database.connect(url)
    try:
        with db.read() as s:
            heads = {k: v for k, v in chain_heads(s).items() if chain_part(k, n) == i}
            rows = itertools.chain.from_iterable(raw_batches(s, part=(i, n)))
            count, chains, breaks = verify_rows(rows, heads)
        return count, len(chains), breaks
    finally:
        db.dispose()


def _counting(
    batches: Iterator[list[tuple[Any, ...]]], total: int, progress: Progress
) -> Iterator[list[tuple[Any, ...]]]:
    done = 0
    for batch in batches:
        yield batch
        done += len(batch)
        progress(done, total, "verify")


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
