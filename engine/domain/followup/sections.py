"""A section of an organisation-wide report (the board's status report), as plain data:
what a capability adds to a report without the report knowing it, and without the
capability knowing the report (``engine.reports.sections`` keeps the registry; a package
below ``engine.reports`` in the layers, like ``engine.surveys``, builds these too)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportSection:
    key: str
    title_sv: str
    title_en: str
    headers_sv: list[str]
    headers_en: list[str]
    rows: list[list[str]]  # already formatted (numbers, dates); in Swedish
    note_sv: str = ""
    note_en: str = ""
    rows_en: list[list[str]] | None = None  # in English, where a cell has words
    text_columns: int = 1  # the first columns are text (left-aligned), the rest figures

    def rows_for(self, lang: str) -> list[list[str]]:
        return self.rows_en if lang != "sv" and self.rows_en is not None else self.rows

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en

    def headers(self, lang: str) -> list[str]:
        return self.headers_sv if lang == "sv" else self.headers_en

    def note(self, lang: str) -> str:
        return self.note_sv if lang == "sv" else self.note_en
