"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from engine.db.all_models import Base
from engine.db.migrate import downgrade, head_revision, is_current, upgrade
from engine.db.session import normalise_url


def test_migrations_match_models(db_url: str) -> None:
    engine = create_engine(normalise_url(db_url))
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == []
    assert is_current(db_url)


def test_downgrade_and_upgrade_again(sqlite_url: str) -> None:
    downgrade(sqlite_url, "base")
    assert not is_current(sqlite_url)
    upgrade(sqlite_url)
    assert is_current(sqlite_url) and head_revision() is not None
