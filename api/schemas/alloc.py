"""Request and reply bodies of the task allocation API (uppgiftsfördelning)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from api.schemas import In, Out

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
Short = Annotated[str, StringConstraints(max_length=200)]
Text = Annotated[str, StringConstraints(max_length=2000)]
Reason = Annotated[str, StringConstraints(max_length=4000)]
Lacking = Literal["authority", "resources", "knowledge"]


class ItemIn(In):
    key: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="A SAM task of the catalogue (GET /api/allocations/tasks)."
    )
    authority: Text = Field(description="The authority (befogenheter) that goes with it.")
    resources: Text = ""
    knowledge: Text = ""


class OfferIn(In):
    unit: Code
    items: list[ItemIn] = Field(min_length=1, max_length=30)
    manager: Email = Field("", description="E-mail; default: the unit's manager today.")
    substitute: Email = ""
    board: Short = Field("", description="The top unit only: the board that allocates.")
    board_decision: Short = Field("", description="The top unit only: its decision.")
    note: Text = ""


class OfferedOut(Out):
    id: int
    superseded: list[int]
    held: int


class AnswerIn(In):
    lacking: list[Lacking] = Field(min_length=1, max_length=3)
    reason: Reason


class AnsweredOut(Out):
    id: int
    state: str
    released: int = 0


class DecideIn(In):
    outcome: Literal["resources", "taken_back", "elsewhere"]
    note: Reason = ""
    to: Email = Field("", description="E-mail of whom it is allocated to (elsewhere).")


class DecidedOut(Out):
    return_id: int
    outcome: str
    moved: int


class ReturnedOut(Out):
    return_id: int
    allocation_id: int | None
    tasks: list[tuple[int, int]]
    notes: list[str]


class SamTaskOut(Out):
    key: str
    sv: str
    en: str
    covers: list[str]


class ReturnOut(Out):
    id: int
    item: str
    task_id: int | None
    new_task_id: int | None
    lacking: list[str]
    reason: str
    returned_by: str
    returned_at: datetime
    state: str
    outcome: str | None
    decision_note: str
    to_person: str
    decided_by: str
    decided_at: datetime | None
    may_decide: bool


class AllocationOut(Out):
    id: int
    unit_code: str
    unit_name: str
    state: str
    content: dict[str, Any]
    digest: str
    manager: tuple[str, str]
    allocator: tuple[str, str] | None
    board: str
    board_decision: str
    offered_at: datetime
    answered_at: datetime | None
    answer_lacking: list[str]
    answer_note: str
    superseded_at: datetime | None
    superseded_by_id: int | None
    returns: list[ReturnOut]
    held: list[dict[str, Any]]
    earlier: list[dict[str, Any]]
    may_answer: bool
    may_offer: bool


class MineOut(Out):
    mine: list[AllocationOut]
    made: list[AllocationOut]


class ChainRowOut(Out):
    depth: int
    code: str
    name: str
    first_line: bool
    managers: list[str]
    allocation_id: int | None
    state: str | None
    manager: str
    allocated_by: str
    accepted_at: datetime | None
    items: list[str]
    open_returns: int
    missing: bool


class ChainOut(Out):
    board: str
    rows: list[ChainRowOut]


class SyncIn(In):
    root: Annotated[str, StringConstraints(max_length=64)] = ""


class SyncOut(Out):
    held: int
