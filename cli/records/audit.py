"""``samflow audit``: verify the hash chains against the signed checkpoints, write a
checkpoint, make its key, read the log, search it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cli.common import (
    Sub,
    actor_of,
    app_of,
    as_option,
    command,
    group,
    iso_date,
    settings_of,
    when,
)
from cli.console import Console
from engine.domain.errors import InvalidInput

if TYPE_CHECKING:
    from engine.audit.checkpoint import AnchorReport


def reg_audit(sub: Sub) -> None:
    g = group(sub, "audit", "the audit log")
    p = command(
        g,
        "verify",
        "recompute the hash chains and hold them against the signed checkpoints; name "
        "altered, removed (truncation) and recomputed (re-hashing) events. Exit 0: intact "
        "and anchored; 8: a finding; 9: intact but not anchored (no checkpoint yet)",
        cmd_audit_verify,
    )
    p.add_argument("--chain", help="only this chain, e.g. cycle:12")
    p.add_argument(
        "--public-key", metavar="FILE", help="check the checkpoints with this public key"
    )
    p.add_argument(
        "--checkpoints", metavar="DIR", help="the checkpoint directory (default: the setting)"
    )
    p = command(
        g, "checkpoint", "sign the head of every chain into a new checkpoint", cmd_audit_checkpoint
    )
    p = command(
        g, "keygen", "make the key that signs checkpoints (once; mode 0600)", cmd_audit_keygen
    )
    p.add_argument(
        "--out", metavar="FILE", help="where to write it (default: SAMFLOW_AUDIT_KEY_FILE)"
    )
    p = command(g, "log", "recent audit events", cmd_audit_log)
    p.add_argument("--chain")
    p.add_argument("--limit", type=int, default=30)
    _reg_audit_search(g)


AUDIT_FINDING = 8
AUDIT_UNANCHORED = 9


def cmd_audit_verify(args: argparse.Namespace, c: Console) -> int:
    from engine.audit import checkpoint as audit_checkpoint

    r = audit_checkpoint.verify(
        app_of(args),
        chain=args.chain,
        public_key_file=args.public_key,
        checkpoint_dir=args.checkpoints,
        progress=c.progress,
    )
    breaks = r.chains.breaks or []
    for b in breaks[:20]:
        where = f", event #{b.event_id}" if b.event_id else ""
        c.error(f"{r.name(b.chain, c.lang)} seq {b.seq}{where}: {b.kind} – {b.detail}")
    if len(breaks) > 20:
        c.error(c.n_("… %(num)d kedja till", "… %(num)d kedjor till", len(breaks) - 20))
    for f in r.findings:
        c.error(f.text(c.lang))
    for w in r.warnings:
        c.line(c._("varning") + f": {w.text(c.lang)}")
    anchored = _anchor_line(r, c)
    if not r.ok:
        return AUDIT_FINDING
    c.line(
        c._(
            "OK: %(events)s i %(chains)s är oförändrade%(anchored)s",
            events=c.n_("%(num)d händelse", "%(num)d händelser", r.chains.events),
            chains=c.n_("%(num)d kedja", "%(num)d kedjor", r.chains.chains),
            anchored=anchored,
        )
    )
    return AUDIT_UNANCHORED if r.latest is None else 0


def _anchor_line(r: AnchorReport, c: Console) -> str:
    from engine.domain.audit.anchor import when as anchor_when
    from engine.domain.audit.keys import fingerprint

    if r.latest is None:
        return ""
    return c._(
        "; stämmer med kontrollpunkt %(seq)s från %(at)s (%(checked)s, nyckel %(key)s; %(later)s)",
        seq=r.latest.seq,
        at=anchor_when(r.latest.at),
        checked=c.n_("%(num)d kontrollerad", "%(num)d kontrollerade", r.checkpoints),
        key=fingerprint(r.key_id),
        later=c.n_(
            "%(num)d senare händelse ännu inte förankrad",
            "%(num)d senare händelser ännu inte förankrade",
            r.unanchored,
        ),
    )


def cmd_audit_checkpoint(args: argparse.Namespace, c: Console) -> int:
    from engine.audit import checkpoint as audit_checkpoint
    from engine.domain.audit.anchor import when as anchor_when

    w = audit_checkpoint.write(app_of(args))
    cp = w.signed.checkpoint
    if w.new:
        c.line(
            c._(
                "kontrollpunkt %(seq)s skriven (%(path)s, %(chains)s)",
                seq=cp.seq,
                path=w.path,
                chains=c.n_("%(num)d kedja", "%(num)d kedjor", len(cp.heads)),
            )
        )
    else:
        c.line(
            c._(
                "oförändrat sedan kontrollpunkt %(seq)s från %(at)s: ingen ny skriven",
                seq=cp.seq,
                at=anchor_when(cp.at),
            )
        )
    return 0


def cmd_audit_keygen(args: argparse.Namespace, c: Console) -> int:
    from engine.audit import checkpoint as audit_checkpoint
    from engine.domain.audit.keys import fingerprint

    target = args.out or settings_of(args).audit_key_file
    if not target:
        raise InvalidInput.field(
            "--out",
            "say where the key goes (--out FILE or SAMFLOW_AUDIT_KEY_FILE)",
            "ange var nyckeln ska ligga (--out FIL eller SAMFLOW_AUDIT_KEY_FILE)",
        )
    key, pub, kid = audit_checkpoint.keygen(Path(target))
    c.line(c._("signeringsnyckel: %(key)s (läge 0600)", key=key))
    c.line(c._("publik nyckel: %(pub)s", pub=pub))
    c.line(c._("fingeravtryck: %(fingerprint)s", fingerprint=fingerprint(kid)))
    return 0


def cmd_audit_log(args: argparse.Namespace, c: Console) -> int:
    from engine.audit import log as audit

    rows = audit.events(app_of(args), chain=args.chain, limit=args.limit)
    c.table(
        ["id", "at", "chain", "seq", "actor", "action", "subject"],
        [
            (
                e.id,
                e.at.strftime("%Y-%m-%d %H:%M"),
                e.chain,
                e.seq,
                e.actor_label,
                e.action,
                f"{e.subject_type}:{e.subject_id}",
            )
            for e in rows
        ],
    )
    return 0


def _reg_audit_search(g: Sub) -> None:
    p = command(g, "search", "find audit events by unit, person, action, period", cmd_search)
    p.add_argument("--unit", metavar="CODE")
    p.add_argument("--subtree", action="store_true", help="and every unit under it")
    p.add_argument("--person", metavar="EMAIL", help="acting, or acted for")
    p.add_argument("--action", help="e.g. task.returned, or task.* for every task event")
    p.add_argument("--from", dest="from_", type=iso_date, metavar="DATE")
    p.add_argument("--to", type=iso_date, metavar="DATE")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--page-size", type=int, default=50)
    p.add_argument("--before", type=int, metavar="EVENT", help="the page older than this event")
    p.add_argument("--after", type=int, metavar="EVENT", help="the page newer than this event")
    p.add_argument("--csv", metavar="FILE", help="write every match to a CSV file instead")
    as_option(p)


def cmd_search(args: argparse.Namespace, c: Console) -> int:
    from engine.audit import search as audit_search

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
        c.line(
            c._(
                "skrev %(events)s till %(csv)s",
                events=c.n_("%(num)d händelse", "%(num)d händelser", n),
                csv=args.csv,
            )
        )
        return 0
    page = audit_search.search(
        app,
        actor,
        q,
        page=args.page,
        page_size=args.page_size,
        before=args.before,
        after=args.after,
    )
    c.table(
        ["id", "time", "actor", "action", "subject", "unit"],
        [
            (r.id, when(r.at), r.actor_name or r.actor, r.action, r.subject, r.unit_code)
            for r in page.rows
        ],
    )
    total = (
        c.n_("fler än %(num)d träff", "fler än %(num)d träffar", page.total)
        if page.capped
        else c.n_("%(num)d träff", "%(num)d träffar", page.total)
    )
    if page.page is None:
        c.line(total)
    elif page.capped:
        c.line(c._("sida %(page)s, %(total)s", page=page.page, total=total))
    else:
        c.line(
            c._("sida %(page)s/%(pages)s, %(total)s", page=page.page, pages=page.pages, total=total)
        )
    if page.older is not None:
        c.line(c._("äldre: --before %(event)s", event=page.older))
    if page.newer is not None:
        c.line(c._("nyare: --after %(event)s", event=page.newer))
    return 0
