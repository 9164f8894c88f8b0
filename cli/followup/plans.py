"""``samflow plan``: measures, risks, and importing an action plan (CSV/XLSX)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import (
    Sub,
    actor_of,
    app_of,
    as_option,
    command,
    group,
    read_json,
)
from cli.console import Console


def reg_plan(sub: Sub) -> None:
    g = group(sub, "plan", "the action plan")
    p = command(g, "measure", "a dated status update on a measure", cmd_plan_measure)
    p.add_argument("measure", type=int)
    p.add_argument(
        "--status",
        required=True,
        choices=("planned", "in_progress", "done", "postponed", "cancelled"),
    )
    p.add_argument("--note", default="")
    p.add_argument("--reason", default="")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = command(g, "risk", "record whether a risk is serious", cmd_plan_risk)
    p.add_argument("risk", type=int)
    p.add_argument("--serious", required=True, choices=("yes", "no"))
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL")
    p = command(g, "import", "import an action plan (CSV/XLSX)", cmd_import)
    p.add_argument("cycle", type=int)
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    as_option(p, required=True)
    p = command(g, "create", "a plan in its own right, from its header (JSON)", cmd_create)
    p.add_argument("file", help="JSON: unit, scope, theme, title, plan_date, participants, ...")
    as_option(p, required=True)
    p = command(g, "list", "the plans you may see", cmd_list)
    p.add_argument("--year", type=int)
    as_option(p, required=True)
    p = command(g, "show", "one plan: header, state, tasks", cmd_show)
    p.add_argument("plan", type=int)
    as_option(p, required=True)


def cmd_plan_measure(args: argparse.Namespace, c: Console) -> int:
    from engine.plans import plan as plans

    app = app_of(args)
    event = plans.update_measure(
        app, actor_of(app, args.as_), args.measure, args.status, note=args.note, reason=args.reason
    )
    c.line(f"measure {args.measure}: {event} → {args.status}")
    return 0


def cmd_plan_risk(args: argparse.Namespace, c: Console) -> int:
    from engine.plans import plan as plans

    app = app_of(args)
    plans.set_risk_seriousness(app, actor_of(app, args.as_), args.risk, args.serious == "yes")
    c.line(f"risk {args.risk}: serious={args.serious}")
    return 0


def cmd_import(args: argparse.Namespace, c: Console) -> int:
    from engine.plans import importer as plan_import

    app = app_of(args)
    r = plan_import.import_plan(
        app,
        actor_of(app, args.as_),
        args.cycle,
        Path(args.file).name,
        Path(args.file).read_bytes(),
        dry_run=args.dry_run,
    )
    verb = c._("skulle importera") if args.dry_run else c._("importerade")
    c.line(
        f"{verb}: "
        + ", ".join(
            (
                c.n_("%(num)d punkt", "%(num)d punkter", r.items),
                c.n_("%(num)d åtgärd", "%(num)d åtgärder", r.measures),
            )
        )
        + " ("
        + c.n_("%(num)d med status", "%(num)d med status", r.status_changes)
        + ")"
    )
    return 0


def cmd_create(args: argparse.Namespace, c: Console) -> int:
    from engine.plans import own

    app = app_of(args)
    made = own.create(app, actor_of(app, args.as_), own.parse(read_json(args.file)))
    c.line(
        c._(
            "plan %(plan_id)s skapad (cykel %(cycle_id)s); chefen upprättar den",
            plan_id=made.plan_id,
            cycle_id=made.cycle_id,
        )
    )
    return 0


def cmd_list(args: argparse.Namespace, c: Console) -> int:
    from engine.plans import own

    app = app_of(args)
    for r in own.list_plans(app, actor_of(app, args.as_), args.year):
        where = f"{r.theme} ({r.unit})" if r.theme else r.unit
        est = r.established or c._("ej fastställd")
        counts = (
            c.n_("%(num)d åtgärd", "%(num)d åtgärder", r.counts.total)
            + ", "
            + c.n_("%(num)d försenad", "%(num)d försenade", r.counts.late)
        )
        c.line(f"{r.id}\t{r.title or r.year}\t{r.scope}: {where}\t" + counts + f"\t{est}")
    return 0


def cmd_show(args: argparse.Namespace, c: Console) -> int:
    from engine.plans import own

    app = app_of(args)
    p = own.show(app, actor_of(app, args.as_), args.plan)
    r = p.row
    c.line(f"{r.title} – {r.scope}: {r.theme or r.unit}")
    if r.plan_date:
        c.line(c._("datum") + f": {r.plan_date.isoformat()}")
    if p.responsible_manager:
        c.line(c._("ansvarig chef") + f": {p.responsible_manager}")
    for name, org in p.participants:
        c.line(f"  {name}" + (f" ({org})" if org else ""))
    rhythm = []
    if p.follow_up_months:
        rhythm.append(
            c.n_(
                "varje månad räknat från plandatum",
                "med %(num)d månaders mellanrum räknat från plandatum",
                p.follow_up_months,
            )
        )
    if p.review_dates:
        rhythm.append(c._("på dessa datum:") + " " + ", ".join(map(str, p.review_dates)))
    if rhythm:
        c.line(c._("Uppföljning av planen") + ": " + "; ".join(rhythm))
    c.line(
        ", ".join(
            (
                c.n_("%(num)d åtgärd", "%(num)d åtgärder", r.counts.total),
                c.n_("%(num)d klar", "%(num)d klara", r.counts.done),
                c.n_("%(num)d försenad", "%(num)d försenade", r.counts.late),
            )
        )
    )
    if p.established:
        c.line(p.established.text(c.lang))
    else:
        for sv, en in zip(p.unmet, p.unmet_en, strict=True):
            c.line(f"  – {c.t(sv, en)}")
    for t in p.tasks:
        c.line(f"  {t['key']}: {t['status']} ({t['due'].isoformat()})")
    return 0
