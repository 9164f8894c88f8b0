"""``samflow round``: safety rounds (issue 12 §2).

samflow round checklists
samflow round plan round.json --as m1@x.se            # unit, checklist, planned_on, area
samflow round list [--unit U1] [--year 2027] | show 7
samflow round finding 7 finding.json --photo golv.jpg --as so1@x.se
samflow round to-plan 12 measure.json --as m1@x.se    # {"measure": {what, responsible, due_date}}
samflow round review 9 12 --outcome resolved [--note ...] --as m1@x.se
samflow round close 9 --as m1@x.se
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import Sub, actor_of, app_of, as_option, command, group, read_json
from cli.console import Console


def reg_round(sub: Sub) -> None:
    g = group(sub, "round", "safety rounds: checklists, findings with photos, review, close")
    command(g, "checklists", "the checklists a round may follow", cmd_checklists)
    p = command(g, "plan", "plan a round from a JSON file of its fields", cmd_plan)
    p.add_argument("file", help="unit, checklist, planned_on, kind, area ('-': stdin)")
    as_option(p)
    p = command(g, "list", "the rounds you may see", cmd_list)
    p.add_argument("--unit", metavar="CODE")
    p.add_argument("--year", type=int)
    as_option(p)
    p = command(g, "show", "one round: findings and earlier open findings", cmd_show)
    p.add_argument("round", type=int)
    as_option(p)
    p = command(g, "finding", "record a finding (with photos) while the round goes on", cmd_finding)
    p.add_argument("round", type=int)
    p.add_argument("file", help="point, place, description, probability, consequence (JSON)")
    p.add_argument("--photo", action="append", default=[], metavar="FILE")
    as_option(p)
    p = command(g, "to-plan", "a finding into the unit's action plan", cmd_to_plan)
    p.add_argument("finding", type=int)
    p.add_argument("file", help='{"measure": {"what", "responsible", "due_date"}} (JSON)')
    as_option(p)
    p = command(g, "review", "review an earlier round's open finding in this round", cmd_review)
    p.add_argument("round", type=int)
    p.add_argument("finding", type=int)
    p.add_argument("--outcome", choices=("resolved", "remains"), required=True)
    p.add_argument("--note", default="")
    as_option(p)
    p = command(g, "close", "sign the round off", cmd_close)
    p.add_argument("round", type=int)
    as_option(p)


def cmd_checklists(args: argparse.Namespace, c: Console) -> int:
    from forms import checklists

    c.table(
        ["key", "title", "points"],
        [(k, v.title.text(c.lang), len(v.points)) for k, v in checklists.all_checklists().items()],
    )
    return 0


def cmd_plan(args: argparse.Namespace, c: Console) -> int:
    from engine.rounds import rounds

    app = app_of(args)
    out = rounds.plan(app, actor_of(app, args.as_), read_json(args.file))
    c.line(c._("skyddsrond %(case_id)s planerad", case_id=out.case_id))
    return 0


def cmd_list(args: argparse.Namespace, c: Console) -> int:
    from engine.rounds import rounds

    app = app_of(args)
    rows = rounds.list_rounds(app, actor_of(app, args.as_), unit_code=args.unit, year=args.year)
    c.table(
        ["id", "date", "unit", "findings", "open", "earlier to review", "status"],
        [
            (
                r.id,
                r.opened_on,
                r.unit_code,
                r.state.get("findings", 0),
                r.state.get("open", 0),
                r.state.get("earlier_unreviewed", 0),
                r.status,
            )
            for r in rows
        ],
    )
    return 0


def cmd_show(args: argparse.Namespace, c: Console) -> int:
    from engine.rounds import rounds

    app = app_of(args)
    r = rounds.show(app, actor_of(app, args.as_), args.round)
    s = r.detail.summary
    title = r.checklist.title.text(c.lang) if r.checklist else ""
    c.line(f"{s.opened_on} {s.unit_code} {title} – {s.status}")
    for f in r.findings:
        c.line(
            f"  {f.number}. {f.description} ({f.place}) {f.level.label(c.lang)} {f.status}"
            f" · {len(f.photos)} foto"
        )
    for f in r.earlier:
        c.line(f"  ← {f.round_on} {f.number}. {f.description}: {f.reviewed or '–'} [{f.id}]")
    for u in r.unmet:
        c.line(f"  ! {u.message(c.lang)}")
    return 0


def cmd_finding(args: argparse.Namespace, c: Console) -> int:
    from engine.rounds import rounds

    app = app_of(args)
    largest = app.settings.round_photo_max_bytes
    photos = []
    for name in args.photo:
        path = Path(name)
        with path.open("rb") as fh:  # at most one byte past the limit
            photos.append(rounds.Photo(path.name, fh.read(largest + 1)))
    f = rounds.add_finding(app, actor_of(app, args.as_), args.round, read_json(args.file), photos)
    c.line(
        c.n_(
            "iakttagelse %(number)s sparad (%(num)d foto)",
            "iakttagelse %(number)s sparad (%(num)d foton)",
            f.photos,
            number=f.number,
        )
    )
    return 0


def cmd_to_plan(args: argparse.Namespace, c: Console) -> int:
    from engine.rounds import rounds

    app = app_of(args)
    out = rounds.to_plan(app, actor_of(app, args.as_), args.finding, read_json(args.file))
    c.line(c._("i handlingsplanen som punkt %(v)s", v=out["item"]))
    return 0


def cmd_review(args: argparse.Namespace, c: Console) -> int:
    from engine.rounds import rounds

    app = app_of(args)
    data = {"outcome": args.outcome, "note": args.note}
    rounds.review(app, actor_of(app, args.as_), args.round, args.finding, data)
    c.line(c._("bedömningen är sparad"))
    return 0


def cmd_close(args: argparse.Namespace, c: Console) -> int:
    from engine.rounds import rounds

    app = app_of(args)
    rounds.close(app, actor_of(app, args.as_), args.round)
    c.line(c._("skyddsronden är avslutad"))
    return 0
