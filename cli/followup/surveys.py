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
    c.line(
        c._("ny mappning %(key)s", key=spec.key)
        if new
        else c._("ändrad mappning %(key)s", key=spec.key)
    )
    return 0


def cmd_mappings(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import mapping

    app = app_of(args)
    rows = [
        (m.key, m.name, m.layout, m.unit_column, f"{m.scale_low}-{m.scale_high}")
        for m in mapping.list_mappings(app, actor_of(app, args.as_))
    ]
    c.table([c._('nyckel'), c._('namn'), c._('form'),
             c._('enhet'), c._('skala')], rows)  # fmt: skip
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
        c._("kontrollerat, inget sparat")
        if not r.applied
        else (c._("ersatte årets siffror") if r.replaced else c._("importerat"))
    )
    c.line(f"{head}: {r.survey_name} ({r.mapping})")
    c.line(
        c._(
            "%(respondents)s (%(incomplete)s utelämnade); %(shown)s, %(too_few)s, %(hidden)s",
            respondents=c.n_("%(num)d svarande", "%(num)d svarande", r.respondents),
            incomplete=c.n_(
                "%(num)d ofullständig rad", "%(num)d ofullständiga rader", r.incomplete
            ),
            shown=c.n_("%(num)d enhet visas", "%(num)d enheter visas", r.shown),
            too_few=c.n_("%(num)d för få svar", "%(num)d för få svar", r.too_few),
            hidden=c.n_("%(num)d dold", "%(num)d dolda", r.derivable),
        )
    )
    if r.hme is not None:
        c.line(f"HME {_num(r.hme)}")
    return 0


def cmd_results(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import results

    app = app_of(args)
    found = results.year_results(app, actor_of(app, args.as_), args.year, args.root)
    if not found.survey_name:
        c.line(c._("ingen enkät importerad för %(year)s", year=args.year))
        return 0
    rows = []
    for u in found.units:
        f = u.now
        if f.suppressed:
            shown = [c._('dold') if f.suppressed == "derivable" else
                     c._('för få svar'), "", "", ""]  # fmt: skip
        else:
            shown = [_num(f.motivation), _num(f.leadership), _num(f.governance), _num(f.hme)]
        change = u.change("hme")
        rows.append(["  " * u.depth + u.code, f.answered, *shown,
                     "–" if change is None else f"{change:+.1f}", ",".join(u.low)])  # fmt: skip
    header = [c._("enhet"), c._("svar"), "motivation", c._("ledarskap"), c._("styrning")]
    c.table([*header, "HME", "+/-", c._("låga")], rows)
    return 0


def cmd_absence_import(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import absence

    app = app_of(args)
    content = _read(args.file, app.settings.survey_max_bytes)
    r = absence.import_absence(
        app, actor_of(app, args.as_), filename=Path(args.file).name, content=content,
        dry_run=args.dry_run,
    )  # fmt: skip
    head = c._("importerat") if r.applied else c._("kontrollerat")
    c.line(
        f"{head}: "
        + ", ".join(
            (
                c.n_("%(num)d rad", "%(num)d rader", r.rows),
                c.n_("%(num)d enhet", "%(num)d enheter", r.units),
                c.n_("%(num)d ny", "%(num)d nya", r.new),
                c.n_("%(num)d ersatt", "%(num)d ersatta", r.replaced),
            )
        )
    )
    return 0


def cmd_absence_show(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import absence

    app = app_of(args)
    rows = [
        ["  " * u.depth + u.code, *(
            [c._('för få anställda'), "", ""] if u.hidden else
            [_num(u.short_term), _num(u.long_term), _num(u.last_short_term)]
        )]
        for u in absence.year_absence(app, actor_of(app, args.as_), args.year, args.root)
    ]  # fmt: skip
    last = c._("korttid %(year)s", year=args.year - 1)
    c.table([c._("enhet"), c._("korttid %"), c._("långtid %"), last], rows)
    return 0


def cmd_roa_propose(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import roa

    app = app_of(args)
    rows = [
        [p.code, p.name, "; ".join(f"{f.period} {f.short_term:.1f} ({f.comparable_median:.1f})"
                                   for f in p.flags), c._('ja') if p.selected else ""]
        for p in roa.propose(app, actor_of(app, args.as_), args.year)
    ]  # fmt: skip
    header = [c._("enhet"), c._("namn"), c._("perioder (median)"), c._("redan vald")]
    c.table(header, rows)
    return 0


def cmd_roa_confirm(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import roa

    app = app_of(args)
    done = roa.confirm(app, actor_of(app, args.as_), args.year, args.units, args.note)
    for code, case in sorted(done.cases.items()):
        c.line(c._('%(code)s: riskorienterad genomgång startad', code=code)
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
    c.line(c._("hälsomål %(code)s sparat", code=args.code))
    return 0


def cmd_health_plan(args: argparse.Namespace, c: Console) -> int:
    from engine.surveys import health

    app = app_of(args)
    factors, challenges, local = health.parse_plan(
        app.settings.health_factors, read_json(args.data)
    )
    health.save_plan(app, actor_of(app, args.as_), args.unit, args.year, factors, challenges,
                     local)  # fmt: skip
    c.line(c._("hälsoplan för %(unit)s sparad", unit=args.unit))
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
    c.table([c._("enhet"), *codes], rows)
    if got.units_without_plan:
        c.line(c._("utan hälsoplan: ") + ", ".join(got.units_without_plan))
    return 0
