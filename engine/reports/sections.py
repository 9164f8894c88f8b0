"""Sections a report renders by key, registered in ``engine.catalog`` (the one place):
what another capability adds to the board's status report without the report knowing it
(the safety rounds' findings; the survey package's ``survey_indices``, ``roa_selection``
and ``health_goals``). ``ReportSection`` is plain data in ``engine.domain.followup.sections``, so a
capability below this package in the layers (``engine.surveys``) builds its sections too.

A section function gets the read session, the units in the report's scope (tree order),
the year and the settings, and returns a ``ReportSection`` (or None: nothing to show).
Counts and figures must respect the anonymity threshold themselves.

    SECTIONS.add("board", "safety_rounds", rounds_section)
    for key, section in sections.render("board", session, units, 2027, settings): ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from engine.domain.followup.sections import ReportSection
from engine.settings import Settings

__all__ = ["SECTIONS", "ReportSection", "Section", "Sections", "render"]


Section = Callable[[Session, Sequence[int], int, Settings], ReportSection | None]


@dataclass
class Sections:
    by_report: dict[str, dict[str, Section]] = field(default_factory=dict)

    def add(self, report: str, key: str, fn: Section) -> None:
        """Register a section of a report; a key once per report, in the order added."""
        mine = self.by_report.setdefault(report, {})
        if key in mine:
            raise ValueError(f"section {key!r} of {report!r} is already registered")
        mine[key] = fn

    def keys(self, report: str) -> list[str]:
        return list(self.by_report.get(report, {}))


SECTIONS = Sections()


def render(
    report: str, s: Session, units: Sequence[int], year: int, settings: Settings
) -> list[ReportSection]:
    """Every registered section of the report that has something to show, in order."""
    from engine.workflow.process.registry import registry

    registry()  # imports engine.catalog, where the sections are registered
    out = []
    for fn in SECTIONS.by_report.get(report, {}).values():
        section = fn(s, units, year, settings)
        if section is not None:
            out.append(section)
    return out
