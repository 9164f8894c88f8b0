"""Verify the audit log's hash chains (target ≥ 200,000 events/s).

Builds 1,000,000 events through the real audit writer (the same code every use case
uses: canonical JSON, chained SHA-256, heads advanced by the database trigger) spread over
3,000 cycle chains, then times ``audit.verify`` recomputing every hash.
"""

from __future__ import annotations

import random
import time

from bench.common import fresh_app, machine, parser
from engine.audit import log as audit
from engine.db.audit_store import AuditLog


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--chains", type=int, default=3000)
    args = p.parse_args()
    app = fresh_app(args.db)
    rng = random.Random(5)
    t = time.perf_counter()
    left = args.events
    while left > 0:
        n = min(left, 50_000)
        with app.db.write() as s:
            log = AuditLog(s)
            for _ in range(n):
                chain = rng.randrange(args.chains)
                log.record(
                    f"cycle:{chain}",
                    "task.completed",
                    "task",
                    rng.randrange(10**6),
                    at=app.clock.now(),
                    actor_id=rng.randrange(5000),
                    actor_label="someone@bench.se",
                    unit_id=chain,
                    data={"key": "employee_survey", "input": {"answered": 12, "motivation": 74.0}},
                )
            log.flush()
        left -= n
    print(f"wrote {args.events} events in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    result = audit.verify(app)
    elapsed = time.perf_counter() - t
    print(
        f"verified {result.events} events in {result.chains} chains in {elapsed:.2f} s: "
        f"{result.events / elapsed:,.0f} events/s, ok={result.ok}  "
        f"[{app.db.dialect}, {machine()}]"
    )


if __name__ == "__main__":
    main()
