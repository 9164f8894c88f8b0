"""``samflow org``: import the organisation (held imports: pending, confirm, refuse), span of
control, substitutes."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.common import (
    Sub,
    actor_of,
    app_of,
    command,
    group,
    iso_date,
    read_text,
)
from cli.console import Console

if TYPE_CHECKING:
    from engine.org.admin import ImportReport


def reg_org(sub: Sub) -> None:
    g = group(sub, "org", "the organisation: import, span of control, substitutes")
    p = command(
        g, "import", "import units and people from two CSV files (see README)", cmd_org_import
    )
    p.add_argument("units", help="units CSV: code,name,parent_code,level,headcount")
    p.add_argument("people", help="people CSV: email,name,role,unit_code,valid_from,valid_to")
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this HR person")
    p = command(
        g, "positions", "import positions and groups (befattningar, grupper)", cmd_org_positions
    )
    p.add_argument("file", help="CSV: kind,name,unit_code,email,valid_from,valid_to,convener")
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this HR person")
    p = command(g, "holders", "positions with their holders, groups with members", cmd_org_holders)
    p.add_argument("--unit", help="only this unit (code)")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL", help="act as this HR person")
    p = command(g, "pending", "imports held for a second HR person", cmd_org_pending)
    p.add_argument("--as", dest="as_", metavar="EMAIL", help="as this person")
    p = command(g, "confirm", "confirm a held import as a second HR person", cmd_org_confirm)
    p.add_argument("pending", type=int, help="the held import's number (samflow org pending)")
    p.add_argument("--hash", required=True, help="its content hash, as listed")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL", help="the confirming HR")
    p = command(g, "refuse", "refuse (or withdraw) a held import", cmd_org_refuse)
    p.add_argument("pending", type=int)
    p.add_argument("--reason", default="")
    p.add_argument("--as", dest="as_", metavar="EMAIL")
    p = command(g, "span", "span of control: employees per manager", cmd_org_span)
    p.add_argument("--root", metavar="UNIT", help="only this unit and those under it")
    p.add_argument("--threshold", type=int, help="flag managers above this (default 40)")
    p = command(
        g, "substitute", "let one person act for another between two dates", cmd_org_substitute
    )
    p.add_argument("person", help="e-mail of the substitute")
    p.add_argument("--for", dest="for_", required=True, metavar="EMAIL", help="who is away")
    p.add_argument("--from", dest="from_", required=True, type=iso_date, metavar="DATE")
    p.add_argument("--to", required=True, type=iso_date, metavar="DATE")
    p.add_argument("--reason", default="")
    p.add_argument("--as", dest="as_", metavar="EMAIL")


def cmd_org_import(args: argparse.Namespace, c: Console) -> int:
    from engine.org import admin as org
    from engine.workflow.batch import org_import as org_import_job

    app = app_of(args)
    units_text = read_text(args.units)
    people_text = read_text(args.people)
    actor = actor_of(app, args.as_)
    files = {"units_file": args.units, "people_file": args.people, "progress": c.progress}
    if not args.dry_run and org_import_job.needs_job(app, units_text, people_text):
        # a large import is written in batches, so the web app keeps the database meanwhile
        report = org_import_job.apply_in_batches(app, actor, units_text, people_text, **files)
    else:
        report = org.import_org(app, actor, units_text, people_text, dry_run=args.dry_run, **files)
    _import_summary(c, report)
    return EXIT_HELD if report.held else 0


def cmd_org_positions(args: argparse.Namespace, c: Console) -> int:
    from engine.org import positions

    app = app_of(args)
    text = read_text(args.file)
    r = positions.import_positions(
        app, actor_of(app, args.as_), text, file=args.file, dry_run=args.dry_run
    )
    verb = c._("ändrade") if r.applied else c._("skulle ändra")
    c.line(
        f"{verb}: "
        + ", ".join(
            (
                c.n_("%(num)d ny befattning", "%(num)d nya befattningar", len(r.positions_created)),
                c.n_("%(num)d innehavare", "%(num)d innehavare", len(r.holders_set)),
                c.n_("%(num)d ny grupp", "%(num)d nya grupper", len(r.groups_created)),
                c.n_("%(num)d medlem", "%(num)d medlemmar", len(r.members_added)),
                c.n_(
                    "%(num)d åtgärd till ny innehavare",
                    "%(num)d åtgärder till ny innehavare",
                    r.measures_moved,
                ),
            )
        )
    )
    return 0


#: The exit status of an import held for confirmation (nothing applied yet).
EXIT_HELD = 5


def _import_summary(c: Console, report: ImportReport) -> None:
    if report.held:
        c.line(
            c._(
                "inte genomförd: importen avslutar många roller och väntar på en annan "
                "HR-persons bekräftelse (samflow org confirm %(held)s --hash ... --as ...)",
                held=report.held,
            )
        )
    verb = c._("skulle ändra") if not report.applied else c._("ändrade")
    c.line(
        c._(
            "%(verb)s: %(units)s, %(people)s, %(added)s, %(ended)s",
            verb=verb,
            units=c._(
                "%(new)d + %(changed)d enheter (nya + ändrade)",
                new=len(report.units_created),
                changed=len(report.units_updated),
            ),
            people=c._(
                "%(new)d + %(changed)d personer",
                new=len(report.people_created),
                changed=len(report.people_updated),
            ),
            added=c.n_("%(num)d roll tillagd", "%(num)d roller tillagda", len(report.roles_added)),
            ended=c.n_("%(num)d avslutad", "%(num)d avslutade", len(report.roles_ended)),
        )
    )
    for email, role, unit in report.roles_ended[:20]:
        c.line(f"  - {role} {email} @ {unit}")
    if report.units_not_in_file:
        c.line(
            c._("finns i databasen men inte i filen: ") + ", ".join(report.units_not_in_file[:20])
        )
    if report.roles_kept:
        c.line(c._("roller utanför det du administrerar, lämnas orörda: ") + str(report.roles_kept))
    if report.tasks_held:
        c.line(
            c.n_(
                "%(num)d öppen uppgift hålls av chefen ovanför tills den nya chefens "
                "uppgiftsfördelning är accepterad",
                "%(num)d öppna uppgifter hålls av chefen ovanför tills de nya chefernas "
                "uppgiftsfördelning är accepterad",
                report.tasks_held,
            )
        )


def cmd_org_pending(args: argparse.Namespace, c: Console) -> int:
    from engine.org import pending as org_pending

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
    from engine.org import admin as org

    app = app_of(args)
    report = org.confirm_import(app, actor_of(app, args.as_), args.pending, args.hash)
    _import_summary(c, report)
    return 0


def cmd_org_refuse(args: argparse.Namespace, c: Console) -> int:
    from engine.org import pending as org_pending

    app = app_of(args)
    org_pending.refuse(app, actor_of(app, args.as_), args.pending, args.reason)
    c.line(c._("importen är avvisad"))
    return 0


def cmd_org_span(args: argparse.Namespace, c: Console) -> int:
    from engine.org import admin as org

    app = app_of(args)
    result = org.span(app, args.root, args.threshold)
    with app.read() as s:
        from engine.db import queries

        names = queries.person_names(s, [m.person_id for m in result.managers])
    c.line(
        c._(
            "%(managers)s, median %(median)s medarbetare per chef, %(above)s över %(threshold)s",
            managers=c.n_("%(num)d chef", "%(num)d chefer", len(result.managers)),
            median=result.median,
            above=len(result.above_threshold),
            threshold=result.threshold,
        )
    )
    c.table(
        ["manager", "units", "employees"],
        [(names[m.person_id][0], m.units, m.employees) for m in result.managers[:20]],
    )
    return 0


def cmd_org_substitute(args: argparse.Namespace, c: Console) -> int:
    from engine.org import admin as org

    app = app_of(args)
    out = org.set_substitute(
        app, actor_of(app, args.as_), args.person, args.for_, args.from_, args.to, args.reason
    )
    c.line(f"{out.person_email} → {out.for_email} {out.valid_from}–{out.valid_to} (#{out.id})")
    return 0


def cmd_org_holders(args: argparse.Namespace, c: Console) -> int:
    from engine.org import positions

    app = app_of(args)
    found = positions.overview(app, actor_of(app, args.as_), unit_code=args.unit)
    for p in found.positions:
        c.line(f"{p.title} ({p.unit_code}): " + (p.holder or c._("vakant")))
        for h in p.holders:
            until = h.valid_to.isoformat() if h.valid_to else ""
            c.line(f"  {h.name} <{h.email}> {h.valid_from.isoformat()} – {until}")
    for g in found.groups:
        people = ", ".join(n for n, _ in g.members) or "–"
        convener = c._("sammankallande")
        c.line(f"{g.name} ({g.unit_code}): {convener} {g.convener or '–'}; {people}")
    return 0
