"""Setting samflow up and running it: ``db``, ``serve``, ``user``, ``token``, ``demo``.

Serving imports the web framework, only when called."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.common import (
    Sub,
    app_of,
    command,
    group,
    settings_of,
)
from cli.console import Console
from engine.domain.errors import InvalidInput, SamflowError

if TYPE_CHECKING:
    from engine.context import App
    from engine.settings import Settings


def reg_db(sub: Sub) -> None:
    g = group(sub, "db", "database schema")
    command(g, "upgrade", "create or upgrade the database schema", cmd_db_upgrade)
    command(g, "status", "show whether the schema is current", cmd_db_status)
    p = command(g, "backup", "write a backup of the database to a new file", cmd_db_backup)
    p.add_argument("file", metavar="FILE", help="the backup file to create (never overwritten)")
    p = command(g, "restore", "restore a backup into a new, empty database", cmd_db_restore)
    p.add_argument("file", metavar="FILE", help="a file written by samflow db backup")


def cmd_db_upgrade(args: argparse.Namespace, c: Console) -> int:
    from engine.db import migrate

    url = settings_of(args).database_url
    migrate.upgrade(url)
    c.line(
        c.t(
            f"databasen är uppdaterad ({migrate.head_revision()})",
            f"database is up to date ({migrate.head_revision()})",
        )
    )
    return 0


def cmd_db_status(args: argparse.Namespace, c: Console) -> int:
    from engine.db import migrate

    url = settings_of(args).database_url
    current = migrate.is_current(url)
    c.line(f"head={migrate.head_revision()} current={'yes' if current else 'no'}")
    return 0 if current else 1


def _summary(c: Console, summary: Any) -> None:
    events = summary.audit_events
    c.line(
        c.t(
            f"  {summary.bytes} byte, sha256 {summary.sha256}",
            f"  {summary.bytes} bytes, sha256 {summary.sha256}",
        )
    )
    c.line(
        c.t(
            f"  schema {summary.revision or 'saknas'}, {events} "
            + ("händelse" if events == 1 else "händelser")
            + " i revisionsloggen",
            f"  schema {summary.revision or 'none'}, {events} audit "
            + ("event" if events == 1 else "events"),
        )
    )


def cmd_db_backup(args: argparse.Namespace, c: Console) -> int:
    from engine.db import backup

    summary = backup.backup(settings_of(args).database_url, Path(args.file))
    c.line(c.t(f"säkerhetskopian är skriven: {summary.path}", f"backup written: {summary.path}"))
    _summary(c, summary)
    return 0


def cmd_db_restore(args: argparse.Namespace, c: Console) -> int:
    from engine.db import backup, migrate

    url = settings_of(args).database_url
    summary = backup.restore(Path(args.file), url)
    c.line(c.t(f"återställd i {summary.path}", f"restored into {summary.path}"))
    _summary(c, summary)
    if summary.revision != migrate.head_revision():
        c.line(
            c.t(
                "  schemat är äldre än den här versionen: kör samflow db upgrade",
                "  the schema is older than this version: run samflow db upgrade",
            )
        )
    c.line(
        c.t(
            "  kontrollera: samflow audit verify (och samflow evidence verify på ett utlämnat "
            "paket)",
            "  check it: samflow audit verify (and samflow evidence verify on a package "
            "handed out)",
        )
    )
    return 0


def reg_serve(sub: Sub) -> None:
    p = sub.add_parser("serve", help="serve the web app and the JSON API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (8000)")
    p.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace, c: Console) -> int:
    from engine.db import migrate

    settings = settings_of(args)
    if not migrate.is_current(settings.database_url):
        raise SamflowError(
            "the database schema is not up to date; run: samflow db upgrade",
            "databasens schema är inte uppdaterat; kör: samflow db upgrade",
        )
    return serve_app(settings, args.host, args.port, c)


def serve_app(settings: Settings, host: str, port: int, c: Console) -> int:
    """Run the app in uvicorn (one process; put several behind a proxy to scale out)."""
    import uvicorn

    from api import proxies
    from api.app import create_app

    proxies.trusted(settings)  # a bad SAMFLOW_TRUSTED_PROXIES stops here, before any work
    config = server_config(create_app(settings), settings, host, port)
    c.line(
        c.t(
            f"samflow körs på http://{host}:{port}/ (Ctrl-C avslutar)",
            f"samflow is serving on http://{host}:{port}/ (Ctrl-C stops)",
        )
    )
    uvicorn.Server(config).run()
    return 0


def server_config(
    app: Any, settings: Settings, host: str, port: int, *, log_level: str = "info"
) -> Any:
    """uvicorn's config for the app: which proxies' forwarded headers count comes from the
    settings (none by default), never from uvicorn's own default (trust loopback)."""
    import uvicorn

    from api import proxies
    from api.observability import log_config

    options = proxies.uvicorn_options(settings)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=log_config(settings.log_format, log_level),
        **options,
    )


def reg_user(sub: Sub) -> None:
    g = sub.add_parser("user", help="local accounts").add_subparsers(
        dest="user_command", required=True, metavar="COMMAND"
    )
    p = g.add_parser("set-password", help="set a person's password (asked for, or from stdin)")
    p.add_argument("email")
    p.add_argument("--password-stdin", action="store_true", help="read it from standard input")
    p.add_argument(
        "--revoke-tokens", action="store_true", help="also revoke the person's API tokens"
    )
    p.set_defaults(handler=cmd_set_password)


def cmd_set_password(args: argparse.Namespace, c: Console) -> int:
    from engine.accounts import signin as accounts
    from engine.context import Actor

    app = app_of(args)
    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(c.t("Nytt lösenord: ", "New password: "))
        if getpass.getpass(c.t("Igen: ", "Again: ")) != password:
            raise InvalidInput.field("password", "the passwords differ", "lösenorden är olika")
    ended = accounts.set_password(
        app, Actor.system("cli"), args.email, password, revoke_tokens=args.revoke_tokens
    )
    c.line(c.t(f"lösenordet är satt för {args.email}", f"password set for {args.email}"))
    if args.revoke_tokens:
        c.line(c.t(f"{ended.tokens} API-token återkallade", f"{ended.tokens} API tokens revoked"))
    return 0


def reg_token(sub: Sub) -> None:
    g = sub.add_parser("token", help="API tokens for integrations").add_subparsers(
        dest="token_command", required=True, metavar="COMMAND"
    )
    p = g.add_parser("create", help="create an API token acting as this person")
    p.add_argument("email")
    p.add_argument("--name", default="api", help="what the token is for")
    p.add_argument("--days", type=int, help="valid this many days (default: until revoked)")
    p.set_defaults(handler=cmd_token_create)


def cmd_token_create(args: argparse.Namespace, c: Console) -> int:
    from engine.accounts import tokens
    from engine.context import Actor

    app = app_of(args)
    secret, view = tokens.create_token(app, Actor.system("cli"), args.email, args.name, args.days)
    c.line(secret)
    c.line(
        c.t(
            f"(token #{view.id}; visas bara nu: spara den)",
            f"(token #{view.id}; shown only now: keep it safe)",
        )
    )
    return 0


def reg_demo(sub: Sub) -> None:
    p = command(
        sub, "demo", "build a demo organisation with a year in progress (and serve it)", cmd_demo
    )
    p.add_argument("--no-serve", action="store_true", help="build the demo, do not serve it")
    p.add_argument("--fresh", action="store_true", help="replace an existing demo database")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--password", help="password for every demo login (default: a new random one)")


def cmd_demo(args: argparse.Namespace, c: Console) -> int:
    from engine import demo
    from engine.context import App
    from engine.db import migrate
    from engine.views import inbox as reports

    settings = settings_of(args)
    _fresh_sqlite(settings.database_url, args.fresh)
    migrate.upgrade(settings.database_url)
    app = App.from_settings(settings)
    if reports.audit_count(app) == 0:
        c.line(c.t("bygger demoorganisationen …", "building the demo organisation …"))
        report = demo.build(app, progress=c.progress)
        c.line(
            c.t(
                f"{report.units} enheter, {report.people} personer, {report.cycles} cykler",
                f"{report.units} units, {report.people} people, {report.cycles} cycles",
            )
        )
        c.line(
            f"  {c.t('steg', 'stages')}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.by_stage.items()))
        )
        c.line(
            f"  {report.overdue} {c.t('försenade', 'overdue')}, {report.escalated} "
            f"{c.t('eskalerade', 'escalated')}"
        )
        for gap in report.gaps:
            c.line(f"  {c.t('ej startad', 'not started')}: {gap}")
    else:
        c.line(
            c.t(
                "demodatabasen finns redan (--fresh bygger om den)",
                "the demo database exists already (--fresh rebuilds it)",
            )
        )
    demo_passwords(app, c, args.password)
    if args.no_serve:
        return 0
    return serve_app(settings, args.host, args.port, c)


def _fresh_sqlite(url: str, fresh: bool) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if fresh and u.get_backend_name() == "sqlite" and u.database:
        for suffix in ("", "-wal", "-shm"):
            Path(u.database + suffix).unlink(missing_ok=True)


def demo_passwords(app: App, c: Console, password: str | None = None) -> None:
    """Give every demo login a password and print them (a fresh one on each run unless
    one is given)."""
    from engine import demo
    from engine.accounts import signin as accounts
    from engine.context import Actor

    password = password or secrets.token_urlsafe(9)
    rows = demo.logins(app)
    for email, _, _ in rows:
        accounts.set_password(app, Actor.system("demo"), email, password)
    c.line(c.t("Inloggningar (lösenord för alla):", "Logins (password for all):") + f" {password}")
    for email, name, role in rows:
        c.line(f"  {email:<36} {name:<22} {role}")
