"""The web app's commands: passwords, API tokens, serve, and the demo's logins."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from cli.main import main
from engine.accounts import signin as accounts
from engine.accounts import tokens
from engine.context import App
from engine.domain.errors import NotAuthenticated
from tests.factories import build_org


def test_set_password_from_stdin_then_sign_in(
    sqlite_app: App,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_org(sqlite_app)
    monkeypatch.setattr(sys, "stdin", io.StringIO("ett-långt-lösenord\n"))
    assert main(["--db", sqlite_url, "user", "set-password", "m1@x.se", "--password-stdin"]) == 0
    assert "password set for m1@x.se" in capsys.readouterr().out
    assert (
        accounts.sign_in(sqlite_app, "m1@x.se", "ett-långt-lösenord").principal.email == "m1@x.se"
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("kort\n"))
    assert main(["--db", sqlite_url, "user", "set-password", "m1@x.se", "--password-stdin"]) == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO("ett-långt-lösenord\n"))
    assert main(["--db", sqlite_url, "user", "set-password", "nobody@x.se"]) == 3


def test_set_password_can_revoke_the_persons_api_tokens(
    sqlite_app: App,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_org(sqlite_app)
    assert main(["--db", sqlite_url, "token", "create", "m1@x.se"]) == 0
    secret = capsys.readouterr().out.splitlines()[0]
    monkeypatch.setattr(sys, "stdin", io.StringIO("ett-långt-lösenord\n"))
    argv = ["--db", sqlite_url, "user", "set-password", "m1@x.se", "--password-stdin"]
    assert main([*argv, "--revoke-tokens"]) == 0
    assert "1 API token revoked" in capsys.readouterr().out
    with pytest.raises(NotAuthenticated):
        tokens.token_principal(sqlite_app, secret)


def test_token_create_prints_a_working_token(
    sqlite_app: App, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    build_org(sqlite_app)
    assert main(["--db", sqlite_url, "token", "create", "hr@x.se", "--name", "HR-system"]) == 0
    secret = capsys.readouterr().out.splitlines()[0]
    assert tokens.token_principal(sqlite_app, secret).email == "hr@x.se"
    assert main(["--db", sqlite_url, "token", "create", "hr@x.se", "--days", "0"]) == 2


def test_serve_refuses_an_old_schema(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    assert main(["--db", url, "serve", "--port", "0"]) == 2
    assert "samflow db upgrade" in capsys.readouterr().err


def test_the_web_app_does_not_import_prefect() -> None:
    """Prefect reconfigures logging when imported and silences uvicorn's logs."""
    code = (
        "import sys; from api.app import create_app; from cli import main; "
        "from engine.settings import Settings; create_app(Settings(database_url='sqlite://')); "
        "print('prefect' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_demo_gives_every_login_a_password(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    assert main(["--db", url, "demo", "--no-serve", "--password", "demo-lösenord-1"]) == 0
    out = capsys.readouterr().out
    assert "demo-lösenord-1" in out and "hr@exempelby.se" in out and "direktor@exempelby.se" in out
    assert main(["--db", url, "demo", "--no-serve"]) == 0  # again: new passwords, same demo
    again = capsys.readouterr().out
    assert "exists already" in again and "hr@exempelby.se" in again
