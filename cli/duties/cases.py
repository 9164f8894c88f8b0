"""``samflow case``: the case processes of issue 10 by kind (``incident``,
``safety_request``, ``manager_risk``; ``inspection`` too).

samflow case register incident event.json --as anna@x.se
samflow case list incident [--unit U1] [--year 2027] | show incident 7
samflow case document safety_request 3 history --out historik.pdf [--record]
samflow case add inspection 12 foreläggande.json --as dir@x.se
samflow case latency --year 2027
"""

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
    read_json,
)
from cli.console import Console

KINDS = ("incident", "safety_request", "manager_risk", "inspection")


def reg_case(sub: Sub) -> None:
    g = group(sub, "case", "incidents, safety representatives' requests, managers' own risks")
    p = command(g, "register", "register a case from a JSON file of its fields", cmd_register)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("file", help="the case's fields as JSON ('-': standard input)")
    as_option(p)
    p = command(g, "list", "the cases you may see and how far each has come", cmd_list)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--unit", metavar="CODE")
    p.add_argument("--year", type=int)
    as_option(p)
    p = command(g, "show", "one case: its fields, tasks and documents", cmd_show)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("case", type=int)
    as_option(p)
    p = command(g, "document", "a case's document (a receipt, the whole history)", cmd_document)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("case", type=int)
    p.add_argument("key", help="receipt, history, reply …")
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.html")
    p.add_argument("--record", action="store_true", help="draw it up and record it")
    doc_lang(p)
    as_option(p)
    p = command(g, "add", "later items on a case (a föreläggande or förbud)", cmd_add)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("case", type=int)
    p.add_argument("file", help="the addition as JSON ('-': standard input)")
    as_option(p)
    p = command(g, "latency", "how quickly serious incidents were reported", cmd_latency)
    p.add_argument("--year", type=int, required=True)
    as_option(p)


def cmd_register(args: argparse.Namespace, c: Console) -> int:
    from engine.cases import doors

    app = app_of(args)
    out = doors.register(app, actor_of(app, args.as_), args.kind, read_json(args.file))
    c.line(
        c._(
            "ärende %(case_id)s registrerat: %(tasks)s (cykel %(cycle_id)s)",
            case_id=out.case_id,
            tasks=c.n_("%(num)d uppgift", "%(num)d uppgifter", out.tasks),
            cycle_id=out.cycle_id,
        )
    )
    return 0


def cmd_list(args: argparse.Namespace, c: Console) -> int:
    from engine.cases import doors

    app = app_of(args)
    rows = doors.cases(app, actor_of(app, args.as_), args.kind, unit_code=args.unit, year=args.year)
    c.table(
        ["id", "date", "unit", "done", "overdue", "escalated", "status"],
        [
            (
                r.id,
                r.opened_on,
                r.unit_code,
                f"{r.done}/{r.answers}",
                r.overdue,
                r.escalated,
                r.status,
            )
            for r in rows
        ],
    )
    return 0


def cmd_show(args: argparse.Namespace, c: Console) -> int:
    from engine.cases import doors

    app = app_of(args)
    shown = doors.show(app, actor_of(app, args.as_), args.kind, args.case)
    d, s = shown.detail, shown.detail.summary
    c.line(f"{d.title[c.lang]} {s.opened_on} {s.unit_code} – {s.status}")
    for k, v in d.data.items():
        c.line(f"  {k}: {v}")
    for k, v in s.state.items():
        c.line(f"  {k}: {v}")
    for t in d.tasks:
        who = t["by"] if t["status"] == "completed" else t["waiting_on"]
        c.line(f"  {t['title_' + c.lang]}: {t['status']} {who}")
    for link in shown.plan_links:
        c.line(f"  → {link['unit']} {link['year']} #{link['item']}: {link['area'][:60]}")
    return 0


def cmd_document(args: argparse.Namespace, c: Console) -> int:
    from engine.cases import doors
    from forms.exports import case_docs

    app = app_of(args)
    path, kind = out_file(args.out)
    draft = doors.document(
        app, actor_of(app, args.as_), args.kind, args.case, args.key, record=args.record
    )
    render = case_docs.pdf if kind == "pdf" else case_docs.html
    content = render(draft.document(), draft.template, draft.title, args.doc_lang)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    c.line(c._("skrev %(path)s (kontrollsumma %(digest)s)", path=path, digest=draft.digest))
    return 0


def cmd_add(args: argparse.Namespace, c: Console) -> int:
    from engine.cases import doors

    app = app_of(args)
    out = doors.add(app, actor_of(app, args.as_), args.kind, args.case, read_json(args.file))
    c.line(
        c._(
            "%(items)s, %(tasks)s (ärende %(case_id)s)",
            items=c.n_("%(num)d nytt krav", "%(num)d nya krav", out.items),
            tasks=c.n_("%(num)d uppgift", "%(num)d uppgifter", out.tasks),
            case_id=out.case_id,
        )
    )
    return 0


def cmd_latency(args: argparse.Namespace, c: Console) -> int:
    from engine.cases import incidents

    app = app_of(args)
    lat = incidents.latency(app, actor_of(app, args.as_), args.year)
    c.table(
        ["events", "serious", "reported", "not reported", "median h", "max h", "within 24 h"],
        [
            (
                lat.events,
                lat.serious,
                lat.reported,
                lat.not_reported,
                lat.median_hours if lat.median_hours is not None else "–",
                lat.max_hours if lat.max_hours is not None else "–",
                lat.within_24h,
            )
        ],
    )
    return 0
