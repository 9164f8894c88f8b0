"""The printed action plan (``engine.plans.document.plan_document``) as HTML and PDF:
landscape A4, the plan's header block, page numbers ("3 / 12") on every page.

html = plan_html(doc, "sv"); pdf = plan_pdf(doc, "en")
"""

from __future__ import annotations

from typing import Any

from forms import i18n
from forms.exports import documents


def _context(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    title = doc["title"] or i18n.tr(lang, "Handlingsplan") + f" {doc['year']} – {doc['unit']}"
    return {"doc": doc, "title": title, "footer": f"samflow · {title}", "continued": False}


#: Areas laid out per PDF part: WeasyPrint's time grows faster than the size of a table,
#: so a long plan is laid out in parts (each with the header row) and joined.
PART_ITEMS = 25


def plan_html(doc: dict[str, Any], lang: str) -> str:
    return documents.render("plan/print.html", lang, **_context(doc, lang))


def plan_pdf(doc: dict[str, Any], lang: str, workers: int = 1) -> bytes:
    ctx = _context(doc, lang)
    items = doc["items"]
    parts = [
        documents.render(
            "plan/print.html",
            lang,
            **{**ctx, "doc": {**doc, "items": items[i : i + PART_ITEMS]}, "continued": i > 0},
        )
        for i in range(0, max(len(items), 1), PART_ITEMS)
    ]  # fmt: skip
    return documents.pdf(parts, metadata={"Title": ctx["title"]}, workers=workers)
