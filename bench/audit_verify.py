"""Verify the audit log's hash chains (target ≥ 200,000 events/s).

Builds 1,000,000 events through the real bulk audit writer (``append_many``, the sweep's:
canonical JSON, chained SHA-256, heads advanced by the database trigger) spread over
3,000 cycle chains, then times ``audit.verify`` recomputing every hash.
"""

from __future__ import annotations

import itertools
import random
import resource
import time
from typing import Any

from bench.common import fresh_app, machine, parser
from engine.audit import log as audit
from engine.db.audit_store import AuditLog, Pending, append_many, chain_heads, raw_batches
from engine.domain.audit.chain import EventContent, canonical_json, verify_rows

DATA = canonical_json({"key": "employee_survey", "input": {"answered": 12, "motivation": 74.0}})


def measure(
    db: str | None = None, events: int = 1_000_000, chains: int = 3000, workers: int = 1
) -> dict[str, Any]:
    app = fresh_app(db)
    rng = random.Random(5)
    t = time.perf_counter()
    left = events
    while left > 0:
        n = min(left, 50_000)
        with app.db.write() as s:
            log = AuditLog(s)
            content = [
                (
                    rng.randrange(chains),
                    rng.randrange(10**6),
                    rng.randrange(5000),
                )
                for _ in range(n)
            ]
            append_many(
                log,
                [
                    Pending(
                        f"cycle:{chain}",
                        EventContent(
                            action="task.completed",
                            subject_type="task",
                            subject_id=str(subject),
                            at=app.clock.now(),
                            actor_id=actor,
                            actor_label="someone@bench.se",
                            on_behalf_of_id=None,
                            unit_id=chain,
                            data_json=DATA,
                        ),
                    )
                    for chain, subject, actor in content
                ],
            )
        left -= n
    print(f"wrote {events} events in {time.perf_counter() - t:.1f} s")
    out: dict[str, Any] = {}
    for n in sorted({1, workers}):
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        t, cpu = time.perf_counter(), time.process_time()
        result = audit.verify(app, workers=n)
        elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_kids = (after.ru_utime + after.ru_stime) - (kids.ru_utime + kids.ru_stime)
        print(
            f"verified {result.events} events in {result.chains} chains in {elapsed:.2f} s "
            f"with {n} process(es): {result.events / elapsed:,.0f} events/s "
            f"({cpu + cpu_kids:.2f} s CPU with the workers'), ok={result.ok}  "
            f"[{app.db.dialect}, {machine()}]"
        )
        out[str(n)] = {
            "per_second": result.events / elapsed,
            "seconds": elapsed,
            "cpu_seconds": cpu,  # of this process only
            "cpu_seconds_workers": cpu_kids,  # of the worker processes (SQLite works in them)
            "per_cpu_second": result.events / max(cpu + cpu_kids, 1e-9),
            "events": result.events,
            "chains": result.chains,
            "ok": result.ok,
        }
    # The same run's reference: the hash input built in Python from the stored fields (the
    # way before issue 14 part 5), one process, CPU of this process (SQLite works in it).
    with app.read() as s:
        heads = chain_heads(s)
        cpu = time.process_time()
        count, _, breaks = verify_rows(itertools.chain.from_iterable(raw_batches(s)), heads)
        cpu = time.process_time() - cpu
    out["1"]["per_cpu_second_python_payload"] = count / cpu
    print(
        f"reference, hash input built in Python: {count / cpu:,.0f} events per CPU second "
        f"(database-built: {out['1']['per_cpu_second']:,.0f}), ok={not breaks}"
    )
    return out


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--chains", type=int, default=3000)
    p.add_argument("--workers", type=int, default=2, help="also time this many processes")
    args = p.parse_args()
    measure(args.db, args.events, args.chains, args.workers)


if __name__ == "__main__":
    main()
