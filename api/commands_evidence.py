"""Commands for evidence, inspections, audit search, reports and plan import.

samflow evidence build --unit U1 --year 2027 --out u1.pdf [--lang en]
samflow evidence verify u1.pdf
samflow inspection register inspection.yaml --as dir@x.se
samflow inspection list | show ID | reply ID --out svar.pdf
samflow audit search --unit DEP --subtree --action 'task.*' --csv out.csv
samflow report followup|board --year 2027 --out report.pdf
samflow plan import CYCLE plan.xlsx --as chef@x.se
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from api.commands import Sub, _command, _group, _iso_date, _when, actor_of, app_of
from api.console import Console
from engine.domain.errors import InvalidInput
from engine.services import (
    audit_search,
    board_report,
    evidence,
    followup_report,
    inspection_files,
    inspection_reply,
    inspections,
    plan_import,
)
from forms import documents, evidence_docs, inspection_docs, report_docs

MISMATCH = 8


def _subgroup(sub: Sub, name: str) -> Sub:
    """The subcommands of an existing group (``audit``, ``plan``), to add to it."""
    parser = sub.choices[name]
    for action in parser._actions:  # argparse keeps them here; there is no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise KeyError(name)


def _out(path: str) -> tuple[Path, str]:
    p = Path(path)
    kind = p.suffix.lower().lstrip(".")
    if kind not in ("pdf", "html"):
        raise InvalidInput.field(
            "--out", "the file must end in .pdf or .html", "filen ska sluta på .pdf eller .html"
        )
    return p, kind


def _doc_lang(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        dest="doc_lang",
        choices=("sv", "en"),
        default="sv",
        help="language of the document (default: sv)",
    )


def _as(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument(
        "--as",
        dest="as_",
        metavar="EMAIL",
        required=required,
        help="act as this person (default: the system)",
    )


# --- evidence -----------------------------------------------------------------------------
def reg_evidence(sub: Sub) -> None:
    g = _group(sub, "evidence", "evidence packages for Arbetsmiljöverket")
    p = _command(g, "build", "build the evidence package of a unit or a subtree", cmd_build)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--unit", metavar="CODE", help="one unit")
    where.add_argument("--root", metavar="CODE", help="a unit and everything under it")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.html")
    p.add_argument(
        "--events",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="print every audit event (default: for a single unit)",
    )
    _doc_lang(p)
    _as(p)
    p = _command(g, "verify", "check an earlier package against the database", cmd_verify)
    p.add_argument("file")
    _as(p)
    reg_more(sub)


def cmd_build(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    path, kind = _out(args.out)
    actor = actor_of(app, args.as_)
    scope = evidence.Scope("unit" if args.unit else "subtree", args.unit or args.root, args.year)
    built = evidence.build(app, actor, scope)
    doc = built.document(actor.label)
    if kind == "pdf":
        content = evidence_docs.evidence_pdf(
            doc,
            args.doc_lang,
            events=args.events,
            units_per_part=app.settings.evidence_units_per_part,
            workers=app.settings.pdf_workers,
        )
    else:
        content = evidence_docs.evidence_html(doc, args.doc_lang, events=args.events).encode()
    path.write_bytes(content)
    c.line(
        c.t(
            f"skrev {path} ({len(built.data['units'])} enheter, kontrollsumma {built.digest})",
            f"wrote {path} ({len(built.data['units'])} units, digest {built.digest})",
        )
    )
    return 0


def cmd_verify(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    doc = documents.read_embedded(Path(args.file).read_bytes())
    if doc is None:
        raise InvalidInput.field(
            "file",
            f"{args.file} carries no samflow evidence data",
            f"{args.file} innehåller inga bevisdata från samflow",
        )
    r = evidence.verify(app, actor_of(app, args.as_), doc)
    b = r.basis
    what = f"{b['scope']} {b['code']} {b['year']}, {_when_text(b['as_of'])}"
    if r.matches and r.file_intact:
        c.line(
            c.t(
                f"OK: paketet stämmer med databasen ({what}, {r.recorded})",
                f"OK: the package matches the database ({what}, {r.recorded})",
            )
        )
        return 0
    c.error(
        c.t(
            f"paketet stämmer INTE med databasen ({what})",
            f"the package does NOT match the database ({what})",
        )
    )
    _verify_details(c, r, doc["data"])
    return MISMATCH


def _when_text(iso: str) -> str:
    from datetime import datetime

    return _when(datetime.fromisoformat(iso))


def _verify_details(c: Console, r: evidence.VerifyReport, data: dict[str, Any]) -> None:
    if not r.file_intact:
        c.line(
            c.t(
                "  filen själv är ändrad: kontrollsumman stämmer inte med dess data",
                "  the file itself was altered: its digest does not match its data",
            )
        )
    c.line(f"  {c.t('kontrollsumma i filen', 'digest in the file')}: {r.recorded}")
    c.line(f"  {c.t('kontrollsumma nu', 'digest now')}:         {r.current}")
    for ch in r.broken_chains:
        br = ch["break"]
        c.line(
            c.t("  bruten hashkedja: ", "  broken hash chain: ")
            + f"{ch['chain']} seq {br['seq']}"
            + (f" (event #{br['event_id']})" if br["event_id"] else "")
            + f": {br['kind']} – {br['detail']}"
        )
    if r.later:
        chains = sorted({e.chain for e in r.later})
        c.line(
            c.t(
                f"  {len(r.later)} händelser har registrerats sedan paketet byggdes "
                f"({', '.join(chains[:6])})",
                f"  {len(r.later)} audit events were recorded since the package was built "
                f"({', '.join(chains[:6])})",
            )
        )
    c.line(c.t(f"  skillnader ({r.total}):", f"  differences ({r.total}):"))
    verdicts = {
        "explained": c.t("förklaras av senare händelse", "explained by a later event"),
        "possibly_explained": c.t("kedjan har senare händelser", "its chain has later events"),
        "unexplained": c.t("ÄNDRAD UTAN HÄNDELSE I LOGGEN", "CHANGED WITHOUT ANY AUDIT EVENT"),
    }
    for d in r.differences[:50]:
        change = f"{_short(d.before)} → {_short(d.after)}"
        why = verdicts[d.verdict] + (f": {', '.join(d.explained_by)}" if d.explained_by else "")
        c.line(f"  - {evidence.describe(d, data)}: {change} [{why}]")


def _short(value: Any) -> str:
    text = "–" if value is None else repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 70 else text[:67] + "…"


# --- inspections, audit search, reports, plan import ---------------------------------------
def reg_more(sub: Sub) -> None:
    g = _group(sub, "inspection", "inspections by Arbetsmiljöverket and the replies")
    p = _command(g, "register", "register an inspection from a YAML/JSON/CSV file", cmd_register)
    p.add_argument("file", help="inspection.yaml|.json, or requirements.csv with the options")
    p.add_argument("--unit", metavar="CODE", help="the inspected unit")
    p.add_argument("--date", type=_iso_date, metavar="DATE", help="the inspection's date")
    p.add_argument("--reply-by", type=_iso_date, metavar="DATE", help="reply deadline")
    p.add_argument("--reference", help="Arbetsmiljöverket's reference (diarienummer)")
    p.add_argument("--inspector")
    _as(p)
    p = _command(g, "list", "inspections and how far each has come", cmd_inspection_list)
    p.add_argument("--unit", metavar="CODE")
    p.add_argument("--year", type=int)
    _as(p)
    p = _command(g, "show", "each requirement and its answers", cmd_inspection_show)
    p.add_argument("inspection", type=int)
    _as(p)
    p = _command(g, "reply", "draft the reply (all requirements answered)", cmd_reply)
    p.add_argument("inspection", type=int)
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.html")
    p.add_argument("--preview", action="store_true", help="the draft so far; nothing recorded")
    _doc_lang(p)
    _as(p)
    _reg_audit_search(_subgroup(sub, "audit"))
    _reg_reports(sub)
    p = _command(_subgroup(sub, "plan"), "import", "import an action plan (CSV/XLSX)", cmd_import)
    p.add_argument("cycle", type=int)
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    _as(p, required=True)


def cmd_register(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    overrides = {
        "unit": args.unit,
        "inspected_on": args.date,
        "reply_by": args.reply_by,
        "reference": args.reference,
        "inspector": args.inspector,
    }
    reg = inspection_files.read_registration(args.file, Path(args.file).read_bytes(), overrides)
    out = inspections.register(app, actor_of(app, args.as_), reg)
    c.line(
        c.t(
            f"inspektion {out.inspection_id} registrerad: {out.requirements} krav, "
            f"{out.tasks} uppgifter (cykel {out.cycle_id})",
            f"inspection {out.inspection_id} registered: {out.requirements} requirements, "
            f"{out.tasks} tasks (cycle {out.cycle_id})",
        )
    )
    return 0


def cmd_inspection_list(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    rows = inspection_reply.list_inspections(
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
    app = app_of(args)
    d = inspection_reply.preview_reply(app, actor_of(app, args.as_), args.inspection).data
    i = d["inspection"]
    c.line(
        f"{i['unit']['code']} {i['inspected_on']} {i['reference']} – "
        f"{c.t('svar senast', 'reply by')} {i['reply_by']}"
    )
    for r in d["requirements"]:
        c.line(f"  {r['number']}. {r['text'][:90]}")
        for a in r["answers"]:
            state = a["status"] + (f" ↑{a['escalation_level']}" if a["escalation_level"] else "")
            c.line(f"     {a['unit']}: {state} {a['ref']} {a['waiting_on'] or a['by']}")
    return 0


def cmd_reply(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    path, kind = _out(args.out)
    actor = actor_of(app, args.as_)
    draft = (inspection_reply.preview_reply if args.preview else inspection_reply.draft_reply)(
        app, actor, args.inspection
    )
    doc = draft.document()
    render = inspection_docs.reply_pdf if kind == "pdf" else inspection_docs.reply_html
    content = render(doc, args.doc_lang)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    c.line(
        c.t(f"skrev {path} (kontrollsumma {draft.digest})", f"wrote {path} (digest {draft.digest})")
    )
    return 0


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
    _as(p)


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
        _doc_lang(p)
        _as(p)


def cmd_report(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    path, kind = _out(args.out)
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


def cmd_import(args: argparse.Namespace, c: Console) -> int:
    app = app_of(args)
    r = plan_import.import_plan(
        app,
        actor_of(app, args.as_),
        args.cycle,
        Path(args.file).name,
        Path(args.file).read_bytes(),
        dry_run=args.dry_run,
    )
    verb = (
        c.t("skulle importera", "would import") if args.dry_run else c.t("importerade", "imported")
    )
    c.line(
        f"{verb}: {r.items} {c.t('punkter', 'items')}, {r.measures} "
        f"{c.t('åtgärder', 'measures')} ({r.status_changes} "
        f"{c.t('med status', 'with a status')})"
    )
    return 0
