"""``samflow rollup``: the annual follow-up rolls up (issue 12 §5).

samflow rollup start --year 2027 [--root ADM] --as hr@x.se
samflow rollup levels --year 2027 [--root ADM]
samflow rollup waive 12 U7 "Enheten lades ned i oktober" --as hr@x.se
samflow rollup report 12 --out tjansteskrivelse.pdf [--record]
"""

from __future__ import annotations

import argparse

from cli.common import Sub, actor_of, app_of, as_option, command, doc_lang, group, out_file
from cli.console import Console


def reg_rollup(sub: Sub) -> None:
    g = group(sub, "rollup", "the annual follow-up per department and administration")
    p = command(g, "start", "open the year's levels (department, administration)", cmd_start)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--root", metavar="CODE")
    as_option(p)
    p = command(g, "levels", "every level with its sub-units' state", cmd_levels)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--root", metavar="CODE")
    as_option(p)
    p = command(g, "waive", "HR: let a level close without a missing sub-unit", cmd_waive)
    p.add_argument("level", type=int)
    p.add_argument("unit", metavar="CODE")
    p.add_argument("reason")
    as_option(p)
    p = command(g, "report", "the committee's tjänsteskrivelse of a level", cmd_report)
    p.add_argument("level", type=int)
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.html")
    p.add_argument("--record", action="store_true", help="draw it up and record it")
    doc_lang(p)
    as_option(p)


def cmd_start(args: argparse.Namespace, c: Console) -> int:
    from engine.reports import rollup

    app = app_of(args)
    out = rollup.start(app, actor_of(app, args.as_), args.year, args.root)
    c.line(
        c._(
            "%(opened)s, %(skipped)s",
            opened=c.n_("%(num)d nivå startad", "%(num)d nivåer startade", out.opened),
            skipped=c.n_("%(num)d fanns redan", "%(num)d fanns redan", out.skipped),
        )
    )
    for r in out.refused:
        c.line(f"  {r['unit']}: {r['message_' + c.lang]}")
    return 1 if out.refused else 0


def cmd_levels(args: argparse.Namespace, c: Console) -> int:
    from engine.reports import rollup

    app = app_of(args)
    rows = rollup.levels(app, actor_of(app, args.as_), args.year, args.root)
    c.table(
        ["id", "level", "unit", "due", "done", "missing", "waived", "closed"],
        [
            (
                lv.case_id,
                lv.level,
                lv.code,
                lv.due_on,
                lv.counts["done"],
                lv.counts["missing"],
                lv.counts["waived"],
                "yes" if lv.closed else "no",
            )
            for lv in rows
        ],
    )
    return 0


def cmd_waive(args: argparse.Namespace, c: Console) -> int:
    from engine.reports import rollup

    app = app_of(args)
    rollup.waive(app, actor_of(app, args.as_), args.level, args.unit, args.reason)
    c.line(c._("undantaget är sparat"))
    return 0


def cmd_report(args: argparse.Namespace, c: Console) -> int:
    from engine.reports import rollup
    from engine.workflow.process import cases as processes
    from forms.exports import case_docs

    app = app_of(args)
    path, kind = out_file(args.out)
    actor = actor_of(app, args.as_)
    if args.record:
        draft = processes.draw_up(app, actor, rollup.KIND, args.level, "committee_report")
    else:
        draft = processes.preview_document(app, actor, rollup.KIND, args.level, "committee_report")
    render = case_docs.pdf if kind == "pdf" else case_docs.html
    content = render(draft.document(), draft.template, draft.title, args.doc_lang)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    c.line(c._("skrev %(path)s", path=path))
    return 0
