"""The reply to Arbetsmiljöverket after an inspection, as HTML and PDF.

draft = inspection_reply.draft_reply(app, actor, inspection_id)
pdf = reply_pdf(draft.document(), "sv")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forms import documents

TEMPLATE = "evidence/reply.html"


def _context(doc: Mapping[str, Any], lang: str) -> dict[str, Any]:
    i = doc["data"]["inspection"]
    title = (
        f"{'Svar till Arbetsmiljöverket' if lang == 'sv' else 'Reply to Arbetsmiljöverket'}"
        f"{' – ' + i['reference'] if i['reference'] else ''} – {i['unit']['name']}"
    )
    return {
        "data": doc["data"],
        "digest": doc["digest"],
        "title": title,
        "footer": f"samflow · SHA-256 {doc['digest']}",
    }


def reply_html(doc: Mapping[str, Any], lang: str = "sv") -> str:
    return documents.render(
        TEMPLATE, lang, **_context(doc, lang), embed=documents.embedded_json(doc)
    )


def reply_pdf(doc: Mapping[str, Any], lang: str = "sv") -> bytes:
    context = _context(doc, lang)
    return documents.pdf(
        [documents.render(TEMPLATE, lang, **context, embed=None)],
        data=doc,
        metadata={"Title": context["title"], "Subject": "samflow reply"},
    )
