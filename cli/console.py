"""Printing for the command line: one-line errors, tables, and progress on long work."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from forms import messages

MAX_LISTED = 25


class Console:
    def __init__(
        self, lang: str = "en", out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.lang = lang
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._last = 0.0

    def _(self, message: str, **variables: object) -> str:
        """``message`` (its Swedish text, the catalogue's id) in the console's language;
        ``%(name)s`` filled from ``variables``."""
        text = messages.catalogue(self.lang).gettext(message)
        return text % variables if variables else text

    def n_(self, singular: str, plural: str, n: int, **variables: object) -> str:
        """The form that agrees with ``n`` (``%(num)d`` is ``n``): every count."""
        text = messages.catalogue(self.lang).ngettext(singular, plural, n)
        return text % {"num": n, **variables}

    def t(self, sv: str, en: str) -> str:
        """Data that is itself in two languages (a template's titles, an engine reason)."""
        return sv if self.lang == "sv" else en

    def line(self, text: str = "") -> None:
        print(text, file=self.out)

    def error(self, text: str) -> None:
        print((self._("fel") + f": {text}"), file=self.err)

    def error_details(self, items: Sequence[str]) -> None:
        for item in items:
            print(f"  - {item}", file=self.err)

    def error_list(self, items: Sequence[str]) -> None:
        """The first problem on the error line; the rest listed under it."""
        head = items[0]
        more = len(items) - 1
        suffix = self.n_(" (och %(num)d till)", " (och %(num)d till)", more) if more else ""
        self.error(head + suffix)
        for item in items[1:MAX_LISTED]:
            print(f"  {item}", file=self.err)
        if len(items) > MAX_LISTED:
            print(f"  … {len(items) - MAX_LISTED}", file=self.err)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
        for n, r in enumerate(cells):
            self.line("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
            if n == 0:
                self.line("  ".join("-" * w for w in widths))

    def progress(self, done: int, total: int, what: str) -> None:
        """A bar on a terminal; a line every few seconds otherwise (logs, CI)."""
        now = time.perf_counter()
        finished = total > 0 and done >= total
        if self.err.isatty():
            width = 30
            filled = int(width * done / total) if total else width
            bar = "#" * filled + "." * (width - filled)
            print(
                f"\r{what:<12} [{bar}] {done}/{total}",
                end="\n" if finished else "",
                file=self.err,
                flush=True,
            )
        elif finished or now - self._last > 2:
            print(f"{what}: {done}/{total}", file=self.err, flush=True)
        self._last = now
