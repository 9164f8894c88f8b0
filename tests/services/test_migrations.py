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


def test_the_quick_schema_check_agrees_with_alembic(sqlite_url: str) -> None:
    """``is_current`` reads the revision files and the version table without Alembic (for a
    quick start of the command line); it must see what Alembic sees."""
    from alembic.script import ScriptDirectory

    from engine.db.migrate import alembic_config, current_revision

    assert (
        head_revision()
        == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    )
    engine = create_engine(normalise_url(sqlite_url))
    try:
        with engine.connect() as conn:
            assert (
                current_revision(engine) == MigrationContext.configure(conn).get_current_revision()
            )
        downgrade(sqlite_url, "0002")
        assert current_revision(engine) == "0002" and not is_current(sqlite_url)
    finally:
        engine.dispose()
