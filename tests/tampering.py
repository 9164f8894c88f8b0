"""Tampering with the database as an attacker with database rights would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from engine.services.context import App


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
