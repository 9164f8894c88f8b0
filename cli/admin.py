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
    c.line(c._("databasen är uppdaterad (%(revision)s)", revision=migrate.head_revision()))
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
        c._(
            "  %(size)s, sha256 %(sha256)s",
            size=c.n_("%(num)d byte", "%(num)d byte", summary.bytes),
            sha256=summary.sha256,
        )
    )
    c.line(
        c._(
            "  schema %(revision)s, %(events)s",
            revision=summary.revision or c._("ingen"),
            events=c.n_(
                "%(num)d händelse i revisionsloggen", "%(num)d händelser i revisionsloggen", events
            ),
        )
    )


def cmd_db_backup(args: argparse.Namespace, c: Console) -> int:
    from engine.db import backup

    summary = backup.backup(settings_of(args).database_url, Path(args.file))
    c.line(c._("säkerhetskopian är skriven: %(path)s", path=summary.path))
    _summary(c, summary)
    return 0


def cmd_db_restore(args: argparse.Namespace, c: Console) -> int:
    from engine.db import backup, migrate

    url = settings_of(args).database_url
    summary = backup.restore(Path(args.file), url)
    c.line(c._("återställd i %(path)s", path=summary.path))
    _summary(c, summary)
    if summary.revision != migrate.head_revision():
        c.line(c._("  schemat är äldre än den här versionen: kör samflow db upgrade"))
    c.line(
        c._(
            "  kontrollera: samflow audit verify (och samflow evidence verify på ett "
            "utlämnat paket)"
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

    from api.app import create_app
    from api.middleware import proxies

    proxies.trusted(settings)  # a bad SAMFLOW_TRUSTED_PROXIES stops here, before any work
    config = server_config(create_app(settings), settings, host, port)
    c.line(c._("samflow körs på http://%(host)s:%(port)s/ (Ctrl-C avslutar)", host=host, port=port))
    uvicorn.Server(config).run()
    return 0


def server_config(
    app: Any, settings: Settings, host: str, port: int, *, log_level: str = "info"
) -> Any:
    """uvicorn's config for the app: which proxies' forwarded headers count comes from the
    settings (none by default), never from uvicorn's own default (trust loopback)."""
    import uvicorn

    from api.middleware import proxies
    from api.middleware.observability import log_config

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
        password = getpass.getpass(c._("Nytt lösenord: "))
        if getpass.getpass(c._("Igen: ")) != password:
            raise InvalidInput.field("password", "the passwords differ", "lösenorden är olika")
    ended = accounts.set_password(
        app, Actor.system("cli"), args.email, password, revoke_tokens=args.revoke_tokens
    )
    c.line(c._("lösenordet är satt för %(email)s", email=args.email))
    if args.revoke_tokens:
        c.line(c.n_("%(num)d API-token återkallad", "%(num)d API-token återkallade", ended.tokens))
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
    c.line(c._("(token #%(id)s; visas bara nu: spara den)", id=view.id))
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
    from engine.views import cycle as cycle_views

    settings = settings_of(args)
    _fresh_sqlite(settings.database_url, args.fresh)
    migrate.upgrade(settings.database_url)
    app = App.from_settings(settings)
    if cycle_views.audit_count(app) == 0:
        c.line(c._("bygger demoorganisationen …"))
        report = demo.build(app, progress=c.progress)
        c.line(
            ", ".join(
                (
                    c.n_("%(num)d enhet", "%(num)d enheter", report.units),
                    c.n_("%(num)d person", "%(num)d personer", report.people),
                    c.n_("%(num)d cykel", "%(num)d cykler", report.cycles),
                )
            )
        )
        c.line(
            ("  " + c._("steg") + ": ")
            + ", ".join(f"{k} {v}" for k, v in sorted(report.by_stage.items()))
        )
        c.line(
            f"  {report.overdue} " + c._("försenade") + f", {report.escalated} " + c._("eskalerade")
        )
        for gap in report.gaps:
            c.line("  " + c._("ej startad") + f": {gap}")
    else:
        c.line(c._("demodatabasen finns redan (--fresh bygger om den)"))
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
    c.line(c._("Inloggningar (lösenord för alla):") + f" {password}")
    for email, name, role in rows:
        c.line(f"  {email:<36} {name:<22} {role}")
