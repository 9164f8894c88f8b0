"""Tampering with the database as an attacker with database rights would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from engine.context import App
from engine.db.audit_store import raw_rows
from engine.domain.audit.chain import GENESIS, row_hash


@contextmanager
def unprotected_audit(app: App) -> Iterator[None]:
    """Switch off the append-only triggers on the audit log (restored afterwards: the
    PostgreSQL test database is shared by the session; each SQLite test has its own file,
    where the triggers are dropped)."""
    with app.db.engine.begin() as c:
        if app.db.dialect == "sqlite":
            c.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
            c.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_delete")
        else:
            c.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    try:
        yield
    finally:
        if app.db.dialect == "postgresql":
            with app.db.engine.begin() as c:
                c.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


def newest_event_removed(app: App, chain: str) -> int:
    """Delete a chain's newest event and move its head back to the one before, as someone
    covering their tracks would (the triggers dropped first). Returns the removed seq."""
    with unprotected_audit(app), app.db.engine.begin() as c:
        seq, prev = c.execute(
            text("SELECT seq, prev_hash FROM audit_event WHERE chain = :c ORDER BY seq DESC"),
            {"c": chain},
        ).first() or (0, "")
        c.execute(
            text("DELETE FROM audit_event WHERE chain = :c AND seq = :s"), {"c": chain, "s": seq}
        )
        c.execute(
            text("UPDATE audit_chain SET last_seq = :s, last_hash = :h WHERE key = :c"),
            {"s": seq - 1, "h": prev, "c": chain},
        )
    return int(seq)


def event_edited_and_chain_recomputed(app: App, chain: str, seq: int, label: str) -> None:
    """Change one event (its actor's label) and recompute every hash from it to the head,
    and the head itself: the chain holds together again."""
    with app.read() as s:
        rows = list(raw_rows(s, chain))
    prev = GENESIS
    with unprotected_audit(app), app.db.engine.begin() as c:
        for r in sorted(rows, key=lambda r: r[2]):
            ev_id, ch, n, at, actor, old_label, obo, action, st, sid, unit, data, _, _ = r
            new_label = label if n == seq else old_label
            digest = row_hash(ch, n, at, actor, new_label, obo, action, st, sid, unit, data, prev)
            if n >= seq:
                c.execute(
                    text(
                        "UPDATE audit_event SET actor_label = :l, prev_hash = :p, hash = :h "
                        "WHERE id = :i"
                    ),
                    {"l": new_label, "p": prev, "h": digest, "i": ev_id},
                )
            prev = digest
        c.execute(
            text("UPDATE audit_chain SET last_hash = :h WHERE key = :c"), {"h": prev, "c": chain}
        )
