"""The page templates as the web app holds them: read and compiled once per process unless
``Settings.templates_reload`` asks for them to be looked at again (development)."""

from __future__ import annotations

from pathlib import Path

from api.app import create_app
from engine.settings import Settings
from forms import render


def test_templates_are_read_once_unless_developing_them(tmp_path: Path) -> None:
    """``Settings.templates_reload`` decides whether a page looks at its template's file
    again (development) or keeps what it compiled (production: no stat per page)."""
    assert all(env.auto_reload for env in render.environments().values())
    for reload in (False, True):
        app = create_app(
            Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", templates_reload=reload)
        )
        assert [env.auto_reload for env in app.state.jinja.values()] == [reload, reload]
        app.state.engine.db.dispose()
    assert Settings().templates_reload is False
