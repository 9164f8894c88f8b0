"""The evidence package as HTML and PDF.

Takes the package document (``engine.evidence.package.Built.document()``: digest and
data) and nothing else, so what is printed is exactly what the digest covers. A unit's
package prints every task and audit event; an administration's prints each unit's section
and, of the audit log, each chain's verification (the events are in the attached data).

    html = evidence_html(doc, "sv")          # a page, or a file to hand over
    pdf = evidence_pdf(doc, "en")            # bytes of a PDF with the data attached
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from forms import documents, i18n
from forms.schemas.evaluation import CHECKLIST

TEMPLATE = "evidence/package.html"
UNITS_PER_PART = 25


def _context(doc: Mapping[str, Any], lang: str, events: bool | None) -> dict[str, Any]:
    data = doc["data"]
    unit_scope = data["basis"]["scope"] == "unit"
    title = (
        f"{i18n.tr(lang, 'Underlag SAM')} {data['basis']['year']} – "
        f"{data['root']['code']} {data['root']['name']}"
    )
    return {
        "data": data,
        "digest": doc["digest"],
        "built_by": doc.get("built_by", ""),
        "titles": data["titles"],
        "checklist": CHECKLIST,
        "full": unit_scope,
        "events": unit_scope if events is None else events,
        "title": title,
        "footer": f"samflow · SHA-256 {doc['digest']}",
    }


def evidence_html(doc: Mapping[str, Any], lang: str = "sv", *, events: bool | None = None) -> str:
    """The whole package as one HTML page, its data embedded for ``evidence verify``."""
    return documents.render(
        TEMPLATE,
        lang,
        **_context(doc, lang, events),
        show_front=True,
        units=doc["data"]["units"],
        show_audit=True,
        embed=documents.embedded_json(doc),
    )


def evidence_pdf(
    doc: Mapping[str, Any],
    lang: str = "sv",
    *,
    events: bool | None = None,
    units_per_part: int = UNITS_PER_PART,
    workers: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> bytes:
    """The package as PDF, laid out in parts of ``units_per_part`` units (by ``workers``
    processes), data attached. ``progress(done, total, "pdf")`` hears of each part laid out
    (a background job's progress bar)."""
    context = _context(doc, lang, events)
    units = doc["data"]["units"]
    parts = _parts(context, lang, units, units_per_part)
    if progress is not None:
        parts = _counted(parts, 2 + -(-len(units) // max(1, units_per_part)), progress)
    return documents.pdf(
        parts,
        data=doc,
        workers=workers,
        metadata={
            "Title": context["title"],
            "Subject": "samflow evidence package",
            "Keywords": f"samflow-digest:{doc['digest']}",
        },
    )


def _parts(context: dict[str, Any], lang: str, units: list[Any], size: int) -> Iterator[str]:
    def part(front: bool, chunk: list[Any], audit: bool) -> str:
        return documents.render(
            TEMPLATE, lang, **context, show_front=front, units=chunk, show_audit=audit, embed=None
        )

    yield part(True, [], False)
    for i in range(0, len(units), max(1, size)):
        yield part(False, units[i : i + size], False)
    yield part(False, [], True)


def _counted(
    parts: Iterator[str], total: int, progress: Callable[[int, int, str], None]
) -> Iterator[str]:
    """The parts, telling ``progress`` how many are laid out: the layout asks for the next
    part once it is done with the one before."""
    for n, part in enumerate(parts):
        progress(n, total, "pdf")
        yield part
    progress(total, total, "pdf")
