"""``samflow flows ...``: registered through the entry point, runnable without Prefect."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from engine.context import App
from tests.factories import build_org
from tests.flows.conftest import Mailbox


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(list(argv)) == 0
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def test_flows_commands_come_from_the_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["flows", "run", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "{annual,sweep,notify,digest}" in out and "--direct" in out


def test_direct_runs_start_the_year_sweep_and_mail_the_digest_once(
    app: App,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_org(app)
    monkeypatch.setenv("SAMFLOW_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("SAMFLOW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SAMFLOW_SMTP_PORT", str(mailbox.port))
    started = run(capsys, "flows", "run", "annual", "--year", "2027", "--direct")
    assert started["started"] == 4 and started["failed_batches"] == []
    swept = run(capsys, "flows", "run", "sweep", "--direct")
    assert set(swept) == {"sweep", "mail"}
    assert run(capsys, "flows", "run", "digest", "--direct")["mails"] == 4
    assert run(capsys, "flows", "run", "digest", "--direct")["mails"] == 0
    assert len({r for rcpt, _ in mailbox.messages for r in rcpt}) == 4
