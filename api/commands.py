"""The command handlers of ``samflow``: parse, call one use case, print."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from api import web_commands
from api.console import Console
from engine.audit import checkpoint as audit_checkpoint
from engine.audit import log as audit
from engine.context import Actor, App
from engine.db import migrate
from engine.domain.audit_anchor import when
from engine.domain.audit_keys import fingerprint
from engine.domain.clock import FrozenClock, local_date
from engine.domain.errors import InvalidInput, NotReady
from engine.org import admin as org
from engine.org import pending as org_pending
from engine.plans import plan as plans
from engine.settings import Settings
from engine.views import inbox as reports
from engine.workflow import cycles, sweeps, tasks, templates
from engine.workflow import org_import as org_import_job

Sub = Any  # argparse's private _SubParsersAction


# --- composition root ---------------------------------------------------------------------
def settings_of(args: argparse.Namespace) -> Settings:
    overrides = {"database_url": args.db} if getattr(args, "db", None) else {}
    return Settings.from_env(**overrides)


def app_of(args: argparse.Namespace, *, clock: FrozenClock | None = None) -> App:
    settings = settings_of(args)
    if not migrate.is_current(settings.database_url):
        raise NotReady(
            "the database schema is not up to date; run: samflow db upgrade",
            "databasens schema är inte uppdaterat; kör: samflow db upgrade",
        )
    return App.from_settings(settings, clock)


def actor_of(app: App, email: str | None) -> Actor:
    return tasks.active_person(app, email) if email else Actor.system("cli")


def _command(
    sub: Sub, name: str, help_: str, handler: Callable[..., int | None]
) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_, description=help_)
    p.set_defaults(handler=handler)
    return p


def _group(sub: Sub, name: str, help_: str) -> Sub:
    p = sub.add_parser(name, help=help_, description=help_)
    return p.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _iso_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time (ISO 8601): {text!r}") from None


def _read_json(path: str) -> dict[str, Any]:
    text = Path("/dev/stdin").read_text() if path == "-" else Path(path).read_text("utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.field(
            "--data",
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            f"{path} är inte giltig JSON (rad {exc.lineno})",
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput.field(
            "--data", f"{path} must hold a JSON object", f"{path} måste innehålla ett JSON-objekt"
        )
    return data


def _when(dt: datetime | None) -> str:
    return local_date(dt).isoformat() if dt else "–"


# --- db -----------------------------------------------------------------------------------
def reg_db(sub: Sub) -> None:
    g = _group(sub, "db", "database schema")
    _command(g, "upgrade", "create or upgrade the database schema", cmd_db_upgrade)
    _command(g, "status", "show whether the schema is current", cmd_db_status)


def cmd_db_upgrade(args: argparse.Namespace, c: Console) -> int:
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
    url = settings_of(args).database_url
    current = migrate.is_current(url)
    c.line(f"head={migrate.head_revision()} current={'yes' if current else 'no'}")
    return 0 if current else 1


# --- org ----------------------------------------------------------------------------------
def reg_org(sub: Sub) -> None:
    g = _group(sub, "org", "the organisation: import, span of control, substitutes")
    p = _command(
        g, "import", "import units and people from two CSV files (see README)", cmd_org_import
    )
    p.add_argument("units", help="units CSV: code,name,parent_code,level,headcount")
    p.add_argument("people", help="people CSV: email,name,role,unit_code,valid_from,valid_to")
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this HR person")
    p = _command(g, "pending", "imports held for a second HR person", cmd_org_pending)
    p.add_argument("--as", dest="as_", metavar="EMAIL", help="as this person")
    p = _command(g, "confirm", "confirm a held import as a second HR person", cmd_org_confirm)
    p.add_argument("pending", type=int, help="the held import's number (samflow org pending)")
    p.add_argument("--hash", required=True, help="its content hash, as listed")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL", help="the confirming HR")
    p = _command(g, "refuse", "refuse (or withdraw) a held import", cmd_org_refuse)
    p.add_argument("pending", type=int)
    p.add_argument("--reason", default="")
    p.add_argument("--as", dest="as_", metavar="EMAIL")
    p = _command(g, "span", "span of control: employees per manager", cmd_org_span)
    p.add_argument("--root", metavar="UNIT", help="only this unit and those under it")
    p.add_argument("--threshold", type=int, help="flag managers above this (default 40)")
    p = _command(
        g, "substitute", "let one person act for another between two dates", cmd_org_substitute
    )
    p.add_argument("person", help="e-mail of the substitute")
    p.add_argument("--for", dest="for_", required=True, metavar="EMAIL", help="who is away")
    p.add_argument("--from", dest="from_", required=True, type=_iso_date, metavar="DATE")
    p.add_argument("--to", required=True, type=_iso_date, metavar="DATE")
    p.add_argument("--reason", default="")
    p.add_argument("--as", dest="as_", metavar="EMAIL")


def cmd_org_import(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    units_text = Path(args.units).read_text("utf-8-sig")
    people_text = Path(args.people).read_text("utf-8-sig")
    actor = actor_of(app, args.as_)
    files = {"units_file": args.units, "people_file": args.people, "progress": c.progress}
    if not args.dry_run and org_import_job.needs_job(app, units_text, people_text):
        # a large import is written in batches, so the web app keeps the database meanwhile
        report = org_import_job.apply_in_batches(app, actor, units_text, people_text, **files)
    else:
        report = org.import_org(app, actor, units_text, people_text, dry_run=args.dry_run, **files)
    _import_summary(c, report)
    return EXIT_HELD if report.held else 0


#: The exit status of an import held for confirmation (nothing applied yet).
EXIT_HELD = 5


def _import_summary(c: Console, report: org.ImportReport) -> None:
    if report.held:
        c.line(
            c.t(
                f"inte genomförd: importen avslutar många roller och väntar på en annan "
                f"HR-persons bekräftelse (samflow org confirm {report.held} --hash ... --as ...)",
                f"not applied: the import ends many roles and waits for another HR person's "
                f"confirmation (samflow org confirm {report.held} --hash ... --as ...)",
            )
        )
    verb = c.t("skulle ändra", "would change") if not report.applied else c.t("ändrade", "changed")
    c.line(
        f"{verb}: {len(report.units_created)} + {len(report.units_updated)} "
        f"{c.t('enheter (nya + ändrade)', 'units (new + updated)')}, "
        f"{len(report.people_created)} + {len(report.people_updated)} "
        f"{c.t('personer', 'people')}, {len(report.roles_added)} "
        f"{c.t('roller tillagda', 'roles added')}, {len(report.roles_ended)} "
        f"{c.t('avslutade', 'ended')}"
    )
    for email, role, unit in report.roles_ended[:20]:
        c.line(f"  - {role} {email} @ {unit}")
    if report.units_not_in_file:
        c.line(
            c.t("finns i databasen men inte i filen: ", "in the database, not in the file: ")
            + ", ".join(report.units_not_in_file[:20])
        )
    if report.roles_kept:
        c.line(
            c.t(
                "roller utanför det du administrerar, lämnas orörda: ",
                "roles outside what you administer, left as they are: ",
            )
            + str(report.roles_kept)
        )


def cmd_org_pending(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    rows = org_pending.pending(app, actor_of(app, args.as_))
    c.table(
        ["#", "by", "at", "ending", "hash"],
        [
            (
                p.id,
                p.requested_email,
                p.requested_at.isoformat(timespec="minutes"),
                f"{p.roles_ending}/{p.roles_in_reach}",
                p.content_hash,
            )
            for p in rows
        ],
    )
    return 0


def cmd_org_confirm(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    report = org.confirm_import(app, actor_of(app, args.as_), args.pending, args.hash)
    _import_summary(c, report)
    return 0


def cmd_org_refuse(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    org_pending.refuse(app, actor_of(app, args.as_), args.pending, args.reason)
    c.line(c.t("importen är avvisad", "the import is refused"))
    return 0


def cmd_org_span(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    result = org.span(app, args.root, args.threshold)
    with app.read() as s:
        from engine.db import queries

        names = queries.person_names(s, [m.person_id for m in result.managers])
    c.line(
        c.t(
            f"{len(result.managers)} chefer, median {result.median} medarbetare per chef, "
            f"{len(result.above_threshold)} över {result.threshold}",
            f"{len(result.managers)} managers, median {result.median} employees each, "
            f"{len(result.above_threshold)} above {result.threshold}",
        )
    )
    c.table(
        ["manager", "units", "employees"],
        [(names[m.person_id][0], m.units, m.employees) for m in result.managers[:20]],
    )
    return 0


def cmd_org_substitute(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    out = org.set_substitute(
        app, actor_of(app, args.as_), args.person, args.for_, args.from_, args.to, args.reason
    )
    c.line(f"{out.person_email} → {out.for_email} {out.valid_from}–{out.valid_to} (#{out.id})")
    return 0


# --- cycles -------------------------------------------------------------------------------
def reg_cycle(sub: Sub) -> None:
    g = _group(sub, "cycle", "annual SAM cycles")
    p = _command(g, "start", "start the year for a subtree (idempotent)", cmd_cycle_start)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--root", metavar="UNIT", help="unit code (default: the whole organisation)")
    p.add_argument("--template", default=None, help="template key (default: sam-annual)")
    p.add_argument("--template-file", type=Path, help="a template YAML of your own")
    p.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this HR person")
    p = _command(g, "show", "a cycle: stages, checklist, plan", cmd_cycle_show)
    p.add_argument("cycle", type=int)
    p = _command(g, "cancel", "cancel a cycle (its open tasks are cancelled)", cmd_cycle_cancel)
    p.add_argument("cycle", type=int)
    p.add_argument("--reason", required=True)
    p.add_argument("--as", dest="as_", metavar="EMAIL")
    p = _command(g, "overview", "the year at a glance", cmd_cycle_overview)
    p.add_argument("--year", type=int, required=True)


def cmd_cycle_start(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    report = cycles.start_cycles(
        app,
        actor_of(app, args.as_),
        args.year,
        args.template,
        args.root,
        template_path=args.template_file,
        progress=c.progress,
    )
    c.line(
        c.t(
            f"startade {len(report.started)} cykler för {report.year} "
            f"({report.already_running} pågick redan)",
            f"started {len(report.started)} cycles for {report.year} "
            f"({report.already_running} already running)",
        )
    )
    if report.gaps:
        c.line(
            c.t(
                f"{len(report.gaps)} enheter startades inte; HR behöver åtgärda:",
                f"{len(report.gaps)} units not started; HR needs to fix:",
            )
        )
        for g in report.gaps:
            c.line(f"  - {g.code} {g.name}: {c.t('saknar', 'missing')} {', '.join(g.missing)}")
    return 0


def cmd_cycle_show(args: argparse.Namespace, c: Console) -> int:
    v = reports.cycle_view(app_of(args), args.cycle)
    c.line(
        f"{c.t('Cykel', 'Cycle')} {v.id}: {v.unit_name} {v.year} ({v.template_key} "
        f"v{v.template_version}) – {v.status}"
    )
    for st in v.stages:
        title = st.title_sv if c.lang == "sv" else st.title_en
        c.line(f"  [{st.status:<10}] {title}: {st.steps_done}/{st.steps_total}")
        for t in st.tasks:
            c.line(
                f"      #{t.id} {t.key} {t.status} {c.t('senast', 'due')} {_when(t.due_at)} "
                f"{t.waiting_on}"
            )
        for u in st.unmet:
            c.line(f"      ! {u.message(c.lang)}")
    for item in v.plan:
        c.line(f"  {item.number}. {item.area}")
        for m in item.measures:
            c.line(f"     {m.number} {m.what} – {m.responsible}, {m.due_date} [{m.status}]")
    return 0


def cmd_cycle_cancel(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    n = cycles.cancel_cycle(app, actor_of(app, args.as_), args.cycle, args.reason)
    c.line(
        c.t(
            f"cykeln avbröts; {n} öppna uppgifter avbröts",
            f"cycle cancelled; {n} open tasks cancelled",
        )
    )
    return 0


def cmd_cycle_overview(args: argparse.Namespace, c: Console) -> int:
    o = reports.year_overview(app_of(args), args.year)
    c.line(
        f"{o.year}: {o.cycles} cycles, {o.completed} completed, {o.cancelled} cancelled; "
        f"{o.open_tasks} open tasks, {o.overdue_tasks} overdue, {o.escalated_tasks} escalated"
    )
    c.table(["stage", "cycles"], sorted(o.by_stage.items()))
    return 0


def reg_stage(sub: Sub) -> None:
    g = _group(sub, "stage", "stages of a cycle")
    p = _command(
        g, "sign-off", "sign off a stage (refused with every unmet reason)", cmd_stage_sign_off
    )
    p.add_argument("cycle", type=int)
    p.add_argument("stage", help="stage key, e.g. survey, analysis, action_plan")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")


def cmd_stage_sign_off(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    r = cycles.sign_off_stage(app, actor_of(app, args.as_), args.cycle, args.stage)
    nxt = r.next_stage or c.t("(cykeln klar)", "(cycle completed)")
    c.line(
        c.t(
            f"{r.signed_off} signerat; nästa: {nxt} ({r.tasks_created} nya uppgifter)",
            f"{r.signed_off} signed off; next: {nxt} ({r.tasks_created} new tasks)",
        )
    )
    return 0


# --- tasks and inbox ----------------------------------------------------------------------
def reg_inbox(sub: Sub) -> None:
    p = _command(sub, "inbox", "a person's open tasks, due first", cmd_inbox)
    p.add_argument("email")
    p.add_argument("--overdue", action="store_true")
    p.add_argument("--stage")


def cmd_inbox(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    box = reports.inbox(
        app, tasks.active_person(app, args.email), overdue_only=args.overdue, stage=args.stage
    )
    c.line(
        c.t(
            f"{box.total} öppna, {box.overdue} försenade, {box.escalated} eskalerade",
            f"{box.total} open, {box.overdue} overdue, {box.escalated} escalated",
        )
    )
    c.table(
        ["id", "due", "task", "unit", "why"],
        [
            (
                i.task_id,
                _when(i.due_at) + (" !" if i.overdue else ""),
                i.title(c.lang),
                i.unit_name,
                i.why,
            )
            for i in box.items
        ],
    )
    return 0


def reg_task(sub: Sub) -> None:
    g = _group(sub, "task", "work on a task")
    p = _command(g, "complete", "complete a task with its form input", cmd_task_complete)
    p.add_argument("task", type=int)
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p.add_argument("--data", required=True, metavar="FILE.json", help="form input; - for stdin")
    p.add_argument("--version", type=int, help="fail if the task changed since this version")
    for name, fn, help_ in (
        ("claim", cmd_task_claim, "take a task routed to your role"),
        ("release", cmd_task_release, "give a claimed task back"),
    ):
        p = _command(g, name, help_, fn)
        p.add_argument("task", type=int)
        p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = _command(g, "return", "return a task up the line, with a written reason", cmd_task_return)
    p.add_argument("task", type=int)
    p.add_argument("--reason", required=True)
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = _command(g, "delegate", "hand a task to another person", cmd_task_delegate)
    p.add_argument("task", type=int)
    p.add_argument("--to", required=True, metavar="EMAIL")
    p.add_argument("--reason", default="")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = _command(g, "extend", "move a deadline, with a reason", cmd_task_extend)
    p.add_argument("task", type=int)
    p.add_argument("--due", required=True, type=_iso_date, metavar="DATE")
    p.add_argument("--reason", required=True)
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = _command(g, "approve", "approve one or more approval tasks", cmd_task_approve)
    p.add_argument("tasks", type=int, nargs="+")
    p.add_argument("--comment", default="")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = _command(g, "reject", "reject an approval (the plan goes back)", cmd_task_reject)
    p.add_argument("task", type=int)
    p.add_argument("--comment", required=True)
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = _command(g, "form", "show the JSON schema of a task's form", cmd_task_form)
    p.add_argument("form_key")


def _task_done(c: Console, r: tasks.TaskResult) -> int:
    c.line(
        f"#{r.task_id}: {r.status} (version {r.version})"
        + (f" – {'; '.join(r.notes)}" if r.notes else "")
    )
    return 0


def cmd_task_complete(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    data = _read_json(args.data)
    return _task_done(
        c,
        tasks.complete_task(
            app, actor_of(app, args.as_), args.task, data, expected_version=args.version
        ),
    )


def cmd_task_claim(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    return _task_done(c, tasks.claim_task(app, actor_of(app, args.as_), args.task))


def cmd_task_release(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    return _task_done(c, tasks.release_task(app, actor_of(app, args.as_), args.task))


def cmd_task_return(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    return _task_done(c, tasks.return_task(app, actor_of(app, args.as_), args.task, args.reason))


def cmd_task_delegate(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    return _task_done(
        c, tasks.delegate_task(app, actor_of(app, args.as_), args.task, args.to, args.reason)
    )


def cmd_task_extend(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    return _task_done(
        c, tasks.extend_due(app, actor_of(app, args.as_), args.task, args.due, args.reason)
    )


def cmd_task_approve(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    result = tasks.bulk_approve(app, actor_of(app, args.as_), args.tasks, args.comment)
    for o in result.outcomes:
        c.line(
            f"#{o.task_id}: "
            + ("ok" if o.ok else f"{o.code}: {o.message_sv if c.lang == 'sv' else o.message_en}")
        )
    return 0 if result.approved == len(result.outcomes) else 5


def cmd_task_reject(args: argparse.Namespace, c: Console) -> int:
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


def reg_plan(sub: Sub) -> None:
    g = _group(sub, "plan", "the action plan")
    p = _command(g, "measure", "a dated status update on a measure", cmd_plan_measure)
    p.add_argument("measure", type=int)
    p.add_argument(
        "--status",
        required=True,
        choices=("planned", "in_progress", "done", "postponed", "cancelled"),
    )
    p.add_argument("--note", default="")
    p.add_argument("--reason", default="")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = _command(g, "risk", "record whether a risk is serious", cmd_plan_risk)
    p.add_argument("risk", type=int)
    p.add_argument("--serious", required=True, choices=("yes", "no"))
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")


def cmd_plan_measure(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    event = plans.update_measure(
        app, actor_of(app, args.as_), args.measure, args.status, note=args.note, reason=args.reason
    )
    c.line(f"measure {args.measure}: {event} → {args.status}")
    return 0


def cmd_plan_risk(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    plans.set_risk_seriousness(app, actor_of(app, args.as_), args.risk, args.serious == "yes")
    c.line(f"risk {args.risk}: serious={args.serious}")
    return 0


# --- sweep, audit, templates --------------------------------------------------------------
def reg_sweep(sub: Sub) -> None:
    p = _command(
        sub, "sweep", "send due reminders and escalate overdue tasks (idempotent)", cmd_sweep
    )
    p.add_argument(
        "--now",
        type=_iso_time,
        metavar="ISO-TIME",
        help="sweep as if it were this time (default: now)",
    )


def cmd_sweep(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args, clock=FrozenClock(args.now) if args.now else None)
    r = sweeps.sweep(app, progress=c.progress)
    c.line(
        c.t(
            f"{r.reminded} påminnelser, {r.escalated} eskaleringar ({r.checked} kontrollerade)",
            f"{r.reminded} reminders, {r.escalated} escalations ({r.checked} checked)",
        )
    )
    return 0


def reg_audit(sub: Sub) -> None:
    g = _group(sub, "audit", "the audit log")
    p = _command(
        g,
        "verify",
        "recompute the hash chains and hold them against the signed checkpoints; name "
        "altered, removed (truncation) and recomputed (re-hashing) events. Exit 0: intact "
        "and anchored; 8: a finding; 9: intact but not anchored (no checkpoint yet)",
        cmd_audit_verify,
    )
    p.add_argument("--chain", help="only this chain, e.g. cycle:12")
    p.add_argument(
        "--public-key", metavar="FILE", help="check the checkpoints with this public key"
    )
    p.add_argument(
        "--checkpoints", metavar="DIR", help="the checkpoint directory (default: the setting)"
    )
    p = _command(
        g, "checkpoint", "sign the head of every chain into a new checkpoint", cmd_audit_checkpoint
    )
    p = _command(
        g, "keygen", "make the key that signs checkpoints (once; mode 0600)", cmd_audit_keygen
    )
    p.add_argument(
        "--out", metavar="FILE", help="where to write it (default: SAMFLOW_AUDIT_KEY_FILE)"
    )
    p = _command(g, "log", "recent audit events", cmd_audit_log)
    p.add_argument("--chain")
    p.add_argument("--limit", type=int, default=30)


AUDIT_FINDING = 8
AUDIT_UNANCHORED = 9


def cmd_audit_verify(args: argparse.Namespace, c: Console) -> int:
    r = audit_checkpoint.verify(
        app_of(args),
        chain=args.chain,
        public_key_file=args.public_key,
        checkpoint_dir=args.checkpoints,
        progress=c.progress,
    )
    breaks = r.chains.breaks or []
    for b in breaks[:20]:
        where = f", event #{b.event_id}" if b.event_id else ""
        c.error(f"{r.name(b.chain, c.lang)} seq {b.seq}{where}: {b.kind} – {b.detail}")
    if len(breaks) > 20:
        c.error(c.t(f"… {len(breaks) - 20} kedjor till", f"… {len(breaks) - 20} more chains"))
    for f in r.findings:
        c.error(f.text(c.lang))
    for w in r.warnings:
        c.line(f"{c.t('varning', 'warning')}: {w.text(c.lang)}")
    anchored = _anchor_line(r, c)
    if not r.ok:
        return AUDIT_FINDING
    c.line(
        c.t(
            f"OK: {r.chains.events} händelser i {r.chains.chains} kedjor är oförändrade{anchored}",
            f"OK: {r.chains.events} events in {r.chains.chains} chains verified{anchored}",
        )
    )
    return AUDIT_UNANCHORED if r.latest is None else 0


def _anchor_line(r: audit_checkpoint.AnchorReport, c: Console) -> str:
    if r.latest is None:
        return ""
    return c.t(
        f"; stämmer med kontrollpunkt {r.latest.seq} från {when(r.latest.at)} ({r.checkpoints} "
        f"kontrollerade, nyckel {fingerprint(r.key_id)}; {r.unanchored} senare händelser "
        "ännu inte förankrade)",
        f"; matches checkpoint {r.latest.seq} of {when(r.latest.at)} ({r.checkpoints} checked, "
        f"key {fingerprint(r.key_id)}; {r.unanchored} later events not anchored yet)",
    )


def cmd_audit_checkpoint(args: argparse.Namespace, c: Console) -> int:
    w = audit_checkpoint.write(app_of(args))
    cp = w.signed.checkpoint
    if w.new:
        c.line(
            c.t(
                f"kontrollpunkt {cp.seq} skriven ({w.path}, {len(cp.heads)} kedjor)",
                f"checkpoint {cp.seq} written ({w.path}, {len(cp.heads)} chains)",
            )
        )
    else:
        c.line(
            c.t(
                f"oförändrat sedan kontrollpunkt {cp.seq} från {when(cp.at)}: ingen ny skriven",
                f"unchanged since checkpoint {cp.seq} of {when(cp.at)}: none written",
            )
        )
    return 0


def cmd_audit_keygen(args: argparse.Namespace, c: Console) -> int:
    target = args.out or settings_of(args).audit_key_file
    if not target:
        raise InvalidInput.field(
            "--out",
            "say where the key goes (--out FILE or SAMFLOW_AUDIT_KEY_FILE)",
            "ange var nyckeln ska ligga (--out FIL eller SAMFLOW_AUDIT_KEY_FILE)",
        )
    key, pub, kid = audit_checkpoint.keygen(Path(target))
    c.line(c.t(f"signeringsnyckel: {key} (läge 0600)", f"signing key: {key} (mode 0600)"))
    c.line(c.t(f"publik nyckel: {pub}", f"public key: {pub}"))
    c.line(c.t(f"fingeravtryck: {fingerprint(kid)}", f"fingerprint: {fingerprint(kid)}"))
    return 0


def cmd_audit_log(args: argparse.Namespace, c: Console) -> int:
    rows = audit.events(app_of(args), chain=args.chain, limit=args.limit)
    c.table(
        ["id", "at", "chain", "seq", "actor", "action", "subject"],
        [
            (
                e.id,
                e.at.strftime("%Y-%m-%d %H:%M"),
                e.chain,
                e.seq,
                e.actor_label,
                e.action,
                f"{e.subject_type}:{e.subject_id}",
            )
            for e in rows
        ],
    )
    return 0


def reg_template(sub: Sub) -> None:
    g = _group(sub, "template", "cycle templates")
    p = _command(g, "check", "validate a template file", cmd_template_check)
    p.add_argument("file", type=Path)
    _command(g, "list", "templates shipped with samflow", cmd_template_list)


def cmd_template_check(args: argparse.Namespace, c: Console) -> int:
    template, _ = templates.load_file(args.file)
    c.line(f"OK: {template.key} v{template.version}, {len(template.stages)} stages")
    return 0


def cmd_template_list(args: argparse.Namespace, c: Console) -> int:
    for key, text in templates.packaged().items():
        t = templates.parse(text, key)
        c.line(f"{key} v{t.version}: {t.title.get(c.lang)}")
    return 0


# --- demo ---------------------------------------------------------------------------------
def reg_demo(sub: Sub) -> None:
    p = _command(
        sub, "demo", "build a demo organisation with a year in progress (and serve it)", cmd_demo
    )
    p.add_argument("--no-serve", action="store_true", help="build the demo, do not serve it")
    p.add_argument("--fresh", action="store_true", help="replace an existing demo database")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--password", help="password for every demo login (default: a new random one)")


def cmd_demo(args: argparse.Namespace, c: Console) -> int:
    from engine import demo

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
    web_commands.demo_passwords(app, c, args.password)
    if args.no_serve:
        return 0
    return serve_app(settings, args.host, args.port, c)


def _fresh_sqlite(url: str, fresh: bool) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if fresh and u.get_backend_name() == "sqlite" and u.database:
        for suffix in ("", "-wal", "-shm"):
            Path(u.database + suffix).unlink(missing_ok=True)


def serve_app(settings: Settings, host: str, port: int, c: Console) -> int:
    return web_commands.serve_app(settings, host, port, c)


REGISTRY: list[Callable[[Sub], None]] = [
    reg_db,
    reg_org,
    reg_cycle,
    reg_stage,
    reg_inbox,
    reg_task,
    reg_plan,
    reg_sweep,
    reg_audit,
    reg_template,
    reg_demo,
    *web_commands.REGISTRY,
]

from api.commands_evidence import reg_evidence  # noqa: E402 - it uses the helpers above

REGISTRY.append(reg_evidence)
