"""Reply shapes of the annual follow-up's roll-up (``/api/rollup``, issue 12 §5)."""

from __future__ import annotations

from datetime import date

from api.schemas import Out
from api.schemas.docs import FollowUpRowOut


class ChildOut(Out):
    code: str
    name: str
    leaf: bool
    state: str  # done | missing | waived
    waiver: str
    figures: FollowUpRowOut
    assessment: str


class LevelOut(Out):
    case_id: int
    code: str
    name: str
    level: str  # department | administration
    year: int
    due_on: date
    closed: bool
    children: list[ChildOut]
    total: FollowUpRowOut
    assessment: str
    proposals: str
    counts: dict[str, int]


class StartedOut(Out):
    opened: int
    skipped: int
    cases: list[int]
    refused: list[dict[str, str]]  # unit, message_sv, message_en
