"""audit chain heads checked and advanced once per bulk append, not once per event

Revision ID: 0014s
Revises: 0014b
Create Date: 2026-12-01

Migration 0006 checks every inserted event against its chain's head and advances the head,
row by row; with 100,000 events in one sweep that trigger alone is seconds of work. A bulk
append now has the same check made once for the whole batch, set-based:

* PostgreSQL: a statement-level trigger with the statement's new rows (a transition
  table) checks that each chain's new events are numbered on from its head, in insertion
  order, without a gap, and advances the heads with one guarded update. It acts when the
  transaction has set ``samflow.audit_bulk`` to ``on`` (``engine.db.audit_store``); the row
  trigger acts otherwise. Either way one of the two checks every event.
* SQLite (no statement-level triggers): while a row of ``audit_bulk`` exists the row
  trigger stands aside; deleting that row runs the same check over the events written
  since it was inserted (``from_id``) and advances the heads, or aborts.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014s"
down_revision: str | None = "0014b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Migration 0006's row trigger on SQLite (restored by the downgrade).
SQLITE_ROW_0006 = """
    CREATE TRIGGER audit_event_advance_head AFTER INSERT ON audit_event
    BEGIN
        SELECT RAISE(ABORT, 'audit chain head moved')
        WHERE EXISTS (SELECT 1 FROM audit_chain
                      WHERE key = NEW.chain AND last_seq <> NEW.seq - 1)
           OR (NEW.seq <> 1 AND NOT EXISTS (SELECT 1 FROM audit_chain WHERE key = NEW.chain));
        INSERT INTO audit_chain (key, last_seq, last_hash) VALUES (NEW.chain, NEW.seq, NEW.hash)
        ON CONFLICT (key) DO UPDATE SET last_seq = excluded.last_seq,
                                        last_hash = excluded.last_hash;
    END
"""

SQLITE = [
    "DROP TRIGGER audit_event_advance_head",
    """
    CREATE TRIGGER audit_event_advance_head AFTER INSERT ON audit_event
    WHEN NOT EXISTS (SELECT 1 FROM audit_bulk)
    BEGIN
        SELECT RAISE(ABORT, 'audit chain head moved')
        WHERE EXISTS (SELECT 1 FROM audit_chain
                      WHERE key = NEW.chain AND last_seq <> NEW.seq - 1)
           OR (NEW.seq <> 1 AND NOT EXISTS (SELECT 1 FROM audit_chain WHERE key = NEW.chain));
        INSERT INTO audit_chain (key, last_seq, last_hash) VALUES (NEW.chain, NEW.seq, NEW.hash)
        ON CONFLICT (key) DO UPDATE SET last_seq = excluded.last_seq,
                                        last_hash = excluded.last_hash;
    END
    """,
    """
    CREATE TRIGGER audit_bulk_close AFTER DELETE ON audit_bulk
    BEGIN
        SELECT RAISE(ABORT, 'audit chain head moved')
        WHERE EXISTS (
            SELECT 1 FROM (
                SELECT chain, seq,
                       first_value(seq) OVER w AS lo, row_number() OVER w AS k
                  FROM audit_event WHERE id > OLD.from_id
                WINDOW w AS (PARTITION BY chain ORDER BY id)
            ) AS x LEFT JOIN audit_chain AS h ON h.key = x.chain
            WHERE x.seq <> x.lo + x.k - 1 OR x.lo <> coalesce(h.last_seq, 0) + 1
        );
        INSERT INTO audit_chain (key, last_seq, last_hash)
        SELECT chain, seq, hash FROM audit_event
         WHERE id IN (SELECT max(id) FROM audit_event WHERE id > OLD.from_id GROUP BY chain)
        ON CONFLICT (key) DO UPDATE SET last_seq = excluded.last_seq,
                                        last_hash = excluded.last_hash;
    END
    """,
]

POSTGRESQL = [
    "DROP TRIGGER audit_event_advance_head ON audit_event",
    """
    CREATE TRIGGER audit_event_advance_head AFTER INSERT ON audit_event
    FOR EACH ROW
    WHEN (current_setting('samflow.audit_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION audit_event_advance_head()
    """,
    """
    CREATE FUNCTION audit_event_advance_heads() RETURNS trigger AS $$
    DECLARE
        moved bigint;
        expected bigint;
    BEGIN
        IF current_setting('samflow.audit_bulk', true) IS DISTINCT FROM 'on' THEN
            RETURN NULL;  -- the row trigger checked each event
        END IF;
        IF EXISTS (
            SELECT 1 FROM (
                SELECT seq, first_value(seq) OVER w AS lo, row_number() OVER w AS k
                  FROM new_events WINDOW w AS (PARTITION BY chain ORDER BY id)
            ) AS x WHERE x.seq <> x.lo + x.k - 1
        ) THEN
            RAISE EXCEPTION 'audit chain head moved' USING ERRCODE = '40001';
        END IF;
        WITH ends AS (
            SELECT DISTINCT ON (chain)
                   chain, min(seq) OVER (PARTITION BY chain) AS lo, seq AS hi, hash
              FROM new_events ORDER BY chain, id DESC
        ), up AS (
            UPDATE audit_chain AS h SET last_seq = e.hi, last_hash = e.hash
              FROM ends AS e
             WHERE h.key = e.chain AND e.lo > 1 AND h.last_seq = e.lo - 1
            RETURNING 1
        ), made AS (
            INSERT INTO audit_chain (key, last_seq, last_hash)
            SELECT chain, hi, hash FROM ends WHERE lo = 1
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM ends WHERE lo > 1)
          INTO moved, expected;
        IF moved <> expected THEN
            RAISE EXCEPTION 'audit chain head moved' USING ERRCODE = '40001';
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_event_advance_heads AFTER INSERT ON audit_event
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_advance_heads()
    """,
]


def upgrade() -> None:
    op.create_table(
        "audit_bulk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_bulk")),
    )
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_bulk_close")
        op.execute("DROP TRIGGER IF EXISTS audit_event_advance_head")
        op.execute(SQLITE_ROW_0006)
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_advance_heads ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_advance_heads()")
        op.execute("DROP TRIGGER IF EXISTS audit_event_advance_head ON audit_event")
        op.execute(
            "CREATE TRIGGER audit_event_advance_head AFTER INSERT ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_advance_head()"
        )
    op.drop_table("audit_bulk")
