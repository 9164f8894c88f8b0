"""Calendar files (iCalendar, RFC 5545) for due dates, written by hand: small and exact.

Each task is one all-day VEVENT on its due date (the Swedish calendar day). Its UID is
stable per task, so a calendar that imports a later mail about the same task updates the
event instead of adding a second one; SEQUENCE rises with the task's version for that.
Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 character); text
values escape backslash, semicolon, comma and newlines (RFC 5545 3.3.11).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PRODID = "-//samflow//SAM notifications//SV"
LIMIT = 75


@dataclass(frozen=True)
class DueEvent:
    uid: str
    day: date
    summary: str
    description: str
    url: str
    sequence: int = 0


def calendar(events: Sequence[DueEvent], *, stamp: datetime, name: str = "samflow") -> str:
    """A VCALENDAR (METHOD:PUBLISH) with one all-day event per due date."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for e in events:
        lines += _event(e, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _event(e: DueEvent, stamp: datetime) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{e.uid}",
        f"DTSTAMP:{utc_text(stamp)}",
        f"DTSTART;VALUE=DATE:{e.day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{e.day + timedelta(days=1):%Y%m%d}",
        f"SEQUENCE:{e.sequence}",
        f"SUMMARY:{escape(e.summary)}",
        f"DESCRIPTION:{escape(e.description)}",
        f"URL:{e.url}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets; continuation lines start
    with one space (which counts towards their 75)."""
    out: list[str] = []
    current, size, limit = "", 0, LIMIT
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = "", 0, LIMIT - 1
        current += ch
        size += width
    out.append(current)
    return "\r\n ".join(out)


def unfold(text: str) -> list[str]:
    """The content lines of a calendar (for readers and tests): folds joined again."""
    lines: list[str] = []
    for raw in text.split("\r\n"):
        if raw.startswith((" ", "\t")) and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines
