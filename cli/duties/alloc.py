"""``samflow allocation``: written task allocations (uppgiftsfördelning, AFS 2023:1 9 §).

samflow allocation offer offer.json --as dep@x.se      (unit, items[], substitute, board ...)
samflow allocation accept ID --as m1@x.se | return ID --lacking resources --reason R
samflow allocation show ID | mine | chain [--root CODE] [--out kedja.csv|.xlsx|.pdf|.html]
samflow allocation return-task ID KEY --lacking authority --reason R --as m1@x.se
samflow allocation decide RETURN resources|taken_back|elsewhere [--note N] [--to EMAIL]
samflow allocation sync [--root CODE] --as hr@x.se      (hold new managers' open tasks)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import Sub, actor_of, app_of, as_option, command, doc_lang, group, read_json, when
from cli.console import Console

LACKING = ("authority", "resources", "knowledge")


def _lacking(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def reg_allocation(sub: Sub) -> None:
    g = group(sub, "allocation", "written task allocations to managers, returns, the chain")
    p = command(g, "offer", "offer a unit's manager a written allocation (JSON)", cmd_offer)
    p.add_argument("file", help="offer.json: unit, items [{key, authority, resources, ...}]")
    as_option(p)
    p = command(g, "accept", "accept and sign an allocation offered to you", cmd_accept)
    p.add_argument("allocation", type=int)
    as_option(p, required=True)
    p = command(g, "return", "return an offered allocation, naming what is lacking", cmd_return)
    p.add_argument("allocation", type=int)
    p.add_argument("--lacking", required=True, help="authority,resources,knowledge")
    p.add_argument("--reason", required=True)
    as_option(p, required=True)
    p = command(g, "return-task", "return an allocated task (all its open cases)", cmd_return_item)
    p.add_argument("allocation", type=int)
    p.add_argument("key", help="the SAM task's key (investigation, measures, ...)")
    p.add_argument("--lacking", required=True, help="authority,resources,knowledge")
    p.add_argument("--reason", required=True)
    as_option(p, required=True)
    p = command(g, "decide", "the allocator decides a return", cmd_decide)
    p.add_argument("return_id", type=int, metavar="RETURN")
    p.add_argument("outcome", choices=("resources", "taken_back", "elsewhere"))
    p.add_argument("--note", default="", help="what is given (resources)")
    p.add_argument("--to", default="", metavar="EMAIL", help="who it goes to (elsewhere)")
    as_option(p, required=True)
    p = command(g, "show", "one allocation: its text, signatures and returns", cmd_show)
    p.add_argument("allocation", type=int)
    as_option(p)
    p = command(g, "mine", "allocations offered to you and those you made", cmd_mine)
    as_option(p, required=True)
    p = command(g, "chain", "the chain from the board to every first-line manager", cmd_chain)
    p.add_argument("--root", metavar="CODE")
    p.add_argument("--out", metavar="FILE.csv|FILE.pdf|FILE.html")
    doc_lang(p)
    as_option(p)
    p = command(g, "sync", "hold new managers' open tasks with the manager above", cmd_sync)
    p.add_argument("--root", metavar="CODE")
    as_option(p)


def cmd_offer(args: argparse.Namespace, c: Console) -> int:
    from engine.alloc import allocations

    app = app_of(args)
    data = allocations.offer_from(read_json(args.file))
    out = allocations.offer(app, actor_of(app, args.as_), data)
    c.line(c._("fördelning %(id)s erbjuden", id=out.id))
    if out.superseded:
        ids = ", ".join(str(i) for i in out.superseded)
        c.line(c._("ersätter %(ids)s", ids=ids))
    if out.held:
        c.line(
            c.n_(
                "%(num)d öppen uppgift ligger hos chefen ovanför tills den accepteras",
                "%(num)d öppna uppgifter ligger hos chefen ovanför tills den accepteras",
                out.held,
            )
        )
    return 0


def cmd_accept(args: argparse.Namespace, c: Console) -> int:
    from engine.alloc import allocations

    app = app_of(args)
    out = allocations.accept(app, actor_of(app, args.as_), args.allocation)
    c.line(c._("fördelning %(id)s accepterad och underskriven", id=out.id))
    if out.released:
        c.line(
            c.n_(
                "%(num)d öppen uppgift är nu din",
                "%(num)d öppna uppgifter är nu dina",
                out.released,
            )
        )
    return 0


def cmd_return(args: argparse.Namespace, c: Console) -> int:
    from engine.alloc import allocations

    app = app_of(args)
    out = allocations.return_offer(
        app, actor_of(app, args.as_), args.allocation, _lacking(args.lacking), args.reason
    )
    c.line(c._("fördelning %(id)s returnerad", id=out.id))
    return 0


def cmd_return_item(args: argparse.Namespace, c: Console) -> int:
    from engine.alloc import returns

    app = app_of(args)
    out = returns.return_item(
        app, actor_of(app, args.as_), args.allocation, args.key, _lacking(args.lacking),
        args.reason,
    )  # fmt: skip
    c.line(
        c.n_(
            "returnering %(return_id)s: %(num)d öppen uppgift till chefen ovanför",
            "returnering %(return_id)s: %(num)d öppna uppgifter till chefen ovanför",
            len(out.tasks),
            return_id=out.return_id,
        )
    )
    return 0


def cmd_decide(args: argparse.Namespace, c: Console) -> int:
    from engine.alloc import returns

    app = app_of(args)
    out = returns.decide(
        app, actor_of(app, args.as_), args.return_id, args.outcome, args.note, args.to
    )
    c.line(
        c.n_(
            "returnering %(return_id)s beslutad (%(outcome)s); %(num)d uppgift flyttad",
            "returnering %(return_id)s beslutad (%(outcome)s); %(num)d uppgifter flyttade",
            out.moved,
            return_id=out.return_id,
            outcome=out.outcome,
        )
    )
    return 0


def cmd_show(args: argparse.Namespace, c: Console) -> int:
    from engine.alloc import allocations

    app = app_of(args)
    v = allocations.show(app, actor_of(app, args.as_), args.allocation)
    by = f"{v.board} ({v.board_decision})" if v.board else (v.allocator or ("", ""))[0]
    c.line(c._("Fördelning") + f" {v.id}: {v.unit_name} ({v.unit_code}) – {v.state}")
    c.line(c._("Chef") + f": {v.manager[0]} <{v.manager[1]}>")
    c.line(c._("Fördelad av") + f": {by}, {when(v.offered_at)}")
    if v.answered_at:
        c.line(c._("Besvarad") + f": {when(v.answered_at)}")
    c.line(f"SHA-256: {v.digest}")
    c.table(
        ["#", "task", "authority", "resources", "knowledge"],
        [(i["number"], i["key"], i["authority"], i["resources"], i["knowledge"]) for i in v.items],
    )
    if v.returns:
        c.table(
            ["return", "task", "lacking", "reason", "outcome"],
            [(r.id, r.item, ",".join(r.lacking), r.reason, r.outcome or "–") for r in v.returns],
        )
    return 0


def cmd_mine(args: argparse.Namespace, c: Console) -> int:
    from engine.alloc import allocations

    app = app_of(args)
    found = allocations.list_mine(app, actor_of(app, args.as_))
    rows = [(v.id, v.unit_code, v.state, v.manager[0], "mine") for v in found["mine"]]
    rows += [(v.id, v.unit_code, v.state, v.manager[0], "made") for v in found["made"]]
    c.table(["id", "unit", "state", "manager", "whose"], rows)
    return 0


def cmd_chain(args: argparse.Namespace, c: Console) -> int:
    from engine.alloc import allocations
    from engine.domain.errors import InvalidInput

    app = app_of(args)
    found = allocations.show_chain(app, actor_of(app, args.as_), args.root)
    if args.out:
        path = Path(args.out)
        kind = path.suffix.lower().lstrip(".")
        if kind == "csv":
            path.write_text(allocations.chain_csv(found, args.doc_lang), "utf-8")
        elif kind == "xlsx":
            path.write_bytes(allocations.chain_xlsx(found, args.doc_lang))
        elif kind in ("pdf", "html"):
            from forms.exports import case_docs

            doc = allocations.chain_document(found, app.clock.now())
            tpl, title = allocations.CHAIN_TEMPLATE, allocations.CHAIN_TITLE
            if kind == "pdf":
                path.write_bytes(case_docs.pdf(doc, tpl, title, args.doc_lang))
            else:
                path.write_text(case_docs.html(doc, tpl, title, args.doc_lang), "utf-8")
        else:
            raise InvalidInput.field(
                "--out",
                "the file must end in .csv, .xlsx, .pdf or .html",
                "filen ska sluta på .csv, .xlsx, .pdf eller .html",
            )
        c.line(c._("skrev %(path)s", path=path))
        return 0
    c.table(
        ["unit", "name", "first line", "manager", "allocated by", "state"],
        [
            ("  " * r.depth + r.code, r.name, "x" if r.first_line else "",
             r.manager or ", ".join(r.managers), r.allocated_by, r.state or "none")
            for r in found.rows
        ],
    )  # fmt: skip
    if found.missing:
        c.line(
            c.n_(
                "%(num)d enhet saknar accepterad fördelning",
                "%(num)d enheter saknar accepterad fördelning",
                len(found.missing),
            )
        )
    return 0


def cmd_sync(args: argparse.Namespace, c: Console) -> int:
    from engine.alloc import holds

    app = app_of(args)
    n = holds.sync(app, actor_of(app, args.as_), args.root)
    c.line(
        c.n_(
            "%(num)d öppen uppgift hålls av chefen ovanför",
            "%(num)d öppna uppgifter hålls av chefen ovanför",
            n,
        )
    )
    return 0
