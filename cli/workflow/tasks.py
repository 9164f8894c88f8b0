"""A person's work: ``inbox`` and ``task`` (claim, complete, return, delegate, approve ...)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from cli.common import (
    Sub,
    actor_of,
    app_of,
    command,
    group,
    iso_date,
    read_json,
    settings_of,
    when,
)
from cli.console import Console

if TYPE_CHECKING:
    from engine.workflow import tasks


def reg_inbox(sub: Sub) -> None:
    p = command(sub, "inbox", "a person's open tasks, due first", cmd_inbox)
    p.add_argument("email")
    p.add_argument("--overdue", action="store_true")
    p.add_argument("--stage")


def cmd_inbox(args: argparse.Namespace, c: Console) -> int:
    from engine.views import inbox

    box = read_on_core(
        args,
        lambda conn, me, now, titles: inbox.read(
            conn, me, now, titles, overdue_only=args.overdue, stage=args.stage
        ),
    )
    c.line(
        ", ".join(
            (
                c.n_("%(num)d öppen", "%(num)d öppna", box.total),
                c.n_("%(num)d försenad", "%(num)d försenade", box.overdue),
                c.n_("%(num)d eskalerad", "%(num)d eskalerade", box.escalated),
            )
        )
    )
    c.table(
        ["id", "due", "task", "unit", "why"],
        [
            (
                i.task_id,
                when(i.due_at) + (" !" if i.overdue else ""),
                i.title(c.lang),
                i.unit_name,
                i.why,
            )
            for i in box.items
        ],
    )
    return 0


def read_on_core(args: argparse.Namespace, read: Any) -> Any:
    """Run the inbox's read model (``engine.views.inbox.read``, the web's) for the person
    named, without the settings model or the ORM.

    First on the driver alone (``engine.db.reads.plain``: the SQL text SQLAlchemy compiled
    from the same Core statements, kept in ``engine/db/reads/compiled.json``), so that
    ``samflow inbox`` starts without importing SQLAlchemy. Whatever that path does not
    handle (another URL scheme or options in it, a password to apply, a busy timeout that
    is not a plain number, a schema not at the head revision, a database error) is read
    again on SQLAlchemy Core, which gives the errors every command gives. Both paths
    resolve the person and read the same way (``_read_for``); ``tests/cli/test_startup.py``
    and ``tests/cli/test_inbox_plain.py`` keep them so."""
    from engine.db.engine import BUSY_SECONDS, DEFAULT_URL
    from engine.env import raw_value

    url = getattr(args, "db", None) or raw_value("database_url") or DEFAULT_URL
    busy_text = raw_value("db_busy_seconds")
    plain_busy = BUSY_SECONDS if busy_text is None else _plain_int(busy_text)
    secret = raw_value("database_password") is not None or _has_password(url)
    if plain_busy is not None and not secret:
        found = _read_plain(args, url, plain_busy, read)
        if found is not _FALL_BACK:
            return found
    return _read_core(args, url, read, settings=busy_text is not None or secret)


#: What ``_read_plain`` answers when the ordinary path must read instead.
_FALL_BACK = object()


def _plain_int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def _has_password(url: str) -> bool:
    """Does the URL carry a password (``scheme://user:password@host``)? The settings model
    then checks it (placeholder passwords are refused), so the ordinary path reads."""
    rest = url.partition("://")[2]
    userinfo, at, _ = rest.partition("/")[0].rpartition("@")
    return bool(at) and ":" in userinfo


def _read_plain(args: argparse.Namespace, url: str, busy: int, read: Any) -> Any:
    from engine.db.migrate import head_revision
    from engine.db.reads import plain

    conn = plain.open_url(url, busy_seconds=busy)
    if conn is None:
        return _FALL_BACK
    try:
        head = head_revision()
        if head is None or conn.revision() != head:
            return _FALL_BACK  # the ordinary path refuses it, naming the command to run
        return _read_for(conn, args, read)
    except conn.Error:
        return _FALL_BACK
    finally:
        conn.close()


def _read_core(args: argparse.Namespace, url: str, read: Any, *, settings: bool) -> Any:
    from engine.db.engine import BUSY_SECONDS, create_db_engine
    from engine.db.migrate import is_current_on
    from engine.domain.errors import NotReady

    busy = BUSY_SECONDS
    if settings:  # values to check (a password, a busy timeout): the settings model does
        checked = settings_of(args)
        url, busy = checked.database_url, checked.db_busy_seconds
    engine = create_db_engine(url, busy_seconds=busy)
    try:
        if not is_current_on(engine):
            raise NotReady(
                "the database schema is not up to date; run: samflow db upgrade",
                "databasens schema är inte uppdaterat; kör: samflow db upgrade",
            )
        with engine.connect() as conn, conn.begin():  # one snapshot, as the plain path's
            return _read_for(conn, args, read)
    finally:
        engine.dispose()


def _read_for(conn: Any, args: argparse.Namespace, read: Any) -> Any:
    """The person named (by e-mail, active), and ``read`` of their inbox on ``conn``."""
    from engine.db import reads
    from engine.domain.clock import SystemClock
    from engine.domain.errors import NotPermitted
    from engine.domain.workflow.titles import titles

    parsed: dict[int, Any] = {}

    def template_of(template_id: int) -> Any:
        if template_id not in parsed:  # stored versions were checked when stored
            parsed[template_id] = titles(reads.template_text(conn, template_id)[0])
        return parsed[template_id]

    me, email, active = reads.person(conn, args.email)
    if not active:
        raise NotPermitted(f"{email} is not active", f"{email} är inte aktiv")
    return read(conn, me, SystemClock().now(), template_of)


def reg_task(sub: Sub) -> None:
    g = group(sub, "task", "work on a task")
    p = command(g, "complete", "complete a task with its form input", cmd_task_complete)
    p.add_argument("task", type=int)
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p.add_argument("--data", required=True, metavar="FILE.json", help="form input; - for stdin")
    p.add_argument("--version", type=int, help="fail if the task changed since this version")
    for name, fn, help_ in (
        ("claim", cmd_task_claim, "take a task routed to your role"),
        ("release", cmd_task_release, "give a claimed task back"),
    ):
        p = command(g, name, help_, fn)
        p.add_argument("task", type=int)
        p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = command(g, "return", "return a task up the line, with a written reason", cmd_task_return)
    p.add_argument("task", type=int)
    p.add_argument("--reason", required=True)
    p.add_argument(
        "--lacking",
        default="",
        metavar="authority,resources,knowledge",
        help="what is lacking (recorded against the task allocation for the allocator)",
    )
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = command(g, "delegate", "hand a task to another person", cmd_task_delegate)
    p.add_argument("task", type=int)
    p.add_argument("--to", required=True, metavar="EMAIL")
    p.add_argument("--reason", default="")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = command(g, "extend", "move a deadline, with a reason", cmd_task_extend)
    p.add_argument("task", type=int)
    p.add_argument("--due", required=True, type=iso_date, metavar="DATE")
    p.add_argument("--reason", required=True)
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = command(g, "approve", "approve one or more approval tasks", cmd_task_approve)
    p.add_argument("tasks", type=int, nargs="+")
    p.add_argument("--comment", default="")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = command(g, "reject", "reject an approval (the plan goes back)", cmd_task_reject)
    p.add_argument("task", type=int)
    p.add_argument("--comment", required=True)
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = command(g, "form", "show the JSON schema of a task's form", cmd_task_form)
    p.add_argument("form_key")


def _task_done(c: Console, r: tasks.TaskResult) -> int:
    c.line(
        f"#{r.task_id}: {r.status} (version {r.version})"
        + (f" – {'; '.join(r.notes)}" if r.notes else "")
    )
    return 0


def cmd_task_complete(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import tasks

    app = app_of(args)
    data = read_json(args.data)
    return _task_done(
        c,
        tasks.complete_task(
            app, actor_of(app, args.as_), args.task, data, expected_version=args.version
        ),
    )


def cmd_task_claim(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import tasks

    app = app_of(args)
    return _task_done(c, tasks.claim_task(app, actor_of(app, args.as_), args.task))


def cmd_task_release(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import tasks

    app = app_of(args)
    return _task_done(c, tasks.release_task(app, actor_of(app, args.as_), args.task))


def cmd_task_return(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import tasks

    app = app_of(args)
    if args.lacking:
        from engine.alloc import returns

        lacking = [x.strip() for x in args.lacking.split(",") if x.strip()]
        out = returns.return_case(app, actor_of(app, args.as_), args.task, lacking, args.reason)
        for note in out.notes:
            c.line(note)
        c.line(
            c._(
                "returnering %(return_id)s väntar på beslut av chefen ovanför",
                return_id=out.return_id,
            )
        )
        return 0
    return _task_done(c, tasks.return_task(app, actor_of(app, args.as_), args.task, args.reason))


def cmd_task_delegate(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import tasks

    app = app_of(args)
    return _task_done(
        c, tasks.delegate_task(app, actor_of(app, args.as_), args.task, args.to, args.reason)
    )


def cmd_task_extend(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import tasks

    app = app_of(args)
    return _task_done(
        c, tasks.extend_due(app, actor_of(app, args.as_), args.task, args.due, args.reason)
    )


def cmd_task_approve(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import tasks

    app = app_of(args)
    result = tasks.bulk_approve(app, actor_of(app, args.as_), args.tasks, args.comment)
    for o in result.outcomes:
        c.line(
            f"#{o.task_id}: "
            + ("ok" if o.ok else f"{o.code}: {o.message_sv if c.lang == 'sv' else o.message_en}")
        )
    return 0 if result.approved == len(result.outcomes) else 5


def cmd_task_reject(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import tasks

    app = app_of(args)
    return _task_done(
        c,
        tasks.complete_task(
            app, actor_of(app, args.as_), args.task, {"decision": "reject", "comment": args.comment}
        ),
    )


def cmd_task_form(args: argparse.Namespace, c: Console) -> int:
    from forms.schemas.registry import schema_for

    c.line(json.dumps(schema_for(args.form_key).model_json_schema(), indent=2, ensure_ascii=False))
    return 0
