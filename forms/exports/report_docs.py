"""The annual follow-up and the board's status report as HTML and PDF, with SVG charts.

html = followup_html(followup_report.build(app, actor, 2027), "sv")
pdf = board_pdf(board_report.build(app, actor, 2027), "en")
part = followup_body(report, "sv")      # the report inside a web page (no document frame)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from forms import i18n, wide_tables
from forms.exports import documents
from forms.exports import report_charts as charts

if TYPE_CHECKING:  # the read models are only read here (forms does not call services)
    from engine.reports.board import BoardReport
    from engine.reports.followup import FollowUpReport


def _followup_context(r: FollowUpReport, lang: str) -> dict[str, Any]:
    def chart(attr: str, title: str) -> Markup:
        rows = [(f"{g.code} {g.name}", getattr(g, attr)) for g in r.groups]
        return charts.bars(
            [*rows, (i18n.tr(lang, "Totalt"), getattr(r.total, attr))],
            title=i18n.tr(lang, title),
        )

    title = i18n.tr(lang, "Årlig uppföljning SAM") + f" {r.year}"
    return {
        "r": r,
        "charts": {
            "risk": chart("risk_share", "Andel enheter med signerad riskbedömning"),
            "plan": chart("plan_share", "Andel enheter med godkänd handlingsplan"),
            "on_time": chart(
                "on_time_share", "Åtgärder klara i tid (av dem som skulle vara klara)"
            ),
        },
        "title": f"{title} – {r.root_name}",
        "footer": f"samflow · {title}",
    }


def _board_context(r: BoardReport, lang: str) -> dict[str, Any]:
    legend = [
        i18n.tr(lang, "Klar"),
        i18n.tr(lang, "Pågår"),
        i18n.tr(lang, "Planerad"),
    ]
    activities = [
        (a.title(lang), [a.done, a.ongoing, a.planned]) for a in [*r.activities, r.measures]
    ]
    title = i18n.tr(lang, "Statusrapport arbetsmiljö") + f" {r.year}"
    return {
        "r": r,
        "charts": {
            "work": charts.stacked(
                [(a.title(lang), [a.done, a.ongoing, a.planned]) for a in r.work],
                legend,
                title=i18n.tr(lang, "Verksamhetens aktiviteter"),
            ),
            "activities": charts.stacked(
                activities, legend, title=i18n.tr(lang, "Årscykelns steg")
            ),
            "survey": charts.columns(
                [(str(s.year), None if s.suppressed else s.hme) for s in r.survey],
                title=i18n.tr(lang, "Medarbetarenkät (HME) år för år"),
            ),
            "span": charts.bars(
                [(b, float(n)) for b, n in r.span.buckets],
                maximum=float(max([n for _, n in r.span.buckets] + [1])),
                fmt=lambda v: f"{v:.0f}",
                title=i18n.tr(lang, "Kontrollspann"),
            ),
        },
        "title": f"{title} – {r.root_name}",
        "footer": f"samflow · {title}",
    }


def _html(template: str, context: dict[str, Any], lang: str) -> str:
    return documents.render(template, lang, **context, embed=None)


def _pdf(template: str, context: dict[str, Any], lang: str) -> bytes:
    return documents.pdf(
        [documents.render(template, lang, **context, embed=None)],
        metadata={"Title": context["title"]},
    )


#: Charts are drawn for print (8 pt text); on screen they are shown this much larger.
SCREEN_SCALE = 1.6
_SIZE = re.compile(r'^<svg([^>]*?) width="(\d+)" height="(\d+)"')


def _body(template: str, context: dict[str, Any], lang: str) -> Markup:
    # rendered (and escaped) by the documents' environment; safe to place in a page
    charts = {k: _scaled(v, SCREEN_SCALE) for k, v in context["charts"].items()}
    html = documents.render(template, lang, **{**context, "charts": charts})
    return Markup(wide_tables.wrap(html, i18n.tr(lang, wide_tables.LABEL)))


def _scaled(svg: Markup, factor: float) -> Markup:
    """The chart drawn larger (its viewBox stays, so everything in it scales)."""

    def bigger(m: re.Match[str]) -> str:
        w, h = round(int(m.group(2)) * factor), round(int(m.group(3)) * factor)
        return f'<svg{m.group(1)} width="{w}" height="{h}"'

    return Markup(_SIZE.sub(bigger, str(svg), count=1))


def followup_body(r: FollowUpReport, lang: str = "sv") -> Markup:
    """The report without its document frame, for showing inside a web page."""
    return _body("evidence/_followup_body.html", _followup_context(r, lang), lang)


def board_body(r: BoardReport, lang: str = "sv") -> Markup:
    return _body("evidence/_board_body.html", _board_context(r, lang), lang)


def followup_html(r: FollowUpReport, lang: str = "sv") -> str:
    return _html("evidence/followup.html", _followup_context(r, lang), lang)


def followup_pdf(r: FollowUpReport, lang: str = "sv") -> bytes:
    return _pdf("evidence/followup.html", _followup_context(r, lang), lang)


def board_html(r: BoardReport, lang: str = "sv") -> str:
    return _html("evidence/board.html", _board_context(r, lang), lang)


def board_pdf(r: BoardReport, lang: str = "sv") -> bytes:
    return _pdf("evidence/board.html", _board_context(r, lang), lang)
