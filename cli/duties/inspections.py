"""``samflow inspection``: inspections by Arbetsmiljöverket and the replies.

samflow inspection register inspection.yaml --as dir@x.se
samflow inspection list | show ID | reply ID --out svar.pdf [--preview]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import (
    Sub,
    actor_of,
    app_of,
    as_option,
    command,
    doc_lang,
    group,
    iso_date,
    out_file,
)
from cli.console import Console


def reg_inspection(sub: Sub) -> None:
    g = group(sub, "inspection", "inspections by Arbetsmiljöverket and the replies")
    p = command(g, "register", "register an inspection from a YAML/JSON/CSV file", cmd_register)
    p.add_argument("file", help="inspection.yaml|.json, or requirements.csv with the options")
    p.add_argument("--unit", metavar="CODE", help="the inspected unit")
    p.add_argument("--date", type=iso_date, metavar="DATE", help="the inspection's date")
    p.add_argument("--reply-by", type=iso_date, metavar="DATE", help="reply deadline")
    p.add_argument("--reference", help="Arbetsmiljöverket's reference (diarienummer)")
    p.add_argument("--inspector")
    as_option(p)
    p = command(g, "list", "inspections and how far each has come", cmd_inspection_list)
    p.add_argument("--unit", metavar="CODE")
    p.add_argument("--year", type=int)
    as_option(p)
    p = command(g, "show", "each requirement and its answers", cmd_inspection_show)
    p.add_argument("inspection", type=int)
    as_option(p)
    p = command(g, "reply", "draft the reply (all requirements answered)", cmd_reply)
    p.add_argument("inspection", type=int)
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.html")
    p.add_argument("--preview", action="store_true", help="the draft so far; nothing recorded")
    doc_lang(p)
    as_option(p)


def cmd_register(args: argparse.Namespace, c: Console) -> int:
    from engine.inspections import cases as inspections

    app = app_of(args)
    overrides = {
        "unit": args.unit,
        "inspected_on": args.date,
        "reply_by": args.reply_by,
        "reference": args.reference,
        "inspector": args.inspector,
    }
    reg = inspections.read_registration(args.file, Path(args.file).read_bytes(), overrides)
    out = inspections.register(app, actor_of(app, args.as_), reg)
    c.line(
        c._(
            "inspektion %(inspection_id)s registrerad: %(requirements)s, %(tasks)s "
            "(cykel %(cycle_id)s)",
            inspection_id=out.inspection_id,
            requirements=c.n_("%(num)d krav", "%(num)d krav", out.requirements),
            tasks=c.n_("%(num)d uppgift", "%(num)d uppgifter", out.tasks),
            cycle_id=out.cycle_id,
        )
    )
    return 0


def cmd_inspection_list(args: argparse.Namespace, c: Console) -> int:
    from engine.inspections import cases as inspections

    app = app_of(args)
    rows = inspections.list_inspections(
        app, actor_of(app, args.as_), unit_code=args.unit, year=args.year
    )
    c.table(
        ["id", "date", "unit", "reference", "reply by", "answered", "overdue", "status"],
        [
            (
                i.id,
                i.inspected_on,
                i.unit_code,
                i.reference,
                i.reply_by,
                f"{i.done}/{i.answers}",
                i.overdue,
                i.status,
            )
            for i in rows
        ],
    )
    return 0


def cmd_inspection_show(args: argparse.Namespace, c: Console) -> int:
    from engine.inspections import cases as inspections

    app = app_of(args)
    d = inspections.preview_reply(app, actor_of(app, args.as_), args.inspection).data
    i = d["inspection"]
    c.line(
        f"{i['unit']['code']} {i['inspected_on']} {i['reference']} – "
        + c._("svar senast")
        + f" {i['reply_by']}"
    )
    for r in d["requirements"]:
        c.line(f"  {r['number']}. {r['text'][:90]}")
        for a in r["answers"]:
            state = a["status"] + (f" ↑{a['escalation_level']}" if a["escalation_level"] else "")
            c.line(f"     {a['unit']}: {state} {a['ref']} {a['waiting_on'] or a['by']}")
    return 0


def cmd_reply(args: argparse.Namespace, c: Console) -> int:
    from engine.inspections import cases as inspections
    from forms.exports import case_docs

    app = app_of(args)
    path, kind = out_file(args.out)
    actor = actor_of(app, args.as_)
    draft = (inspections.preview_reply if args.preview else inspections.draft_reply)(
        app, actor, args.inspection
    )
    render = case_docs.pdf if kind == "pdf" else case_docs.html
    content = render(draft.document(), draft.template, draft.title, args.doc_lang)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    c.line(c._("skrev %(path)s (kontrollsumma %(digest)s)", path=path, digest=draft.digest))
    return 0
