"""``samflow survey``: survey column mappings, importing a survey export, the figures per
unit; ``samflow absence``: sick leave per unit; ``samflow roa``: the risk-oriented selection."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import Sub, actor_of, app_of, as_option, command, group, read_json
from cli.console import Console


def reg_survey(sub: Sub) -> None:
    g = group(sub, "survey", "employee surveys (HME): mappings, import, figures per unit")
    p = command(g, "mapping", "save a vendor file's column mapping (JSON, docs/surveys.md)",
                cmd_mapping)  # fmt: skip
    p.add_argument("key")
    p.add_argument("--data", required=True, metavar="FILE.json", help="the mapping ('-': stdin)")
    as_option(p)
    p = command(g, "mappings", "the saved column mappings", cmd_mappings)
    as_option(p)
    p = command(g, "import", "import a survey export (CSV or XLSX) for a year", cmd_import)
    p.add_argument("file")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--mapping", help="a saved mapping (default: the one fitting the headings)")
    p.add_argument("--name", default="", help="the survey's name (default: HME YEAR)")
    p.add_argument("--dry-run", action="store_true", help="check and compute, keep nothing")
    as_option(p)
    p = command(g, "results", "the year's figures per unit, with last year's", cmd_results)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--root", metavar="CODE")
    as_option(p)


def reg_absence(sub: Sub) -> None:
    g = group(sub, "absence", "sick leave per unit and period (from the HR system)")
    p = command(g, "import", "import an HR export (CSV or XLSX)", cmd_absence_import)
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true")
    as_option(p)
    p = command(g, "show", "sick leave per unit with last year's", cmd_absence_show)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--root", metavar="CODE")
    as_option(p)


def reg_roa(sub: Sub) -> None:
    g = group(sub, "roa", "the risk-oriented selection (ROA) of units for review")
    p = command(g, "propose", "the units the rule proposes", cmd_roa_propose)
    p.add_argument("--year", type=int, required=True)
    as_option(p)
    p = command(g, "confirm", "confirm a selection: a review case per unit", cmd_roa_confirm)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("units", nargs="+", metavar="CODE")
    p.add_argument("--note", default="")
    as_option(p)


def _read(path: str, limit: int) -> bytes:
    """The file, refused before it is read when larger than the limit."""
    from engine.domain.errors import InvalidInput

    p = Path(path)
    if not p.is_file():
        raise InvalidInput.field("file", f"no file {path}", f"ingen fil {path}")
    if p.stat().st_size > limit:
        raise InvalidInput.field(
            "file",
            f"{path} is larger than {limit} bytes (SAMFLOW_SURVEY_MAX_BYTES)",
            f"{path} är större än {limit} byte (SAMFLOW_SURVEY_MAX_BYTES)",
        )
    return p.read_bytes()


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def cmd_mapping(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import mapping

    app = app_of(args)
    spec = mapping.parse_mapping({**read_json(args.data), "key": args.key})
    new = mapping.save_mapping(app, actor_of(app, args.as_), spec)
    c.line(c.t(f"{'ny' if new else 'ändrad'} mappning {spec.key}",
               f"{'new' if new else 'changed'} mapping {spec.key}"))  # fmt: skip
    return 0


def cmd_mappings(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import mapping

    app = app_of(args)
    rows = [
        (m.key, m.name, m.layout, m.unit_column, f"{m.scale_low}-{m.scale_high}")
        for m in mapping.list_mappings(app, actor_of(app, args.as_))
    ]
    c.table([c.t("nyckel", "key"), c.t("namn", "name"), c.t("form", "layout"),
             c.t("enhet", "unit"), c.t("skala", "scale")], rows)  # fmt: skip
    return 0


def cmd_import(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import imports

    app = app_of(args)
    content = _read(args.file, app.settings.survey_max_bytes)
    r = imports.import_survey(
        app,
        actor_of(app, args.as_),
        year=args.year,
        filename=Path(args.file).name,
        content=content,
        mapping=args.mapping,
        survey_name=args.name,
        dry_run=args.dry_run,
    )
    head = (
        c.t("kontrollerat, inget sparat", "checked, nothing kept")
        if not r.applied
        else (
            c.t("ersatte årets siffror", "replaced the year's figures")
            if r.replaced
            else c.t("importerat", "imported")
        )
    )
    c.line(f"{head}: {r.survey_name} ({r.mapping})")
    c.line(c.t(
        f"{r.respondents} svarande ({r.incomplete} ofullständiga rader utelämnade); "
        f"{r.shown} enheter visas, {r.too_few} för få svar, {r.derivable} dolda",
        f"{r.respondents} respondents ({r.incomplete} incomplete rows left out); "
        f"{r.shown} units shown, {r.too_few} too few answers, {r.derivable} hidden",
    ))  # fmt: skip
    if r.hme is not None:
        c.line(f"HME {_num(r.hme)}")
    return 0


def cmd_results(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import results

    app = app_of(args)
    found = results.year_results(app, actor_of(app, args.as_), args.year, args.root)
    if not found.survey_name:
        c.line(
            c.t(f"ingen enkät importerad för {args.year}", f"no survey imported for {args.year}")
        )
        return 0
    rows = []
    for u in found.units:
        f = u.now
        if f.suppressed:
            shown = [c.t("dold", "hidden") if f.suppressed == "derivable" else
                     c.t("för få svar", "too few"), "", "", ""]  # fmt: skip
        else:
            shown = [_num(f.motivation), _num(f.leadership), _num(f.governance), _num(f.hme)]
        change = u.change("hme")
        rows.append(["  " * u.depth + u.code, f.answered, *shown,
                     "–" if change is None else f"{change:+.1f}", ",".join(u.low)])  # fmt: skip
    c.table([c.t("enhet", "unit"), c.t("svar", "answers"), "motivation", c.t("ledarskap",
             "leadership"), c.t("styrning", "governance"), "HME", "+/-",
             c.t("låga", "low")], rows)  # fmt: skip
    return 0


def cmd_absence_import(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import absence

    app = app_of(args)
    content = _read(args.file, app.settings.survey_max_bytes)
    r = absence.import_absence(
        app, actor_of(app, args.as_), filename=Path(args.file).name, content=content,
        dry_run=args.dry_run,
    )  # fmt: skip
    head = c.t("importerat", "imported") if r.applied else c.t("kontrollerat", "checked")
    c.line(
        c.t(
            f"{head}: {r.rows} rader, {r.units} enheter, {r.new} nya, {r.replaced} ersatta",
            f"{head}: {r.rows} rows, {r.units} units, {r.new} new, {r.replaced} replaced",
        )
    )
    return 0


def cmd_absence_show(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import absence

    app = app_of(args)
    rows = [
        ["  " * u.depth + u.code, *(
            [c.t("för få anställda", "too few employees"), "", ""] if u.hidden else
            [_num(u.short_term), _num(u.long_term), _num(u.last_short_term)]
        )]
        for u in absence.year_absence(app, actor_of(app, args.as_), args.year, args.root)
    ]  # fmt: skip
    c.table([c.t("enhet", "unit"), c.t("korttid %", "short-term %"), c.t("långtid %",
             "long-term %"), c.t(f"korttid {args.year - 1}", f"short-term {args.year - 1}")],
            rows)  # fmt: skip
    return 0


def cmd_roa_propose(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import roa

    app = app_of(args)
    rows = [
        [p.code, p.name, "; ".join(f"{f.period} {f.short_term:.1f} ({f.comparable_median:.1f})"
                                   for f in p.flags), c.t("ja", "yes") if p.selected else ""]
        for p in roa.propose(app, actor_of(app, args.as_), args.year)
    ]  # fmt: skip
    c.table([c.t("enhet", "unit"), c.t("namn", "name"), c.t("perioder (median)",
             "periods (median)"), c.t("redan vald", "already selected")], rows)  # fmt: skip
    return 0


def cmd_roa_confirm(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import roa

    app = app_of(args)
    done = roa.confirm(app, actor_of(app, args.as_), args.year, args.units, args.note)
    for code, case in sorted(done.cases.items()):
        c.line(c.t(f"{code}: riskorienterad genomgång startad", f"{code}: review started")
               + f" (roa_review {case})")  # fmt: skip
    return 0


def reg_health(sub: Sub) -> None:
    g = group(sub, "health", "health goals for the year and the units' health plans")
    p = command(g, "goal", "set one of the year's health goals", cmd_health_goal)
    p.add_argument("code")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--measure", required=True, help="what is measured, with its unit")
    p.add_argument("--target", type=float, required=True)
    p.add_argument("--direction", choices=("at_least", "at_most"), default="at_least")
    as_option(p)
    p = command(g, "plan", "save a unit's health plan (JSON: factors, challenges, goals)",
                cmd_health_plan)  # fmt: skip
    p.add_argument("unit", metavar="CODE")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--data", required=True, metavar="FILE.json")
    as_option(p)
    p = command(g, "show", "the plans and progress per unit and goal", cmd_health_show)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--root", metavar="CODE")
    as_option(p)


def cmd_health_goal(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import health

    app = app_of(args)
    health.set_goal(app, actor_of(app, args.as_), args.year, args.code, args.title,
                    args.measure, args.target, args.direction)  # fmt: skip
    c.line(c.t(f"hälsomål {args.code} sparat", f"health goal {args.code} saved"))
    return 0


def cmd_health_plan(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import health

    app = app_of(args)
    factors, challenges, local = health.parse_plan(
        app.settings.health_factors, read_json(args.data)
    )
    health.save_plan(app, actor_of(app, args.as_), args.unit, args.year, factors, challenges,
                     local)  # fmt: skip
    c.line(c.t(f"hälsoplan för {args.unit} sparad", f"health plan of {args.unit} saved"))
    return 0


def cmd_health_show(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import health

    app = app_of(args)
    got = health.health_year(app, actor_of(app, args.as_), args.year, args.root)
    codes = [g.code for g in got.goals]
    rows = []
    for code, _, depth in got.units:
        by = got.progress.get(code, {})
        cells = [f"{by[g].done}/{by[g].total} ({by[g].reached})" if g in by else "–" for g in codes]
        rows.append(["  " * depth + code, *cells])
    c.table([c.t("enhet", "unit"), *codes], rows)
    if got.units_without_plan:
        c.line(
            c.t("utan hälsoplan: ", "without a health plan: ") + ", ".join(got.units_without_plan)
        )
    return 0
