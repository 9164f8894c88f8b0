"""The evidence package as a document an inspector reads: PDF/A-3b with the data attached
by WeasyPrint, a cover with the diarienummer, no internal identifiers, the audit trail in
sentences, and units' parts reused by digest."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping
from datetime import timedelta

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from sqlalchemy import text

from engine.context import App
from engine.domain.clock import FrozenClock
from engine.evidence import package as evidence
from engine.evidence import parts
from engine.evidence import verify as evidence_verify
from engine.views import cycle as cycle_views
from forms.exports import documents
from forms.exports.evidence_docs import Laid, evidence_pdf
from tests.evidence.scenario import Year, year_with_history

#: What a reader must never see: role addresses, record refs, dotted event names.
INTERNAL = [
    re.compile(r"\w+@\d+"),
    re.compile(r"\b(task|measure|risk|cycle|unit|stage|person|event):\d+"),
    re.compile(r"\b(task|cycle|stage|measure|risk|plan|unit|person|role|attachment)\.[a-z_]+\b"),
    re.compile(r"\b\w+=\S"),  # key=value summaries
    re.compile(r"↑"),
]


def text_of(content: bytes) -> str:
    return " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split()
    )


def assert_pdfa3b(content: bytes) -> DictionaryObject:
    """The PDF/A-3b markers and the embedded file's structure, as a validator reads them."""
    reader = PdfReader(io.BytesIO(content))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp), xmp
    intents = root["/OutputIntents"]
    assert any(
        i.get_object()["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in i.get_object()
        for i in intents
    )
    assert "/ID" in reader.trailer
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    specs = {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}
    spec = specs[documents.ATTACHMENT]
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/Type"] == "/Filespec" and "/F" in spec["/EF"] and "/UF" in spec
    assert any(a.get_object() == spec for a in root["/AF"])  # associated with the document
    embedded = spec["/EF"]["/F"].get_object()
    assert embedded["/Type"] == "/EmbeddedFile" and "/Subtype" in embedded
    return spec


def assert_readable(words: str) -> None:
    for pattern in INTERNAL:
        assert not pattern.search(words), (pattern.pattern, pattern.search(words))


@pytest.fixture
def year(sqlite_app: App, clock: FrozenClock) -> Year:
    return year_with_history(sqlite_app, clock)


def test_unit_package_is_pdfa3b_with_cover_toc_and_sentences(sqlite_app: App, year: Year) -> None:
    built = evidence.build(sqlite_app, year.o.actor("hr@x.se"), evidence.Scope("unit", "U2", 2027))
    doc = built.document("hr@x.se", "2027/4711")
    content = evidence_pdf(doc, "sv")
    assert_pdfa3b(content)
    assert documents.read_embedded(content) == doc  # the data, as attached by WeasyPrint
    words = text_of(content)
    for expected in (
        "Organisation Enhet Period Diarienummer",
        "2027/4711",
        "2027-01-01 – 2027-12-31",
        f"SHA-256 {doc['digest']}",
        "Innehåll",
        "Bilaga A. Händelselogg",
        "Bilaga B. Så kontrolleras paketet",
    ):
        assert expected in words, expected
    assert "samflow evidence verify" not in words  # no command line for the inspector
    # the escalation in words: who, in which role, how late
    assert re.search(
        r"\d{4}-\d\d-\d\d eskalerades till [A-ZÅÄÖ][\w ]+, chef för [\w ]+, "
        r"\d+ daga?r? efter sista dag",
        words,
    ), words
    assert "Uppgiften ”Följ upp åtgärd” (åtgärd 1.1 Utbildning i förflyttningsteknik)" in words
    assert "Mats Chef signerade steget ”Kartläggning”" in words
    assert_readable(words)
    english = text_of(evidence_pdf(doc, "en"))
    assert "Appendix A. Audit trail" in english and "escalated to" in english
    assert "Bilaga" not in english
    assert_readable(english)


class Counting(parts.Store):
    """The real parts table, counting what is laid out anew."""

    def __init__(self, app: App) -> None:
        super().__init__(app)
        self.put: list[str] = []

    def put_many(self, laid: Mapping[str, Laid]) -> None:
        self.put += list(laid)
        super().put_many(laid)


def test_a_later_package_of_unchanged_content_lays_out_no_part_again(
    sqlite_app: App, year: Year, clock: FrozenClock
) -> None:
    """Built again ten minutes later (another time on the cover, the chains read anew), nothing
    of the units or the overview changed: only the cover and appendix are laid out, every
    part comes from the store (the overview's key leaves out what it does not show)."""
    actor = year.o.actor("hr@x.se")
    scope = evidence.Scope("subtree", "ADM", 2027)
    store = Counting(sqlite_app)
    first = evidence.build(sqlite_app, actor, scope).document("hr@x.se")
    evidence_pdf(first, "sv", store=store)
    store.put.clear()
    clock.advance(timedelta(minutes=10))
    later = evidence.build(sqlite_app, actor, scope).document("hr@x.se")
    assert later["data"]["basis"]["as_of"] != first["data"]["basis"]["as_of"]
    content = evidence_pdf(later, "sv", store=store)
    assert store.put == []
    assert documents.read_embedded(content) == later


def test_subtree_package_reuses_unit_parts_by_digest(sqlite_app: App, year: Year) -> None:
    actor = year.o.actor("hr@x.se")
    scope = evidence.Scope("subtree", "ADM", 2027)
    store = Counting(sqlite_app)
    doc = evidence.build(sqlite_app, actor, scope).document("hr@x.se")
    units = len(doc["data"]["units"])
    first = evidence_pdf(doc, "sv", store=store, workers=1)
    assert len(store.put) == units + 1  # and the overview
    store.put.clear()
    again = evidence_pdf(doc, "sv", store=store, workers=2)
    assert store.put == [] and text_of(again) == text_of(first)  # assembly only
    measure = cycle_views.cycle_view(sqlite_app, year.c2).plan[0].measures[0].id
    with sqlite_app.db.engine.begin() as conn:  # one unit's content changes
        conn.execute(text("UPDATE measure SET what = 'Ny kurs' WHERE id = :id"), {"id": measure})
    changed = evidence.build(sqlite_app, actor, scope).document("hr@x.se", "AV 2027/9")
    content = evidence_pdf(changed, "sv", store=store)
    assert len(store.put) == 1  # only U2 laid out again (the overview shows no measure text)
    spec = assert_pdfa3b(content)  # the assembled file keeps the cover's PDF/A catalogue
    assert spec["/AFRelationship"] == "/Data"
    embedded = spec["/EF"]["/F"].get_object()  # the data put in at the join, size and checksum
    raw = json.dumps(changed, ensure_ascii=False).encode()
    assert embedded.get_data() == raw and embedded["/Params"]["/Size"] == len(raw)
    assert embedded["/Params"]["/CheckSum"].original_bytes == hashlib.md5(raw).digest()
    assert documents.read_embedded(content) == changed
    words = text_of(content)
    assert "Ny kurs" in words and "AV 2027/9" in words and "Översikt per enhet" in words
    assert_readable(words)
    # the contents give the page each unit begins on
    toc = re.search(r"Innehåll (.*?) Bilaga B", words)
    assert toc and re.search(r"U2 [\w ]+ \d+", toc.group(1)), words[:2000]
    assert len(PdfReader(io.BytesIO(content)).pages) > units
    # and the package still verifies against the database (round trip)
    assert evidence_verify.verify(sqlite_app, actor, documents.read_embedded(content) or {}).matches


def page_streams(content: bytes) -> list[bytes]:
    """What each page draws (its content stream, decoded): the layout itself."""
    import pikepdf

    with pikepdf.open(io.BytesIO(content)) as pdf:
        out = []
        for page in pdf.pages:
            contents = page.obj["/Contents"]
            each = contents if isinstance(contents, pikepdf.Array) else [contents]
            out.append(b"".join(c.read_bytes() for c in each))
        return out


def test_parts_laid_out_with_the_shared_fonts_and_stylesheet_draw_as_laid_out_alone(
    sqlite_app: App, year: Year
) -> None:
    """A part is laid out with the process's fonts and its print stylesheet parsed once
    (``_tools``): each page draws exactly what the part drew laid out on its own with the
    stylesheet inline and fonts of its own (as every part was before), whatever was laid
    out before it in the process."""
    from weasyprint import HTML

    from forms.exports import evidence_docs

    doc = evidence.build(
        sqlite_app, year.o.actor("hr@x.se"), evidence.Scope("subtree", "ADM", 2027)
    )
    document = doc.document("hr@x.se")
    context = evidence_docs._context(document, "sv", None)
    units = document["data"]["units"]
    pieces = [{"units": [u], "part_footer": f"{u['code']} {u['name']}"} for u in units]
    pieces += [{"show_front": True}, {"show_audit": True}]
    assert len(units) >= 2
    for piece in [*pieces, *reversed(pieces)]:  # in both orders: nothing carried over
        alone = HTML(string=evidence_docs._render(context, "sv", **piece)).render()
        expected = alone.write_pdf(pdf_variant=evidence_docs.PDF_VARIANT)
        assert expected is not None
        inline = evidence_docs._render(context, "sv", **piece)
        printed = evidence_docs._printed(context, "sv", **piece)
        assert "border-collapse" in inline and "border-collapse" not in printed
        pdf, pages, anchors = evidence_docs._lay_out(printed)
        assert pages == len(alone.pages) and page_streams(pdf) == page_streams(expected)
        for name, page in anchors.items():
            assert name in alone.pages[page].anchors
