"""Running the year: ``cycle``, ``stage``, ``sweep`` and ``template``."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import Any

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
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show which units would start, be held back or be skipped; start nothing",
    )
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
    if args.dry_run:
        return _start_preview(app, args, c)
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
        c._(
            "startade %(started)s för %(year)s (%(running)s)",
            started=c.n_("%(num)d cykel", "%(num)d cykler", len(report.started)),
            year=report.year,
            running=c.n_("%(num)d pågick redan", "%(num)d pågick redan", report.already_running),
        )
    )
    if report.gaps:
        c.line(
            c.n_(
                "%(num)d enhet startades inte; HR behöver åtgärda:",
                "%(num)d enheter startades inte; HR behöver åtgärda:",
                len(report.gaps),
            )
        )
        for g in report.gaps:
            c.line(f"  - {g.code} {g.name}: " + c._("saknar") + f" {', '.join(g.missing)}")
    _knowledge_gaps(app, actor_of(app, args.as_), c)
    if report.unallocated:
        c.line(
            c.n_(
                "%(num)d chef saknar accepterad uppgiftsfördelning:",
                "%(num)d chefer saknar accepterad uppgiftsfördelning:",
                len(report.unallocated),
            )
        )
        for u in report.unallocated:
            held = c._(" (hålls tillbaka)") if u.held_back else ""
            c.line(f"  - {u.code} {u.name}: {', '.join(u.managers)}" + held)
    return 0


def _start_preview(app: object, args: argparse.Namespace, c: Console) -> int:
    from engine.context import App
    from engine.workflow import cycles

    assert isinstance(app, App)
    plan = cycles.plan_start(app, args.year, args.template, args.root, args.template_file)
    c.line(
        c._(
            "förhandsgranskning %(year)s: %(start)s, %(held)s, %(already)s (inget startat)",
            year=args.year,
            start=c.n_(
                "%(num)d enhet skulle starta", "%(num)d enheter skulle starta", len(plan.to_start)
            ),
            held=c.n_("%(num)d hålls tillbaka", "%(num)d hålls tillbaka", len(plan.gaps)),
            already=c.n_(
                "%(num)d har redan en cykel", "%(num)d har redan en cykel", len(plan.already)
            ),
        )
    )
    for g in plan.gaps:
        c.line(f"  - {g.code} {g.name}: " + c._("saknar") + f" {', '.join(g.missing)}")
    return 0


def _knowledge_gaps(app: Any, actor: Any, c: Console) -> None:
    """The year start lists the managers lacking the knowledge their role requires."""
    from engine.workflow import yearstart

    lacking = yearstart.knowledge_gaps(app, actor) if actor.person_id else []
    if lacking:
        c.line(
            c.n_(
                "%(num)d chef saknar den kunskap rollen kräver:",
                "%(num)d chefer saknar den kunskap rollen kräver:",
                len(lacking),
            )
        )
        for x in lacking:
            c.line(f"  - {x.name} <{x.email}>, {x.unit_code} {x.unit_name}")


def cmd_cycle_show(args: argparse.Namespace, c: Console) -> int:
    from engine.views import cycle as cycle_views

    v = cycle_views.cycle_view(app_of(args), args.cycle)
    c.line(
        c._("Cykel")
        + f" {v.id}: {v.unit_name} {v.year} "
        + f"({v.template_key} v{v.template_version}) – {v.status}"
    )
    for st in v.stages:
        title = st.title_sv if c.lang == "sv" else st.title_en
        c.line(f"  [{st.status:<10}] {title}: {st.steps_done}/{st.steps_total}")
        for t in st.tasks:
            c.line(
                f"      #{t.id} {t.key} {t.status} "
                + c._("senast")
                + f" {when(t.due_at)} {t.waiting_on}"
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
        c.n_(
            "cykeln avbröts; %(num)d öppen uppgift avbröts",
            "cykeln avbröts; %(num)d öppna uppgifter avbröts",
            n,
        )
    )
    return 0


def cmd_cycle_overview(args: argparse.Namespace, c: Console) -> int:
    from engine.views import cycle as cycle_views

    o = cycle_views.year_overview(app_of(args), args.year)
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
    nxt = r.next_stage or c._("(cykeln klar)")
    c.line(
        c._(
            "%(signed_off)s signerat; nästa: %(nxt)s (%(tasks)s)",
            signed_off=r.signed_off,
            nxt=nxt,
            tasks=c.n_("%(num)d ny uppgift", "%(num)d nya uppgifter", r.tasks_created),
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
            c._(
                "provkörning, inget skrivet: %(reminded)s, %(escalated)s (%(checked)s)",
                reminded=c.n_("%(num)d påminnelse", "%(num)d påminnelser", r.reminded),
                escalated=c.n_("%(num)d eskalering", "%(num)d eskaleringar", r.escalated),
                checked=c.n_("%(num)d kontrollerad", "%(num)d kontrollerade", r.checked),
            )
        )
        return 0
    c.line(
        c._(
            "%(reminded)s, %(escalated)s (%(checked)s)",
            reminded=c.n_("%(num)d påminnelse", "%(num)d påminnelser", r.reminded),
            escalated=c.n_("%(num)d eskalering", "%(num)d eskaleringar", r.escalated),
            checked=c.n_("%(num)d kontrollerad", "%(num)d kontrollerade", r.checked),
        )
    )
    for step, n in sorted(r.steps.items()):  # cases opened by date (a review, a renewal)
        c.line(f"{step}: {n}")
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
