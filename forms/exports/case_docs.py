"""Documents drawn up from a case (a reply letter, a receipt, a protocol), as HTML and PDF.
Which page template and title a document has is in its process template
(``subject.documents``); ``processes.Draft`` carries both.

draft = processes.draw_up(app, actor, "inspection", case_id, "reply")
pdf = case_docs.pdf(draft.document(), draft.template, draft.title, "sv")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forms.exports import documents


def heading(doc: Mapping[str, Any], title: Mapping[str, str], lang: str) -> str:
    """The document's title, the case's reference and its unit's name: "Svar till
    Arbetsmiljöverket – 2027/0012 – Enhet 1"."""
    data = doc["data"]
    head = next(v for v in data.values() if isinstance(v, dict) and "unit" in v)
    ref = head.get("reference") or ""
    return f"{title[lang]}{' – ' + ref if ref else ''} – {head['unit']['name']}"


def _context(doc: Mapping[str, Any], title: Mapping[str, str], lang: str) -> dict[str, Any]:
    return {
        "data": doc["data"],
        "digest": doc["digest"],
        "title": heading(doc, title, lang),
        "footer": f"samflow · SHA-256 {doc['digest']}",
    }


def html(doc: Mapping[str, Any], template: str, title: Mapping[str, str], lang: str) -> str:
    context = _context(doc, title, lang)
    return documents.render(template, lang, **context, embed=documents.embedded_json(doc))


def pdf(doc: Mapping[str, Any], template: str, title: Mapping[str, str], lang: str) -> bytes:
    context = _context(doc, title, lang)
    return documents.pdf(
        [documents.render(template, lang, **context, embed=None)],
        data=doc,
        metadata={"Title": context["title"], "Subject": f"samflow {doc['kind']}"},
    )
