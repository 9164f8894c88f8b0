"""A person's inbox as a read model, on Core alone: the same code serves the web, the API
and ``samflow inbox`` (which runs it without importing the ORM or the settings model)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection

from engine.db import reads
from engine.db.reads import Authority
from engine.domain.clock import local_date
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role


class _Bilingual(Protocol):
    @property
    def sv(self) -> str: ...
    @property
    def en(self) -> str: ...


class _Titled(Protocol):
    @property
    def title(self) -> _Bilingual: ...


class Titles(Protocol):
    """What the inbox reads of a template: a parsed ``CycleTemplate``, or only its titles
    (``engine.domain.workflow.titles``)."""

    def task(self, key: str) -> _Titled: ...
    def stage(self, key: str) -> _Titled: ...


@dataclass(frozen=True)
class InboxItem:
    task_id: int
    key: str
    title_sv: str
    title_en: str
    form_key: str
    unit_id: int
    unit_name: str
    cycle_id: int
    year: int
    stage_key: str
    stage_sv: str
    stage_en: str
    due_at: datetime
    overdue: bool
    why: str  # assigned | role | escalated | substitute
    on_behalf_of: int | None
    escalation_level: int
    claimed: bool
    required: bool
    version: int

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en

    def stage(self, lang: str) -> str:
        return self.stage_sv if lang == "sv" else self.stage_en


@dataclass
class Inbox:
    items: list[InboxItem]
    total: int
    overdue: int
    due_this_week: int
    escalated: int
    by_stage: dict[str, int] = field(default_factory=dict)
    #: Every unit and stage among the person's open tasks (before filtering), for filters.
    units: dict[int, str] = field(default_factory=dict)
    stages: dict[str, tuple[str, str]] = field(default_factory=dict)


def read(
    conn: Connection,
    person_id: int,
    now: datetime,
    template_of: Callable[[int], Titles],
    *,
    overdue_only: bool = False,
    within_days: int | None = None,
    stage: str | None = None,
    unit_id: int | None = None,
    limit: int = 500,
) -> Inbox:
    """A person's open tasks, due first: their own, their roles', those they stand in
    for, and escalations to them; with counts for the filters. ``template_of`` gives the
    parsed template of a stored version (titles of stages and tasks)."""
    auth = reads.authority(conn, person_id, local_date(now))
    rows = reads.inbox_rows(conn, auth, limit=5000)
    items = [_item(template_of(r.template_id), auth, r, now) for r in rows]
    week = now + timedelta(days=7)
    result = Inbox(
        [],
        len(items),
        sum(i.overdue for i in items),
        sum(1 for i in items if now <= i.due_at <= week),
        sum(1 for i in items if i.why == "escalated"),
        dict(Counter(i.stage_key for i in items)),
        {i.unit_id: i.unit_name for i in items},
        {i.stage_key: (i.stage_sv, i.stage_en) for i in items},
    )
    for i in items:
        if overdue_only and not i.overdue:
            continue
        if within_days is not None and i.due_at > now + timedelta(days=within_days):
            continue
        if stage is not None and i.stage_key != stage:
            continue
        if unit_id is not None and i.unit_id != unit_id:
            continue
        result.items.append(i)
    result.items = result.items[:limit]
    return result


def _item(template: Titles, auth: Authority, r: Any, now: datetime) -> InboxItem:
    tdef, sdef = template.task(r.key), template.stage(r.stage_key)
    why, on_behalf = r.why, None
    if why == "assigned" and r.assignee_id != auth.person_id:
        why, on_behalf = "substitute", r.assignee_id
    elif why == "role":
        _, on_behalf = auth.on_behalf_for_address(Address(Role(r.role), r.role_unit_id))
        if on_behalf is not None:
            why = "substitute"
    return InboxItem(
        r.id,
        r.key,
        tdef.title.sv,
        tdef.title.en,
        r.form_key,
        r.unit_id,
        r.unit_name,
        r.cycle_id,
        r.year,
        r.stage_key,
        sdef.title.sv,
        sdef.title.en,
        r.due_at,
        r.due_at < now,
        why,
        on_behalf,
        r.escalation_level,
        r.assignee_id is not None,
        r.required,
        r.version,
    )
