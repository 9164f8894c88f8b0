"""The printed action plan (``engine.plans.document.plan_document``) as HTML and PDF:
landscape A4, the plan's header block, page numbers ("3 / 12") on every page.

html = plan_html(doc, "sv"); pdf = plan_pdf(doc, "en")
"""

from __future__ import annotations

from typing import Any

from forms import documents, i18n


def _context(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    title = doc["title"] or f"{i18n.tr(lang, 'Handlingsplan')} {doc['year']} – {doc['unit']}"
    return {"doc": doc, "title": title, "footer": f"samflow · {title}"}


def plan_html(doc: dict[str, Any], lang: str) -> str:
    return documents.render("plan/print.html", lang, **_context(doc, lang))


def plan_pdf(doc: dict[str, Any], lang: str) -> bytes:
    ctx = _context(doc, lang)
    return documents.pdf([plan_html(doc, lang)], metadata={"Title": ctx["title"]})
