"""Where time comes from. The only module allowed to read the wall clock.

Every use case takes the time from a Clock it is given, so tests and the demo can freeze
and advance it instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

#: Deadlines in an annual wheel are Swedish calendar dates.
LOCAL_TZ = ZoneInfo("Europe/Stockholm")


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until told to move (tests, demo, `sweep --now`)."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, delta: timedelta) -> datetime:
        self._at += delta
        return self._at


def as_utc(at: datetime) -> datetime:
    """Aware UTC datetime; a naive value is taken to be UTC already."""
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


def local_date(at: datetime) -> date:
    """The Swedish calendar date of an instant (validity of roles is by date)."""
    return as_utc(at).astimezone(LOCAL_TZ).date()


def end_of_local_day(day: date) -> datetime:
    """A due date means 'by the end of that day in Sweden', as UTC."""
    local = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=LOCAL_TZ)
    return local.astimezone(UTC)
