"""``samflow coop`` and ``samflow change``: cooperation bodies, meetings, protocols, MBL,
and change cases with their risk assessment.

samflow coop import bodies.csv --as hr@x.se [--dry-run]
samflow coop bodies | body CODE | add-member CODE EMAIL ROLE [--organisation X]
samflow coop meeting CODE DATE [--title T] | meetings [--body CODE] | show MEETING
samflow coop item MEETING TITLE [--plan CYCLE | --change CASE | ...]
samflow coop outcome ITEM decided|disagreement DECISION [--disagreement TEXT]
samflow coop mbl ITEM | mbl-end ITEM agreement|disagreement PROTOCOL
samflow coop sign MEETING | protocol MEETING --out protokoll.pdf | establish CYCLE
samflow change register change.json | list | show ID | decide ID [--note N]
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
    read_json,
    read_text,
)
from cli.console import Console

SUBJECTS = ("plan", "risk_assessment", "change", "incident", "annual_follow_up")


def reg_coop(sub: Sub) -> None:
    g = group(sub, "coop", "cooperation bodies, meetings, protocols and MBL")
    p = command(g, "import", "bodies and members from a CSV (one member a row)", cmd_import)
    p.add_argument("file", help="organ;enhet;typ;namn;epost;roll;organisation")
    p.add_argument("--dry-run", action="store_true", help="check and show; write nothing")
    as_option(p)
    p = command(g, "bodies", "the bodies you may see", cmd_bodies)
    as_option(p)
    p = command(g, "body", "one body and its members", cmd_body)
    p.add_argument("code")
    as_option(p)
    p = command(g, "add-member", "seat a person in a body", cmd_add_member)
    p.add_argument("code")
    p.add_argument("email")
    p.add_argument("role", choices=("chair", "employer", "union_rep", "safety_rep"))
    p.add_argument("--organisation", default="", help="the union, for a representative")
    as_option(p)
    p = command(g, "end-member", "end a person's seat in a body (kept on record)", cmd_end_member)
    p.add_argument("code")
    p.add_argument("email")
    p.add_argument("role", choices=("chair", "employer", "union_rep", "safety_rep"))
    as_option(p)
    p = command(g, "meeting", "call a meeting of a body", cmd_meeting)
    p.add_argument("code")
    p.add_argument("date", type=iso_date)
    p.add_argument("--title", default="")
    as_option(p)
    p = command(g, "meetings", "meetings of the bodies you may see", cmd_meetings)
    p.add_argument("--body", metavar="CODE")
    as_option(p)
    p = command(g, "show", "a meeting's protocol as it stands", cmd_show)
    p.add_argument("meeting", type=int)
    as_option(p)
    p = command(g, "item", "put an item on a meeting's agenda", cmd_item)
    p.add_argument("meeting", type=int)
    p.add_argument("title")
    for name in SUBJECTS:
        p.add_argument(f"--{name.replace('_', '-')}", type=int, metavar="ID", dest=name)
    as_option(p)
    p = command(g, "outcome", "record an item's outcome", cmd_outcome)
    p.add_argument("item", type=int)
    p.add_argument("outcome", choices=("decided", "disagreement"))
    p.add_argument("decision")
    p.add_argument("--disagreement", default="", help="the union's view, on disagreement")
    as_option(p)
    p = command(g, "mbl", "ask for negotiation under MBL (a union representative)", cmd_mbl)
    p.add_argument("item", type=int)
    as_option(p)
    p = command(g, "mbl-end", "end an MBL negotiation with its protocol", cmd_mbl_end)
    p.add_argument("item", type=int)
    p.add_argument("result", choices=("agreement", "disagreement"))
    p.add_argument("protocol")
    as_option(p)
    p = command(g, "sign", "sign (justera) a protocol (a union representative)", cmd_sign)
    p.add_argument("meeting", type=int)
    as_option(p)
    p = command(g, "protocol", "write a meeting's protocol as PDF or HTML", cmd_protocol)
    p.add_argument("meeting", type=int)
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.html")
    doc_lang(p)
    as_option(p)
    p = command(g, "establish", "establish a plan handled at a signed meeting", cmd_establish)
    p.add_argument("cycle", type=int)
    as_option(p)


def reg_change(sub: Sub) -> None:
    g = group(sub, "change", "changes and the risk assessment before them")
    p = command(g, "register", "register a change from a JSON file", cmd_change_register)
    p.add_argument("file", help="change.json (unit, title, change_kind, description, ...)")
    as_option(p)
    p = command(g, "list", "the changes you may see", cmd_change_list)
    as_option(p)
    p = command(g, "show", "a change, its tasks, items and what is missing", cmd_change_show)
    p.add_argument("change", type=int)
    as_option(p)
    p = command(g, "decide", "mark a change decided (every step done)", cmd_change_decide)
    p.add_argument("change", type=int)
    p.add_argument("--note", default="")
    as_option(p)


def cmd_import(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import bodies

    app = app_of(args)
    text = read_text(args.file)
    out = bodies.import_bodies(
        app, actor_of(app, args.as_), text, filename=Path(args.file).name, dry_run=args.dry_run
    )
    head = c._("provkörning: ") if not out.applied else ""
    c.line(
        head
        + ", ".join(
            (
                c.n_("%(num)d nytt organ", "%(num)d nya organ", out.bodies_created),
                c.n_("%(num)d ny ledamot", "%(num)d nya ledamöter", out.members_added),
                c.n_("%(num)d oförändrad", "%(num)d oförändrade", out.unchanged),
            )
        )
    )
    return 0


def cmd_bodies(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import bodies

    app = app_of(args)
    rows = bodies.list_bodies(app, actor_of(app, args.as_))
    c.table(
        ["code", "kind", "name", "unit", "members"],
        [(b.code, b.kind_label, b.name, b.unit_code, len(b.members)) for b in rows],
    )
    return 0


def cmd_body(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import bodies

    app = app_of(args)
    b = bodies.show_body(app, actor_of(app, args.as_), args.code)
    c.line(f"{b.code} {b.name} ({b.kind_label}, {b.unit_code})")
    c.table(
        ["email", "name", "seat", "organisation", "from"],
        [(m.email, m.name, m.seat, m.organisation, m.valid_from) for m in b.members],
    )
    return 0


def cmd_add_member(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import bodies

    app = app_of(args)
    bodies.add_member(
        app,
        actor_of(app, args.as_),
        args.code,
        args.email,
        args.role,
        organisation=args.organisation,
    )
    c.line(c._("%(email)s är ledamot i %(code)s", email=args.email, code=args.code))
    return 0


def cmd_end_member(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import bodies

    app = app_of(args)
    bodies.end_member(app, actor_of(app, args.as_), args.code, args.email, args.role)
    c.line(c._("%(email)s har lämnat %(code)s", email=args.email, code=args.code))
    return 0


def cmd_meeting(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings

    app = app_of(args)
    new = meetings.create_meeting(app, actor_of(app, args.as_), args.code, args.date, args.title)
    c.line(c._("möte %(new)s skapat", new=new))
    return 0


def cmd_meetings(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings

    app = app_of(args)
    rows = meetings.list_meetings(app, actor_of(app, args.as_), args.body)
    c.table(
        ["id", "date", "body", "title", "items", "signed"],
        [
            (m.id, m.held_on, m.body_code, m.title, m.items, "yes" if m.signed else "no")
            for m in rows
        ],
    )
    return 0


def cmd_show(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings

    app = app_of(args)
    m = meetings.show_meeting(app, actor_of(app, args.as_), args.meeting)
    signed = (
        c._(
            "justerat %(signed_at)s av %(signed_by)s",
            signed_at=format(m.signed_at, "%Y-%m-%d"),
            signed_by=m.signed_by,
        )
        if m.signed_at
        else c._("inte justerat")
    )
    c.line(f"{m.body_name} {m.held_on} {m.title} – {signed}")
    for it in m.protocol["items"]:
        extra = ""
        if it["mbl"]:
            extra = " [MBL " + (it["mbl"]["result"] or c._("pågår")) + "]"
        c.line(
            f"  {it['ref']} § {it['number']} {it['title']}: "
            f"{it['outcome'] or '–'} {it['decision']}{extra}"
        )
    return 0


def cmd_item(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings
    from engine.domain.errors import InvalidInput

    given = [(k, getattr(args, k)) for k in SUBJECTS if getattr(args, k) is not None]
    if len(given) > 1:
        raise InvalidInput.field(
            "--plan",
            "name at most one thing the item decides on",
            "ange högst en sak punkten gäller",
        )
    kind, ref = given[0] if given else ("other", None)
    app = app_of(args)
    new = meetings.add_item(app, actor_of(app, args.as_), args.meeting, args.title, kind, ref)
    c.line(c._("punkt %(new)s tillagd", new=new))
    return 0


def cmd_outcome(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings

    app = app_of(args)
    meetings.record_outcome(
        app, actor_of(app, args.as_), args.item, args.outcome, args.decision, args.disagreement
    )
    c.line(c._("beslutet är protokollfört"))
    return 0


def cmd_mbl(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings

    app = app_of(args)
    meetings.request_mbl(app, actor_of(app, args.as_), args.item)
    c.line(c._("förhandling enligt MBL begärd"))
    return 0


def cmd_mbl_end(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings

    app = app_of(args)
    meetings.end_mbl(app, actor_of(app, args.as_), args.item, args.result, args.protocol)
    c.line(c._("MBL-förhandlingen är avslutad"))
    return 0


def cmd_sign(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings

    app = app_of(args)
    out = meetings.sign_protocol(app, actor_of(app, args.as_), args.meeting)
    c.line(c._("protokollet är justerat (kontrollsumma %(digest)s)", digest=out.digest))
    for cycle in out.established:
        c.line(c._("  handlingsplanen i cykel %(cycle)s är fastställd", cycle=cycle))
    for cycle, missing in out.not_yet.items():
        c.line(c._("  cykel %(cycle)s ännu inte fastställd: ", cycle=cycle) + "; ".join(missing))
    return 0


def cmd_protocol(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings
    from forms.exports import case_docs

    app = app_of(args)
    path, kind = out_file(args.out)
    doc = meetings.protocol_document(app, actor_of(app, args.as_), args.meeting)
    title = {"sv": "Protokoll", "en": "Minutes"}
    render = case_docs.pdf if kind == "pdf" else case_docs.html
    content = render(doc, meetings.PROTOCOL_TEMPLATE, title, args.doc_lang)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    c.line(c._("skrev %(path)s", path=path))
    return 0


def cmd_establish(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import meetings

    app = app_of(args)
    head = meetings.establish_plan(app, actor_of(app, args.as_), args.cycle)
    c.line(head.text(c.lang))
    return 0


def cmd_change_register(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import changes

    app = app_of(args)
    reg = changes.parse_registration(read_json(args.file))
    out = changes.register(app, actor_of(app, args.as_), reg)
    c.line(
        c._(
            "förändring %(change_id)s registrerad: %(tasks)s (cykel %(cycle_id)s)",
            change_id=out.change_id,
            tasks=c.n_("%(num)d uppgift", "%(num)d uppgifter", out.tasks),
            cycle_id=out.cycle_id,
        )
    )
    return 0


def cmd_change_list(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import changes

    app = app_of(args)
    rows = changes.list_changes(app, actor_of(app, args.as_))
    c.table(
        ["id", "registered", "unit", "title", "status"],
        [(r.id, r.opened_on, r.unit_code, r.title, r.status) for r in rows],
    )
    return 0


def cmd_change_show(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import changes

    app = app_of(args)
    v = changes.show(app, actor_of(app, args.as_), args.change)
    c.line(f"{v.fields.get('title')} ({v.unit_code}) – {v.fields.get('change_kind')}")
    for t in v.tasks:
        c.line(f"  task:{t['id']} {t['key']}: {t['status']}")
    for it in v.items:
        c.line(
            f"  {it['held_on']} § {it['number']}: {it['outcome'] or '–'}"
            + (c._(" (justerat)") if it["signed"] else "")
        )
    if v.decided_at:
        c.line(
            c._(
                "beslutad %(decided_at)s av %(decided_by)s",
                decided_at=format(v.decided_at, "%Y-%m-%d"),
                decided_by=v.decided_by,
            )
        )
    for u in v.missing:
        c.line(c._("  saknas: %(what)s", what=u.message(c.lang)))
    return 0


def cmd_change_decide(args: argparse.Namespace, c: Console) -> int:
    from engine.coop import changes

    app = app_of(args)
    changes.decide(app, actor_of(app, args.as_), args.change, args.note)
    c.line(c._("förändring %(change)s är beslutad", change=args.change))
    return 0
