"""The reply to Arbetsmiljöverket after an inspection, as HTML and PDF (the ``reply``
document of ``av-inspection.yaml``, rendered by ``forms.case_docs``).

draft = inspections.draft_reply(app, actor, inspection_id)
pdf = reply_pdf(draft.document(), "sv")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forms import case_docs

TEMPLATE = "evidence/reply.html"
TITLE = {"sv": "Svar till Arbetsmiljöverket", "en": "Reply to Arbetsmiljöverket"}


def reply_html(doc: Mapping[str, Any], lang: str = "sv") -> str:
    return case_docs.html(doc, TEMPLATE, TITLE, lang)


def reply_pdf(doc: Mapping[str, Any], lang: str = "sv") -> bytes:
    return case_docs.pdf(doc, TEMPLATE, TITLE, lang)
