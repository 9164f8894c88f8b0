"""audit log kept by the database: chain heads follow each insert; no update or delete

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-24

The head of each hash chain (last sequence number and hash) is advanced by a trigger on
every inserted event, refusing an event that does not follow the head. Updating or deleting
an audit event is refused outright: the log is append-only at the database level too (the
hash chain still shows tampering by anyone able to drop these triggers).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE = [
    """
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
    """,
    """
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
    """,
    """
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
    """,
]

POSTGRESQL = [
    """
    CREATE FUNCTION audit_event_advance_head() RETURNS trigger AS $$
    BEGIN
        UPDATE audit_chain SET last_seq = NEW.seq, last_hash = NEW.hash
         WHERE key = NEW.chain AND last_seq = NEW.seq - 1;
        IF NOT FOUND THEN
            IF NEW.seq <> 1 THEN
                RAISE EXCEPTION 'audit chain head moved' USING ERRCODE = '40001';
            END IF;
            INSERT INTO audit_chain (key, last_seq, last_hash) VALUES (NEW.chain, 1, NEW.hash);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_event_advance_head AFTER INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_advance_head()
    """,
    """
    CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only';
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
    """,
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("audit_event_advance_head", "audit_event_no_update", "audit_event_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_advance_head ON audit_event")
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_advance_head()")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
