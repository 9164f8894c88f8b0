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
        f"{verb}: {r.items} "
        + c._("punkter")
        + f", {r.measures} "
        + c._("åtgärder")
        + f" ({r.status_changes} "
        + c._("med status")
        + ")"
    )
    return 0
