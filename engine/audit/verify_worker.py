"""One share of ``audit verify``, in a process of its own that imports almost nothing.

``engine.audit.log`` starts one of these per share of the log: ``python -m
engine.audit.verify_worker`` reading its task as JSON on stdin — the database (a SQLite
file, or a PostgreSQL connection string; never on the command line, which others can read)
and a range of event ids — and answering as JSON on stdout. It reads only its range
(the primary key's order), so n processes read the log once between them, and it starts in
a fraction of a second (the driver, hashlib and the chain rules; no SQLAlchemy, no
settings, no app). Each chain is checked from its first event in the range on; where the
shares meet, the parent checks that each share picks up where the one before left off.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from engine.domain.audit.chain import row_hash

#: The hash input as the database writes it (``engine.db.audit_store``'s, for each driver).
_PAYLOAD = {
    "sqlite": (
        "CAST(json_array(chain, seq, at, actor_id, actor_label, on_behalf_of_id, action, "
        "subject_type, subject_id, unit_id, data, prev_hash) AS BLOB)"
    ),
    "postgresql": (
        "convert_to('[' || to_json(chain)::text || ',' || seq::text || ',' || "
        "to_json(to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'))::text || ',' || "
        "coalesce(actor_id::text, 'null') || ',' || to_json(actor_label)::text || ',' || "
        "coalesce(on_behalf_of_id::text, 'null') || ',' || to_json(action)::text || ',' || "
        "to_json(subject_type)::text || ',' || to_json(subject_id)::text || ',' || "
        "coalesce(unit_id::text, 'null') || ',' || to_json(data)::text || ',' || "
        "to_json(prev_hash)::text || ']', 'UTF8')"
    ),
}
_FIELDS = {
    "sqlite": "id, chain, seq, at, actor_id, actor_label, on_behalf_of_id, action, "
    "subject_type, subject_id, unit_id, data, prev_hash, hash",
    "postgresql": "id, chain, seq, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'), actor_id, "
    "actor_label, on_behalf_of_id, action, subject_type, subject_id, unit_id, data, "
    "prev_hash, hash",
}


def _connect(kind: str, target: str) -> Any:
    if kind == "sqlite":
        import sqlite3

        return sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    import psycopg

    return psycopg.connect(target)


def verify_range(kind: str, target: str, lo: int, hi: int, batch: int = 20_000) -> dict[str, Any]:
    """The events with ``lo < id <= hi``: per chain where it starts in the range (id, seq,
    prev_hash), where it ends (next seq, last hash), and its first break, if any, with
    where the chain stood before it (``before``; None: at its first event in the range)."""
    from hashlib import sha256

    conn = _connect(kind, target)
    mark = "?" if kind == "sqlite" else "%s"
    firsts: dict[str, tuple[int, int, str]] = {}
    state: dict[str, tuple[int, str]] = {}
    broken: dict[str, tuple[int, int | None, str, str]] = {}
    before: dict[str, tuple[int, str] | None] = {}
    count = 0
    try:
        cur = conn.cursor()
        cur.execute(
            f"SELECT id, chain, seq, {_PAYLOAD[kind]}, prev_hash, hash FROM audit_event "
            f"WHERE id > {mark} AND id <= {mark} ORDER BY id",
            (lo, hi),
        )
        get = state.get
        while rows := cur.fetchmany(batch):
            for ev_id, chain, seq, payload, prev, h in rows:
                count += 1
                known = get(chain)
                if known is None:
                    if chain in broken:
                        continue
                    firsts[chain] = (ev_id, seq, prev)
                    known = (seq, prev)
                expected, last = known
                if seq == expected and prev == last and sha256(payload).hexdigest() == h:
                    state[chain] = (seq + 1, h)
                    continue
                if chain in broken:
                    continue
                if seq != expected:
                    brk = (
                        expected,
                        None,
                        "removed",
                        f"event {expected} is missing (next found: {seq})",
                    )
                elif prev != last:
                    brk = (seq, ev_id, "altered", "does not point at the previous event's hash")
                else:
                    fields = conn.cursor()
                    fields.execute(
                        f"SELECT {_FIELDS[kind]} FROM audit_event WHERE id = {mark}", (ev_id,)
                    )
                    row = fields.fetchone()
                    if row is not None and row_hash(*row[1:13]) == h:
                        state[chain] = (seq + 1, h)
                        continue
                    brk = (seq, ev_id, "altered", "content does not match its hash")
                broken[chain] = brk
                before[chain] = state.pop(chain, None)
    finally:
        conn.close()
    return {
        "count": count,
        "firsts": firsts,
        "ends": state,
        "breaks": broken,
        "before": before,
    }


def main() -> None:
    task = json.load(sys.stdin)
    out = verify_range(task["kind"], task["target"], int(task["lo"]), int(task["hi"]))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
