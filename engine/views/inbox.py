"""A person's inbox: the one read model behind the web page, ``/api/inbox`` and
``samflow inbox``, on SQLAlchemy Core alone (no ORM, no settings model, no pydantic), so the
command line runs the very same code without loading the web's machinery; ``read`` also runs
on a ``Plain`` driver connection (``engine.db.reads.plain``: the same statements' SQL text,
without SQLAlchemy), which is how ``samflow inbox`` starts in a fraction of the time.

Rows: the person's own tasks, their roles', those they stand in for (substitutes, deputies)
and escalations to them: only what the person's authority on the day reaches, so nothing of
a unit they may not see. Counts are of those rows before filtering; filters (overdue, due
within days, stage, unit, kind), sorting, grouping and keyset paging (due order: ``after``
the last row shown) work on them. A fixed number of statements whatever the number of
tasks: the person's authority, the rows, then (when needed) the measures named, the role
holders, the people's names, today's nudges and the line above escalated units.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from engine.db import reads
from engine.db.reads import Authority
from engine.db.reads.plain import Plain
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.org import rules

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from engine.context import Actor, App
    from engine.db.reads import Conn
    from engine.views.saved_views import ViewRow

#: Open rows read per person (the counts are of these); a person with more sees the
#: nearest deadlines first.
MAX_ROWS = 5000


class _Bilingual(Protocol):
    @property
    def sv(self) -> str: ...
    @property
    def en(self) -> str: ...


class _Titled(Protocol):
    @property
    def title(self) -> _Bilingual: ...


class Titles(Protocol):
    """What the inbox reads of a template: a parsed ``CycleTemplate`` (the web's, cached on
    the app), or only its titles (``engine.domain.workflow.titles``: the command line)."""

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
    #: What tells this task from others of its kind: the measure it follows up ("1.2 Byt
    #: belysningen i köket"); empty when the kind and the unit say it all.
    subject: str = ""
    #: Days past the deadline (0 when not overdue), in the organisation's local days.
    days_overdue: int = 0
    #: What the person may do from a list (the use cases check again when pressed).
    may_claim: bool = False  # routed to a role several people could take it from
    may_approve: bool = False  # an approval the person holds (bulk approval)
    may_steer: bool = False  # reassign or move the deadline (escalated to them)
    may_nudge: bool = False  # remind the holder now (not yet today)
    #: Who holds the task now (for escalations: whom it waits on).
    holder: str = ""

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en

    def stage(self, lang: str) -> str:
        return self.stage_sv if lang == "sv" else self.stage_en

    def full_title(self, lang: str) -> str:
        """The kind and what tells it apart: "Följ upp åtgärd: 1.2 Byt belysningen"."""
        return f"{self.title(lang)}: {self.subject}" if self.subject else self.title(lang)

    @property
    def escalated_to_me(self) -> bool:
        return self.why == "escalated"

    @property
    def escalated_up(self) -> bool:
        """The person's own task, escalated up the line because it is late."""
        return self.why != "escalated" and self.escalation_level > 0


#: Deadline groups, nearest first.
BUCKETS = ("overdue", "week", "month", "later")


@dataclass(frozen=True)
class Group:
    key: str  # the bucket, the cycle id, the unit id or the task kind, as text
    items: list[InboxItem]


@dataclass
class Inbox:
    items: list[InboxItem]
    total: int
    overdue: int
    due_this_week: int
    escalated: int  # escalated to the person
    by_stage: dict[str, int] = field(default_factory=dict)
    #: Every unit and stage among the person's open tasks (before filtering), for filters.
    units: dict[int, str] = field(default_factory=dict)
    stages: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: The person's own tasks escalated up the line (the rows saying so).
    escalated_up: int = 0
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    shown: int = 0  # rows after the filters (before the limit)
    #: With ``with_views``: the saved views the person sees, and the units (id, name) where
    #: they hold a role (a view is shared with one of them).
    views: list[ViewRow] = field(default_factory=list)
    share_units: list[tuple[int, str]] = field(default_factory=list)
    #: Keyset paging (due order): the last row shown, when more rows follow it; pass it as
    #: ``after`` for the next page (``cursor``/``parse_cursor`` write and read it as text).
    next_after: tuple[datetime, int] | None = None

    @property
    def next_cursor(self) -> str | None:
        return cursor(self.next_after) if self.next_after is not None else None


def read(
    conn: Conn,
    person_id: int,
    now: datetime,
    template_of: Callable[[int], Titles],
    *,
    overdue_only: bool = False,
    within_days: int | None = None,
    stage: str | None = None,
    unit_id: int | None = None,
    kind: str | None = None,
    sort: str = "due",
    group: str = "",
    limit: int = 500,
    after: tuple[datetime, int] | None = None,
    with_views: bool = False,
) -> Inbox:
    """A person's open tasks, due first, with counts for the filters (every count is of
    the same rows the list shows before filtering). ``template_of`` gives a stored template
    version's titles; ``after`` (due order only) starts after that (due, task id)."""
    day = local_date(now)
    auth = reads.authority(conn, person_id, day)
    rows = reads.inbox_rows(conn, auth, limit=MAX_ROWS)
    extra = _extras(conn, rows, day)
    items = [_item(template_of(r.template_id), auth, r, now, day, extra) for r in rows]
    views: list[ViewRow] = []
    share_units: list[tuple[int, str]] = []
    if with_views:  # the page's saved views (the web has the ORM loaded anyway)
        from engine.views import saved_views

        assert not isinstance(conn, Plain), "saved views are read through SQLAlchemy"

        views, share_units = saved_views.read(conn, auth)
    week = now + timedelta(days=7)
    result = Inbox(
        [],
        len(items),
        sum(i.overdue for i in items),
        sum(1 for i in items if now <= i.due_at <= week),
        sum(1 for i in items if i.escalated_to_me),
        dict(Counter(i.stage_key for i in items)),
        {i.unit_id: i.unit_name for i in items},
        {i.stage_key: (i.stage_sv, i.stage_en) for i in items},
        sum(1 for i in items if i.escalated_up),
        {i.key: (i.title_sv, i.title_en) for i in items},
        dict(Counter(i.key for i in items)),
        views=views,
        share_units=share_units,
    )
    horizon = now + timedelta(days=within_days) if within_days is not None else None
    for i in items:
        if overdue_only and not i.overdue:
            continue
        if horizon is not None and i.due_at > horizon:
            continue
        if stage is not None and i.stage_key != stage:
            continue
        if unit_id is not None and i.unit_id != unit_id:
            continue
        if kind is not None and i.key != kind:
            continue
        result.items.append(i)
    result.shown = len(result.items)
    ordered = arrange(result.items, sort)
    if after is not None and sort == "due":
        ordered = [i for i in ordered if (i.due_at, i.task_id) > after]
    result.items = ordered[:limit]
    if sort == "due" and len(ordered) > limit and result.items:
        last = result.items[-1]
        result.next_after = (last.due_at, last.task_id)
    result.groups = grouped(result.items, group, now)
    return result


def inbox(
    app: App,
    actor: Actor,
    *,
    overdue_only: bool = False,
    within_days: int | None = None,
    stage: str | None = None,
    unit_id: int | None = None,
    kind: str | None = None,
    sort: str = "due",
    group: str = "",
    limit: int = 500,
    after: tuple[datetime, int] | None = None,
    with_views: bool = False,
) -> Inbox:
    """``read`` for a signed-in person of a running app (the web page and the API): one
    Core read transaction, the templates parsed once per app."""
    assert actor.person_id is not None
    with app.read_core() as conn:
        return read(
            conn,
            actor.person_id,
            app.clock.now(),
            template_titles(app, conn),
            overdue_only=overdue_only,
            within_days=within_days,
            stage=stage,
            unit_id=unit_id,
            kind=kind,
            sort=sort,
            group=group,
            limit=limit,
            after=after,
            with_views=with_views,
        )


def template_titles(app: App, conn: Connection) -> Callable[[int], Titles]:
    """Stored template versions, parsed once per app (``engine.workflow.templates.by_id``
    keeps them under the same key: versions never change)."""

    def of(template_id: int) -> Titles:
        key = ("template", template_id)
        found = app.cache.get(key)
        if found is None:
            from engine.workflow import templates

            body, label = reads.template_text(conn, template_id)
            found = app.cache[key] = templates.parse(body, label)
        return found

    return of


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(\d{1,18})-(\d{1,12})$")


def cursor(after: tuple[datetime, int]) -> str:
    """A keyset position as text for a query string: microseconds since 1970 and task id."""
    due, task_id = after
    return f"{(due - _EPOCH) // timedelta(microseconds=1)}-{task_id}"


def parse_cursor(text: str) -> tuple[datetime, int]:
    found = _CURSOR.match(text)
    if found is None:
        raise InvalidInput.field(
            "after",
            "not a position in the inbox (as given in next_after)",
            "inte en position i inkorgen (som i next_after)",
        )
    return _EPOCH + timedelta(microseconds=int(found[1])), int(found[2])


def arrange(items: list[InboxItem], sort: str) -> list[InboxItem]:
    """Sorted by deadline, or by cycle, unit or kind and then deadline."""
    keys: dict[str, Callable[[InboxItem], Any]] = {
        "cycle": lambda i: (i.unit_name, i.year, i.cycle_id, i.due_at, i.task_id),
        "unit": lambda i: (i.unit_name, i.unit_id, i.due_at, i.task_id),
        "kind": lambda i: (i.title_sv, i.key, i.due_at, i.task_id),
    }
    return sorted(items, key=keys.get(sort, lambda i: (i.due_at, i.task_id)))


def bucket(item: InboxItem, now: datetime) -> str:
    if item.overdue:
        return "overdue"
    if item.due_at <= now + timedelta(days=7):
        return "week"
    if item.due_at <= now + timedelta(days=31):
        return "month"
    return "later"


def grouped(items: list[InboxItem], group: str, now: datetime) -> list[Group]:
    """Groups in the order their first row comes (the deadline's: nearest first)."""
    if not group:
        return [Group("", items)] if items else []
    key: Callable[[InboxItem], str] = {
        "deadline": lambda i: bucket(i, now),
        "cycle": lambda i: str(i.cycle_id),
        "unit": lambda i: str(i.unit_id),
        "kind": lambda i: i.key,
    }.get(group, lambda i: "")
    out: dict[str, list[InboxItem]] = {}
    if group == "deadline":
        out = {b: [] for b in BUCKETS}
    for i in items:
        out.setdefault(key(i), []).append(i)
    return [Group(k, v) for k, v in out.items() if v]


@dataclass(frozen=True)
class _Extra:
    measures: dict[int, str]
    holders: dict[Address, list[int]]
    names: dict[int, tuple[str, str]]
    nudged: set[int]
    org: OrgSnapshot | None


def _extras(conn: Conn, rows: list[Any], day: date) -> _Extra:
    """What the rows need beyond themselves, in one statement each, and only if needed."""
    measure_ids = {r.measure_id for r in rows if r.measure_id is not None}
    measures = {
        mid: f"{item_no}.{no} {_short(what)}"
        for mid, (item_no, no, what) in reads.measures_named(conn, measure_ids).items()
    }
    # who else could take a role's task (claim), and who holds an escalated one
    wanted: set[Address] = set()
    for r in rows:
        if r.role is not None and r.role_unit_id is not None and r.assignee_id is None:
            address = Address(Role(r.role), r.role_unit_id)
            wanted.add(address)
            if address.role == Role.MANAGER:
                wanted.add(Address(Role.DEPUTY, r.role_unit_id))
    holders = reads.holders_at(conn, wanted, day)
    escalated = [r for r in rows if r.why == "escalated"]
    people = {r.assignee_id for r in escalated if r.assignee_id is not None}
    for r in escalated:
        if r.assignee_id is None and r.role is not None:
            people.update(holders.get(Address(Role(r.role), r.role_unit_id), []))
    names = reads.person_names(conn, people) if people else {}
    nudged = reads.nudged_today(conn, [r.id for r in escalated], day) if escalated else set()
    org = reads.ancestry(conn, {r.unit_id for r in escalated}, day) if escalated else None
    return _Extra(measures, holders, names, nudged, org)


def _short(text: str, most: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _item(
    template: Titles, auth: Authority, r: Any, now: datetime, day: date, extra: _Extra
) -> InboxItem:
    tdef, sdef = template.task(r.key), template.stage(r.stage_key)
    why, on_behalf = r.why, None
    if why == "assigned" and r.assignee_id != auth.person_id:
        why, on_behalf = "substitute", r.assignee_id
    elif why == "role":
        _, on_behalf = auth.on_behalf_for_address(Address(Role(r.role), r.role_unit_id))
        if on_behalf is not None:
            why = "substitute"
    holds = why != "escalated" or rules.holds(auth, r)[0]
    may_claim = False
    holder = ""
    if r.role is not None and r.role_unit_id is not None and r.assignee_id is None:
        address = Address(Role(r.role), r.role_unit_id)
        others = set(extra.holders.get(address, []))
        if address.role == Role.MANAGER:
            others |= set(extra.holders.get(Address(Role.DEPUTY, r.role_unit_id), []))
        others.discard(auth.person_id)
        # several could take it: another holder, or the one this person stands in for
        may_claim = holds and why != "escalated" and (bool(others) or on_behalf is not None)
    steer = nudge = False
    if why == "escalated":
        steer = True  # the escalation holder may reassign and extend (access.may_steer)
        if r.assignee_id is not None:
            holder = extra.names.get(r.assignee_id, ("", ""))[0]
        elif r.role is not None:
            ids = extra.holders.get(Address(Role(r.role), r.role_unit_id), [])
            holder = ", ".join(extra.names.get(p, ("", ""))[0] for p in ids)
        if extra.org is not None:
            nudge = r.id not in extra.nudged and rules.may_nudge(auth, r, extra.org)
    overdue = r.due_at < now
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
        overdue,
        why,
        on_behalf,
        r.escalation_level,
        r.assignee_id is not None,
        r.required,
        r.version,
        subject=extra.measures.get(r.measure_id, "") if r.measure_id is not None else "",
        days_overdue=max(0, (day - local_date(r.due_at)).days) if overdue else 0,
        may_claim=may_claim,
        may_approve=r.form_key == "approval" and holds,
        may_steer=steer,
        may_nudge=nudge,
        holder=holder,
    )
