"""The command line's texts come from the same catalogues as the pages, through a compiled
catalogue kept in the user's cache (forms/messages.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.console import Console
from forms import messages


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    messages.catalogue.cache_clear()
    yield tmp_path / "samflow"
    messages.catalogue.cache_clear()


def test_texts_and_counts_in_both_languages(cache: Path) -> None:
    sv, en = Console("sv"), Console("en")
    assert sv._("Igen: ") == "Igen: " and en._("Igen: ") == "Again: "
    for n, want_sv, want_en in ((1, "1 uppgift", "1 task"), (2, "2 uppgifter", "2 tasks")):
        assert sv.n_("%(num)d uppgift", "%(num)d uppgifter", n) == want_sv
        assert en.n_("%(num)d uppgift", "%(num)d uppgifter", n) == want_en
    assert en._("skrev %(path)s", path="a.pdf") == "wrote a.pdf"


def test_the_compiled_catalogue_is_kept_and_a_damaged_one_is_compiled_again(cache: Path) -> None:
    assert Console("en")._("Igen: ") == "Again: "
    (mo,) = cache.glob("messages-en-*.mo")
    mo.write_bytes(b"not a catalogue")
    messages.catalogue.cache_clear()
    assert Console("en")._("Igen: ") == "Again: "
    assert mo.read_bytes()[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")  # a .mo again


def test_without_a_writable_cache_the_texts_still_come(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no directory can be made
    messages.catalogue.cache_clear()
    try:
        assert Console("en")._("Igen: ") == "Again: "
    finally:
        messages.catalogue.cache_clear()
