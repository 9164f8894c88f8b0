"""How documents are laid out fast: the collector's threshold raised only while laying out
(and restored by the last of nested or concurrent layouts), and the same PDF text whichever
way it is made."""

from __future__ import annotations

import gc
import io
import threading

from pypdf import PdfReader

from forms.exports import documents


def test_layout_gc_raises_the_threshold_and_the_last_one_out_restores_it() -> None:
    before = gc.get_threshold()
    with documents.layout_gc():
        assert gc.get_threshold()[0] >= documents.LAYOUT_GC_THRESHOLD
        with documents.layout_gc():  # nested (a part inside a package)
            assert gc.get_threshold()[0] >= documents.LAYOUT_GC_THRESHOLD
        assert gc.get_threshold()[0] >= documents.LAYOUT_GC_THRESHOLD
    assert gc.get_threshold() == before
    inside, go = threading.Event(), threading.Event()

    def other() -> None:  # a layout in another thread of the web server
        with documents.layout_gc():
            inside.set()
            go.wait(5)

    t = threading.Thread(target=other)
    t.start()
    assert inside.wait(5)
    with documents.layout_gc():
        pass
    assert gc.get_threshold()[0] >= documents.LAYOUT_GC_THRESHOLD  # the other still lays out
    go.set()
    t.join(5)
    assert gc.get_threshold() == before
    try:
        with documents.layout_gc():
            raise ValueError("a layout that fails")
    except ValueError:
        pass
    assert gc.get_threshold() == before


def test_parts_laid_out_in_workers_read_as_laid_out_here() -> None:
    parts = [f"<p>Del {n}: 2027-10-31 Uppföljning</p>" for n in range(5)]
    one = documents.pdf(parts, workers=1)
    two = documents.pdf(parts, workers=2)

    def text(content: bytes) -> list[str]:
        return [p.extract_text() for p in PdfReader(io.BytesIO(content)).pages]

    assert text(one) == text(two)
    assert "Del 3: 2027-10-31 Uppföljning" in text(one)[3] and "4 / 5" in text(one)[3]
