"""Verifying the audit log, and reading it back."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import func, make_url, select

from engine.context import App, Progress, no_progress
from engine.db.audit_store import chain_heads, event_row, payload_batches
from engine.db.models import AuditEvent
from engine.db.session import Database, normalise_url
from engine.domain.audit.chain import (
    GENESIS,
    Break,
    VerifyResult,
    close_chains,
    verify_payloads,
)


def verify(
    app: App,
    *,
    chain: str | None = None,
    progress: Progress = no_progress,
    workers: int | None = None,
) -> VerifyResult:
    """Recompute every hash; report the first break of each chain (altered or removed).

    Each event's hash input is written by the database (``payload_batches``), so only the
    SHA-256 is left in Python. With ``workers`` > 1 (default:
    ``Settings.audit_verify_workers``; 0: ``auto_workers()``) and a large log, the log is
    cut into that many ranges of event ids, each verified by a light process of its own,
    and the ranges stitched together — for a database file or server, not ``:memory:``."""
    n = app.settings.audit_verify_workers if workers is None else workers
    n = n or auto_workers()
    with app.read() as s:
        total = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
    url = app.settings.database_url
    if n > 1 and chain is None and total >= PARALLEL_FROM and ":memory:" not in url:
        return _verify_parallel(url, n, total, progress)
    with app.read() as s:
        heads = chain_heads(s)
        if chain is not None:
            heads = {k: v for k, v in heads.items() if k == chain}
        rows = itertools.chain.from_iterable(_counting(payload_batches(s, chain), total, progress))
        count, chains, breaks = verify_payloads(rows, heads, partial(event_row, s))
    progress(count, total, "verify")
    return VerifyResult(chains=len(chains), events=count, breaks=breaks)


def auto_workers() -> int:
    """One process per core this process may use, at most ``MAX_AUTO_WORKERS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_AUTO_WORKERS))


#: The most processes chosen by themselves: beyond that the database's reads, not the
#: hashing, set the pace, and a verify should not take over a shared host.
MAX_AUTO_WORKERS = 4

#: Below this many events one process verifies (starting another costs a tenth of a second
#: or so; on a small log that is most of the work).
PARALLEL_FROM = 200_000


def _verify_parallel(url: str, n: int, total: int, progress: Progress) -> VerifyResult:
    """The log cut into ``n`` ranges of event ids, each verified by a light process of its
    own (``engine.audit.verify_worker``: started with the interpreter, not a copy of this
    one, so in a fraction of a second; each reads only its range). Where two ranges meet,
    each chain must pick up exactly where the range before left it: the same first break
    per chain as one process finds."""
    db = Database.connect(url)
    try:
        with db.read() as s:
            heads = chain_heads(s)
            lo, hi = s.execute(select(func.min(AuditEvent.id), func.max(AuditEvent.id))).one()
    finally:
        db.dispose()
    if lo is None:
        return VerifyResult(chains=0, events=0, breaks=close_chains({}, {}, heads)[1])
    cuts = [lo - 1 + (hi - lo + 1) * i // n for i in range(n + 1)]
    task = _worker_target(url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "engine.audit.verify_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    shares: list[dict[str, Any]] = []
    try:
        for proc, a, b in zip(procs, cuts, cuts[1:], strict=False):
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({**task, "lo": a, "hi": b}))
            proc.stdin.close()
        done = 0
        for proc in procs:
            assert proc.stdout is not None
            out = proc.stdout.read()
            if proc.wait() != 0:
                raise RuntimeError(f"audit verify: a worker process failed ({proc.returncode})")
            shares.append(json.loads(out))
            done += shares[-1]["count"]
            progress(done, total, "verify")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
    count, state, broken = _stitch(shares)
    chains, breaks = close_chains(state, broken, heads)
    return VerifyResult(chains=len(chains), events=count, breaks=breaks)


def _worker_target(url: str) -> dict[str, str]:
    """What a worker connects to, for its driver (sent on stdin, never as an argument)."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() == "sqlite":
        return {"kind": "sqlite", "target": str(u.database)}
    return {
        "kind": "postgresql",
        "target": u.set(drivername="postgresql").render_as_string(hide_password=False),
    }


def _stitch(
    shares: list[dict[str, Any]],
) -> tuple[int, dict[str, tuple[int, str]], dict[str, Break]]:
    """The shares' findings, in id order, as one pass over the whole log would have them:
    (events, where each chain stands, first break per chain)."""
    state: dict[str, tuple[int, str]] = {}
    broken: dict[str, Break] = {}
    count = 0
    for share in shares:
        count += share["count"]
        for chain, (ev_id, seq, prev) in share["firsts"].items():
            if chain in broken:
                continue
            expected, last = state.get(chain, (1, GENESIS))
            if seq != expected:
                broken[chain] = Break(
                    chain,
                    expected,
                    None,
                    "removed",
                    f"event {expected} is missing (next found: {seq})",
                )
            elif prev != last:
                broken[chain] = Break(
                    chain, seq, ev_id, "altered", "does not point at the previous event's hash"
                )
            elif chain in share["breaks"]:
                b_seq, b_id, kind, detail = share["breaks"][chain]
                broken[chain] = Break(chain, b_seq, b_id, kind, detail)
                was = share["before"][chain]
                if was is not None:
                    state[chain] = (was[0], was[1])
            else:
                end = share["ends"][chain]
                state[chain] = (end[0], end[1])
    return count, state, broken


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
