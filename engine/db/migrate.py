"""Run the Alembic migrations shipped inside the package (``samflow db upgrade``).

Every command that opens the database first asks whether the schema is current. That check
reads the revision files and the ``alembic_version`` table itself, without importing
Alembic (a third of a second of CPU), so the command line starts quickly; upgrading and
downgrading go through Alembic. ``head_revision`` imports not even SQLAlchemy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from engine.db.engine import create_db_engine, normalise_url

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^revision(?:\s*:[^=\n]+)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=\n]+)?\s*=\s*(.+)$", re.MULTILINE)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The one revision no other revision builds on (None if there are none, or several:
    then the schema is never "current" and ``samflow db upgrade`` reports the branches)."""
    revisions: set[str] = set()
    below: set[str] = set()
    for f in (MIGRATIONS / "versions").glob("*.py"):
        source = f.read_text("utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found[1])
        down = _DOWN.search(source)
        if down is not None:
            below.update(re.findall(r"[\"']([^\"']+)[\"']", down[1]))
    heads = revisions - below
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def is_current(url: str) -> bool:
    engine = create_db_engine(url)
    try:
        return is_current_on(engine)
    finally:
        engine.dispose()


def is_current_on(engine: Engine) -> bool:
    """Is the schema behind this engine at the head revision?"""
    head = head_revision()
    return head is not None and current_revision(engine) == head
