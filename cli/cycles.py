"""Running the year: ``cycle``, ``stage``, ``sweep`` and ``template``."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from cli.common import (
    Sub,
    actor_of,
    app_of,
    command,
    group,
    iso_time,
    when,
)
from cli.console import Console
from engine.domain.clock import FrozenClock, SystemClock, as_utc


def reg_cycle(sub: Sub) -> None:
    g = group(sub, "cycle", "annual SAM cycles")
    p = command(g, "start", "start the year for a subtree (idempotent)", cmd_cycle_start)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--root", metavar="UNIT", help="unit code (default: the whole organisation)")
    p.add_argument("--template", default=None, help="template key (default: sam-annual)")
    p.add_argument("--template-file", type=Path, help="a template YAML of your own")
    p.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this HR person")
    p = command(g, "show", "a cycle: stages, checklist, plan", cmd_cycle_show)
    p.add_argument("cycle", type=int)
    p = command(g, "cancel", "cancel a cycle (its open tasks are cancelled)", cmd_cycle_cancel)
    p.add_argument("cycle", type=int)
    p.add_argument("--reason", required=True)
    p.add_argument("--as", dest="as_", metavar="EMAIL")
    p = command(g, "overview", "the year at a glance", cmd_cycle_overview)
    p.add_argument("--year", type=int, required=True)


def cmd_cycle_start(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import cycles

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
    if report.unallocated:
        c.line(
            c.t(
                f"{len(report.unallocated)} chefer saknar accepterad uppgiftsfördelning:",
                f"{len(report.unallocated)} managers have no accepted task allocation:",
            )
        )
        for u in report.unallocated:
            held = c.t(" (hålls tillbaka)", " (held back)") if u.held_back else ""
            c.line(f"  - {u.code} {u.name}: {', '.join(u.managers)}{held}")
    return 0


def cmd_cycle_show(args: argparse.Namespace, c: Console) -> int:
    from engine.views import inbox as reports

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
                f"      #{t.id} {t.key} {t.status} {c.t('senast', 'due')} {when(t.due_at)} "
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
    from engine.workflow import cycles

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
    from engine.views import inbox as reports

    o = reports.year_overview(app_of(args), args.year)
    c.line(
        f"{o.year}: {o.cycles} cycles, {o.completed} completed, {o.cancelled} cancelled; "
        f"{o.open_tasks} open tasks, {o.overdue_tasks} overdue, {o.escalated_tasks} escalated"
    )
    c.table(["stage", "cycles"], sorted(o.by_stage.items()))
    return 0


def reg_stage(sub: Sub) -> None:
    g = group(sub, "stage", "stages of a cycle")
    p = command(
        g, "sign-off", "sign off a stage (refused with every unmet reason)", cmd_stage_sign_off
    )
    p.add_argument("cycle", type=int)
    p.add_argument("stage", help="stage key, e.g. survey, analysis, action_plan")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")


def cmd_stage_sign_off(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import cycles

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


def reg_sweep(sub: Sub) -> None:
    p = command(
        sub, "sweep", "send due reminders and escalate overdue tasks (idempotent)", cmd_sweep
    )
    p.add_argument(
        "--now",
        type=iso_time,
        metavar="ISO-TIME",
        help="sweep as if it were this time (default: now); a time to come only with --dry-run",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="say what the sweep would do, write nothing",
    )


#: How far ahead of this machine's clock ``--now`` may be before it counts as the future.
NOW_SLACK = timedelta(minutes=5)


def cmd_sweep(args: argparse.Namespace, c: Console) -> int:
    from engine.domain.errors import InvalidInput
    from engine.workflow import sweeps

    if args.now and as_utc(args.now) > SystemClock().now() + NOW_SLACK and not args.dry_run:
        # reminders and escalations dated in the future would stand in the audit log for
        # good, ahead of everything that really happens after them
        raise InvalidInput.field(
            "--now",
            "a time to come would write reminders and escalations dated in the future to "
            "the audit log for good; add --dry-run to see what the sweep would do then",
            "en tid som inte har kommit skulle skriva påminnelser och eskaleringar med "
            "framtida datum i loggen för alltid; lägg till --dry-run för att se vad svepet "
            "skulle göra då",
        )
    app = app_of(args, clock=FrozenClock(args.now) if args.now else None)
    r = sweeps.sweep(app, progress=c.progress, dry_run=args.dry_run)
    if args.dry_run:
        c.line(
            c.t(
                f"provkörning, inget skrivet: {r.reminded} påminnelser, {r.escalated} "
                f"eskaleringar ({r.checked} kontrollerade)",
                f"dry run, nothing written: {r.reminded} reminders, {r.escalated} escalations "
                f"({r.checked} checked)",
            )
        )
        return 0
    c.line(
        c.t(
            f"{r.reminded} påminnelser, {r.escalated} eskaleringar ({r.checked} kontrollerade)",
            f"{r.reminded} reminders, {r.escalated} escalations ({r.checked} checked)",
        )
    )
    return 0


def reg_template(sub: Sub) -> None:
    g = group(sub, "template", "cycle templates")
    p = command(g, "check", "validate a template file", cmd_template_check)
    p.add_argument("file", type=Path)
    command(g, "list", "templates shipped with samflow", cmd_template_list)


def cmd_template_check(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import templates

    template, _ = templates.load_file(args.file)
    c.line(f"OK: {template.key} v{template.version}, {len(template.stages)} stages")
    return 0


def cmd_template_list(args: argparse.Namespace, c: Console) -> int:
    from engine.workflow import templates

    for key, text in templates.packaged().items():
        t = templates.parse(text, key)
        c.line(f"{key} v{t.version}: {t.title.get(c.lang)}")
    return 0
