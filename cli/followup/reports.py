"""``samflow report``: the annual follow-up and the board's report, as PDF or HTML."""

from __future__ import annotations

import argparse

from cli.common import (
    Sub,
    actor_of,
    app_of,
    as_option,
    command,
    doc_lang,
    group,
    out_file,
)
from cli.console import Console


def reg_report(sub: Sub) -> None:
    g = group(sub, "report", "reports for management and the board")
    for name, fn, help_ in (
        ("followup", cmd_report, "the annual follow-up across the organisation, per department"),
        ("board", cmd_report, "the board's status report: activities, survey index, span"),
    ):
        p = command(g, name, help_, fn)
        p.add_argument("--year", type=int, required=True)
        p.add_argument("--root", metavar="CODE", help="an administration (default: the top)")
        p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.html")
        doc_lang(p)
        as_option(p)


def cmd_report(args: argparse.Namespace, c: Console) -> int:
    from engine.reports import board as board_report
    from engine.reports import followup as followup_report
    from forms.exports import report_docs

    app = app_of(args)
    path, kind = out_file(args.out)
    actor = actor_of(app, args.as_)
    content: bytes | str
    if args.report_command == "followup":
        f = followup_report.build(app, actor, args.year, args.root)
        content = (report_docs.followup_pdf if kind == "pdf" else report_docs.followup_html)(
            f, args.doc_lang
        )
    else:
        b = board_report.build(app, actor, args.year, args.root)
        content = (report_docs.board_pdf if kind == "pdf" else report_docs.board_html)(
            b, args.doc_lang
        )
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    c.line(c._("skrev %(path)s", path=path))
    return 0
