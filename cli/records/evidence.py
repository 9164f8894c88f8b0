"""``samflow evidence``: evidence packages for Arbetsmiljöverket.

samflow evidence build --unit U1 --year 2027 --out u1.pdf [--lang en]
samflow evidence build --root ADM --year 2027 --out adm.pdf
samflow evidence verify u1.pdf
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.common import (
    Sub,
    actor_of,
    app_of,
    as_option,
    command,
    doc_lang,
    group,
    out_file,
    when,
)
from cli.console import Console

if TYPE_CHECKING:
    from engine.evidence import verify as evidence_verify


MISMATCH = 8


def reg_evidence(sub: Sub) -> None:
    g = group(sub, "evidence", "evidence packages for Arbetsmiljöverket")
    p = command(g, "build", "build the evidence package of a unit or a subtree", cmd_build)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--unit", metavar="CODE", help="one unit")
    where.add_argument("--root", metavar="CODE", help="a unit and everything under it")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.html")
    p.add_argument(
        "--reference", default="", metavar="DNR", help="diarienummer printed on the cover"
    )
    p.add_argument(
        "--events",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="print every audit event (default: for a single unit)",
    )
    doc_lang(p)
    as_option(p)
    p = command(g, "verify", "check an earlier package against the database", cmd_verify)
    p.add_argument("file")
    as_option(p)


def cmd_build(args: argparse.Namespace, c: Console) -> int:
    from engine.evidence import jobs as evidence_jobs
    from engine.evidence import package as evidence
    from engine.evidence import parts
    from forms.exports import evidence_docs

    app = app_of(args)
    reference = evidence_jobs.reference_of(args.reference)
    path, kind = out_file(args.out)
    actor = actor_of(app, args.as_)
    scope = evidence.Scope("unit" if args.unit else "subtree", args.unit or args.root, args.year)
    built = evidence.build(app, actor, scope)
    doc = built.document(actor.label, reference)
    if kind == "pdf":
        content = evidence_docs.evidence_pdf(
            doc,
            args.doc_lang,
            events=args.events,
            workers=app.settings.pdf_workers,
            store=parts.Store(app),
        )
    else:
        content = evidence_docs.evidence_html(doc, args.doc_lang, events=args.events).encode()
    path.write_bytes(content)
    c.line(
        c._(
            "skrev %(path)s (%(units)s, kontrollsumma %(digest)s)",
            path=path,
            units=c.n_("%(num)d enhet", "%(num)d enheter", len(built.data["units"])),
            digest=built.digest,
        )
    )
    return 0


def cmd_verify(args: argparse.Namespace, c: Console) -> int:
    from engine.evidence import verify as evidence_verify

    app = app_of(args)
    doc = evidence_verify.read_package(app, Path(args.file).read_bytes())
    r = evidence_verify.verify(app, actor_of(app, args.as_), doc)
    b = r.basis
    what = f"{b['scope']} {b['code']} {b['year']}, {_when_text(b['as_of'])}"
    if r.matches and r.file_intact:
        c.line(
            c._(
                "OK: paketet stämmer med databasen (%(what)s, %(recorded)s)",
                what=what,
                recorded=r.recorded,
            )
        )
        _notes(c, r)
        return 0
    c.error(c._("paketet stämmer INTE med databasen (%(what)s)", what=what))
    _verify_details(c, r, doc["data"])
    _notes(c, r)
    return MISMATCH


def _notes(c: Console, r: evidence_verify.VerifyReport) -> None:
    """What could not be checked about the package's checkpoint (said, never silent)."""
    for n in r.anchor_notes:
        c.line(c._("varning") + f": {n.text(c.lang)}")


def _when_text(iso: str) -> str:

    return when(datetime.fromisoformat(iso))


def _verify_details(c: Console, r: evidence_verify.VerifyReport, data: dict[str, Any]) -> None:
    from engine.evidence import verify as evidence_verify

    if not r.file_intact:
        c.line(c._("  filen själv är ändrad: kontrollsumman stämmer inte med dess data"))
    c.line("  " + c._("kontrollsumma i filen") + f": {r.recorded}")
    c.line("  " + c._("kontrollsumma nu") + f":         {r.current}")
    for ch in r.broken_chains:
        br = ch["break"]
        c.line(
            c._("  bruten hashkedja: ")
            + f"{ch['chain']} seq {br['seq']}"
            + (f" (event #{br['event_id']})" if br["event_id"] else "")
            + f": {br['kind']} – {br['detail']}"
        )
    for f in r.anchor:
        c.line(c._("  signerad kontrollpunkt: ") + f.text(c.lang))
    if r.later:
        chains = sorted({e.chain for e in r.later})
        c.line(
            c.n_(
                "  %(num)d händelse har registrerats sedan paketet byggdes (%(chains)s)",
                "  %(num)d händelser har registrerats sedan paketet byggdes (%(chains)s)",
                len(r.later),
                chains=", ".join(chains[:6]),
            )
        )
    c.line(c._("  skillnader (%(total)s):", total=r.total))
    verdicts = {
        "explained": c._("förklaras av senare händelse"),
        "possibly_explained": c._("kedjan har senare händelser"),
        "unexplained": c._("ÄNDRAD UTAN HÄNDELSE I LOGGEN"),
    }
    for d in r.differences[:50]:
        change = f"{_short(d.before)} → {_short(d.after)}"
        why = verdicts[d.verdict] + (f": {', '.join(d.explained_by)}" if d.explained_by else "")
        c.line(f"  - {evidence_verify.describe(d, data)}: {change} [{why}]")


def _short(value: Any) -> str:
    text = "–" if value is None else repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 70 else text[:67] + "…"
