"""Commands for searching the audit log and for the reports.

samflow audit search --unit DEP --subtree --action 'task.*' [--csv out.csv]
samflow report followup|board --year 2027 [--root ADM] --out report.pdf
"""

from __future__ import annotations

import argparse

from api.commands import Sub, _command, _group, _iso_date, _when, actor_of, app_of
from api.commands_common import as_option, doc_lang, out_file, subgroup
from api.console import Console
from engine.audit import search as audit_search
from engine.reports import board as board_report
from engine.reports import followup as followup_report
from forms import report_docs


def reg_reports(sub: Sub) -> None:
    _reg_audit_search(subgroup(sub, "audit"))
    _reg_reports(sub)


def _reg_audit_search(g: Sub) -> None:
    p = _command(g, "search", "find audit events by unit, person, action, period", cmd_search)
    p.add_argument("--unit", metavar="CODE")
    p.add_argument("--subtree", action="store_true", help="and every unit under it")
    p.add_argument("--person", metavar="EMAIL", help="acting, or acted for")
    p.add_argument("--action", help="e.g. task.returned, or task.* for every task event")
    p.add_argument("--from", dest="from_", type=_iso_date, metavar="DATE")
    p.add_argument("--to", type=_iso_date, metavar="DATE")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--page-size", type=int, default=50)
    p.add_argument("--csv", metavar="FILE", help="write every match to a CSV file instead")
    as_option(p)


def cmd_search(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    actor = actor_of(app, args.as_)
    q = audit_search.AuditQuery(
        args.unit, args.subtree, args.person, args.action, args.from_, args.to
    )
    if args.csv:
        n = -1
        with open(args.csv, "w", encoding="utf-8-sig", newline="") as f:
            for n, line in enumerate(audit_search.export_csv(app, actor, q)):  # noqa: B007
                f.write(line)
        c.line(c.t(f"skrev {n} händelser till {args.csv}", f"wrote {n} events to {args.csv}"))
        return 0
    page = audit_search.search(app, actor, q, page=args.page, page_size=args.page_size)
    c.table(
        ["id", "time", "actor", "action", "subject", "unit"],
        [
            (r.id, _when(r.at), r.actor_name or r.actor, r.action, r.subject, r.unit_code)
            for r in page.rows
        ],
    )
    c.line(
        c.t(
            f"sida {page.page}/{page.pages}, {page.total} träffar",
            f"page {page.page}/{page.pages}, {page.total} matches",
        )
    )
    return 0


def _reg_reports(sub: Sub) -> None:
    g = _group(sub, "report", "reports for management and the board")
    for name, fn, help_ in (
        ("followup", cmd_report, "the annual follow-up across the organisation, per department"),
        ("board", cmd_report, "the board's status report: activities, survey index, span"),
    ):
        p = _command(g, name, help_, fn)
        p.add_argument("--year", type=int, required=True)
        p.add_argument("--root", metavar="CODE", help="an administration (default: the top)")
        p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.html")
        doc_lang(p)
        as_option(p)


def cmd_report(args: argparse.Namespace, c: Console) -> int:
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
    c.line(c.t(f"skrev {path}", f"wrote {path}"))
    return 0
