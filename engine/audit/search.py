"""Searching the audit log: by unit (optionally with everything under it), person, action
and period; a page at a time, or all of it as CSV.

    q = AuditQuery(unit_code="DEP", subtree=True, action="task.*", date_from=date(2027, 3, 1))
    page = search(app, actor, q, page=1, page_size=50)       # rows, total, pages
    for line in export_csv(app, actor, q): out.write(line)    # streamed, header first

Who may search: the units' own managers and safety representatives, the line above, HR and
the director (``access.require_oversight``); without a unit, those over every top unit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, false, func, literal, or_, select, true, union_all
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import AuditEvent, OrgUnit
from engine.domain.clock import LOCAL_TZ, as_utc, local_date
from engine.domain.errors import InvalidInput
from engine.org import access

MAX_PAGE_SIZE = 500
#: A search counts its matches up to this many and then says "more than 10,000": an exact
#: count of a million matches reads a million index entries, a capped one at most this many.
COUNT_CAP = 10_000
#: A unit with everything under it is searched unit by unit (each an index range that
#: stops after a page) up to this many units; a larger subtree is a large share of the
#: log, so the period index, newest first, finds a page soon enough.
BRANCH_UNITS = 16
#: An action prefix (``task.*``) is searched action by action up to this many actions,
#: and no search is cut into more index ranges than ``MAX_BRANCHES``.
MAX_ACTIONS = 24
MAX_BRANCHES = 48
#: Up to this many matches of the action (in the period), the action leads a search with a
#: unit or a person too: their pages are looked for among the action's events.
RARE = 2000
#: On PostgreSQL a page without a leading B-tree is read from windows of time: the first
#: this long, each next eight times longer.
WINDOW = timedelta(hours=1)
MAX_WINDOW = timedelta(days=366 * 20)
MAX_CURSOR = 2**62
CSV_BATCH = 2000
CSV_COLUMNS = (
    "id", "time", "chain", "seq", "actor", "actor_name", "on_behalf_of", "action",
    "subject", "unit_code", "unit_name", "data", "hash",
)  # fmt: skip


@dataclass(frozen=True)
class AuditQuery:
    unit_code: str | None = None
    subtree: bool = False
    person_email: str | None = None
    #: An exact action (``task.returned``) or a prefix ending in ``*`` (``task.*``).
    action: str | None = None
    date_from: date | None = None  # Swedish calendar dates, both inclusive
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    chain: str
    seq: int
    actor: str
    actor_name: str
    on_behalf_of: str
    action: str
    subject: str
    unit_code: str
    unit_name: str
    data: str
    hash: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    #: The number of matches, or ``COUNT_CAP`` when there are more (``capped``).
    total: int
    #: Which page of ``page_size`` this is; None when it lies beyond the counted matches.
    page: int | None
    page_size: int
    #: True: there are more than ``total`` matches.
    capped: bool = False
    #: Cursors: the event to pass as ``before`` for the next (older) page, and as
    #: ``after`` for the previous (newer) one; None where there is none.
    older: int | None = None
    newer: int | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def search(
    app: App,
    actor: Actor,
    q: AuditQuery,
    *,
    page: int = 1,
    page_size: int = 50,
    before: int | None = None,
    after: int | None = None,
) -> AuditPage:
    """Newest first, a page at a time: by page number within the first ``COUNT_CAP``
    matches, or from a cursor (``before``: the page older than that event; ``after``: the
    page newer than it) anywhere in the log. Each page is read from index ranges, newest
    first, that stop after the page; the total is counted up to ``COUNT_CAP``."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput.field(
            "page",
            f"page from 1, page size 1–{MAX_PAGE_SIZE}",
            f"sida från 1, sidstorlek 1–{MAX_PAGE_SIZE}",
        )
    offset = (page - 1) * page_size
    if offset >= COUNT_CAP and before is None and after is None:
        raise InvalidInput.field(
            "page",
            f"pages reach the first {COUNT_CAP:,} events; go on from a page's last event (before)",
            f"sidnummer når de första {COUNT_CAP:,} händelserna; gå vidare från en sidas "
            "sista händelse (before)".replace(",", " "),
        )
    for name, given in (("before", before), ("after", after)):
        if given is not None and not 1 <= given <= MAX_CURSOR:
            raise InvalidInput.field(name, "an event number", "ett händelsenummer")
    if before is not None and after is not None:
        raise InvalidInput.field(
            "before", "before or after, not both", "before eller after, inte båda"
        )
    with app.read() as s:
        plan = _plan(app, s, actor, q)
        total = plan.count(s)
        if before is None and after is None:
            ids = plan.page(s, None, True, offset, page_size + 1)
            more_older, first = len(ids) > page_size, offset
            ids = ids[:page_size]
        else:
            cursor = (
                _cursor(s, "before", before) if before is not None else _cursor(s, "after", after)
            )
            if before is not None:
                ids = plan.page(s, _older(cursor), True, 0, page_size + 1, cursor[1])
                more_older = len(ids) > page_size
                ids = ids[:page_size]
            else:
                ids = plan.page(s, _newer(cursor), False, 0, page_size, cursor[1])[::-1]
                more_older = bool(ids) and bool(
                    plan.page(s, _older(ids[-1]), True, 0, 1, ids[-1][1])
                )
            first = plan.count(s, _newer(ids[0])) if ids else 0
        events = {
            e.id: e
            for e in s.scalars(select(AuditEvent).where(AuditEvent.id.in_([i for i, _ in ids])))
        }
        rows = _rows(s, [events[i] for i, _ in ids])
    capped = total > COUNT_CAP
    return AuditPage(
        rows,
        min(total, COUNT_CAP),
        first // page_size + 1 if first < COUNT_CAP else None,
        page_size,
        capped=capped,
        older=ids[-1][0] if ids and more_older else None,
        newer=ids[0][0] if ids and first > 0 else None,
    )


def export_csv(app: App, actor: Actor, q: AuditQuery) -> Iterator[str]:
    """Every matching event, oldest first, as CSV text (header first), in batches so an
    export of a million events never holds them all."""
    yield _csv_line(CSV_COLUMNS)
    last = 0
    while True:
        with app.read() as s:
            stmt = _filtered(app, s, actor, q).where(AuditEvent.id > last)
            batch = list(s.scalars(stmt.order_by(AuditEvent.id).limit(CSV_BATCH)))
            rows = _rows(s, batch)
        for r in rows:
            yield _csv_line(_cells(r))
        if len(batch) < CSV_BATCH:
            return
        last = batch[-1].id


#: Where an event stands in the order, newest first: (at, id).
Key = tuple[int, datetime]


@dataclass(frozen=True)
class _Plan:
    """A search as index ranges: conditions every match meets, and disjoint branches (one
    per unit of a small subtree; acting, and acted for) each of which one index serves in
    time order."""

    common: list[Any]
    branches: list[list[Any]]
    #: The same matches cut only where they must be (acting, acted for): a count needs no
    #: time order, so a unit list or an action prefix is one condition an index serves.
    counted: list[list[Any]]

    def count(self, s: Session, where: Any = None) -> int:
        """The matches (also: those past ``where``), counted up to ``COUNT_CAP`` + 1."""
        n = 0
        for b in self.counted:
            conds = [*self.common, *b, *([] if where is None else [where])]
            inner = (
                select(literal(1)).select_from(AuditEvent).where(*conds).limit(COUNT_CAP + 1 - n)
            )
            n += s.scalar(select(func.count()).select_from(inner.subquery())) or 0
            if n > COUNT_CAP:
                break
        return n

    #: No B-tree leads (PostgreSQL, where the period index is a BRIN): read the page from
    #: windows of time that grow from ``near`` until one holds it.
    windowed: bool = False
    #: The period's ends, where windows stop.
    since: datetime | None = None
    until: datetime | None = None

    def page(
        self,
        s: Session,
        where: Any,
        newest_first: bool,
        offset: int,
        limit: int,
        near: datetime | None = None,
    ) -> list[Key]:
        """(id, at) of the page, newest first or oldest first, past ``where`` (the cursor,
        at ``near``)."""
        extra = [] if where is None else [where]
        if not self.windowed:
            return self._page(s, extra, newest_first, offset, limit)
        ref = near or s.scalar(select(AuditEvent.at).order_by(AuditEvent.id.desc()).limit(1))
        if ref is not None and newest_first and self.until is not None:
            ref = min(ref, self.until)  # (windows start at the period's newer end)
        step = WINDOW
        while ref is not None and step < MAX_WINDOW:
            edge = ref - step if newest_first else ref + step
            if (self.since if newest_first else self.until) is not None and (
                edge <= self.since if newest_first else edge >= self.until  # type: ignore[operator]
            ):
                break  # the period's end is nearer: the last window is the whole period
            bound = AuditEvent.at >= edge if newest_first else AuditEvent.at <= edge
            rows = self._page(s, [*extra, bound], newest_first, offset, limit)
            if len(rows) == limit:  # the window holds the page (what is outside is farther)
                return rows
            step *= 8
        return self._page(s, extra, newest_first, offset, limit)

    def _page(
        self, s: Session, extra: list[Any], newest_first: bool, offset: int, limit: int
    ) -> list[Key]:
        order = (
            (AuditEvent.at.desc(), AuditEvent.id.desc())
            if newest_first
            else (AuditEvent.at, AuditEvent.id)
        )
        parts = [
            select(AuditEvent.id, AuditEvent.at)
            .where(*self.common, *b, *extra)
            .order_by(*order)
            .limit(offset + limit)
            for b in self.branches
        ]
        if len(parts) == 1:
            stmt = parts[0].offset(offset).limit(limit)
        else:
            u = union_all(*(select(p.subquery()) for p in parts)).subquery()
            o = (u.c.at.desc(), u.c.id.desc()) if newest_first else (u.c.at, u.c.id)
            stmt = select(u.c.id, u.c.at).order_by(*o).offset(offset).limit(limit)
        return [(int(i), at) for i, at in s.execute(stmt)]


def _cursor(s: Session, name: str, event_id: int | None) -> Key:
    at = s.scalar(select(AuditEvent.at).where(AuditEvent.id == event_id))
    if at is None or event_id is None:
        raise InvalidInput.field(name, "no such event", "ingen sådan händelse")
    return (event_id, at)


def _older(k: Key) -> Any:
    """Strictly older than ``k`` in (at, id) order, spelled so ``at``'s indexes bound it."""
    return and_(AuditEvent.at <= k[1], or_(AuditEvent.at < k[1], AuditEvent.id < k[0]))


def _newer(k: Key) -> Any:
    return and_(AuditEvent.at >= k[1], or_(AuditEvent.at > k[1], AuditEvent.id > k[0]))


def _plan(app: App, s: Session, actor: Actor, q: AuditQuery) -> _Plan:
    for name, d in (("date_from", q.date_from), ("date_to", q.date_to)):
        if d is not None and not 1900 <= d.year <= 2200:  # (and local midnight stays in range)
            raise InvalidInput.field(name, "a date between 1900 and 2200", "ett datum 1900–2200")
    day = local_date(app.clock.now())
    org = queries.org_snapshot(s, day)
    common: list[Any] = []
    by_unit: list[list[Any]] = [[]]
    whole: list[Any] = []  # the conditions cut into branches, as one each (for counting)
    if q.date_from:
        common.append(AuditEvent.at >= _start_of(q.date_from))
    if q.date_to:
        common.append(AuditEvent.at < _start_of(q.date_to + timedelta(days=1)))
    actions = _actions(s, q.action) if q.action else None
    # A rare action leads: the unit's and the person's indexes then stand aside (``+ 0``)
    # so a page of them is not looked for among all of a unit's or a person's events.
    rare = (
        actions is not None
        and bool(q.unit_code or q.person_email)
        and _few(s, [*common, AuditEvent.action.in_(actions)])
    )

    def col(c: Any) -> Any:
        return c + 0 if rare else c

    units_lead = False
    if q.unit_code:
        root = queries.unit_by_code(s, q.unit_code).id
        access.require_oversight(s, actor, [root], org, day)
        units = org.subtree(root) if q.subtree else [root]
        # (IS NOT NULL spelled out: the unit index is partial, migration 0013h)
        common.append(AuditEvent.unit_id.is_not(None))
        units_lead = len(units) <= BRANCH_UNITS
        if len(units) == 1:
            common.append(col(AuditEvent.unit_id) == units[0])
        elif len(units) <= BRANCH_UNITS and not q.person_email and not rare:
            by_unit = [[AuditEvent.unit_id == u] for u in units]
            whole.append(AuditEvent.unit_id.in_(units))
        else:  # (a person's index leads, or a large share of the log)
            common.append(col(AuditEvent.unit_id).in_(units))
    else:
        access.require_oversight(s, actor, org.children(None), org, day)
    by_person: list[list[Any]] = [[]]
    if q.person_email:
        pid = queries.person_by_email(s, q.person_email).id
        by_person = [
            [col(AuditEvent.actor_id) == pid, AuditEvent.actor_id.is_not(None)],
            [  # acted for, and not by the same person (the first branch has those)
                col(AuditEvent.on_behalf_of_id) == pid,
                AuditEvent.on_behalf_of_id.is_not(None),
                or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != pid),
            ],
        ]
    by_action: list[list[Any]] = [[]]
    if q.action:
        if (
            actions is not None
            and (rare or not q.person_email)  # else a person's own index leads
            and len(actions) * len(by_unit) * len(by_person) <= MAX_BRANCHES
        ):
            by_action = [[AuditEvent.action == a] for a in actions] or [[false()]]
            whole.append(AuditEvent.action.in_(actions) if actions else false())
        elif actions is not None:
            common.append(AuditEvent.action.in_(actions) if actions else false())
        else:
            common.append(_action(s, q.action))
    # a B-tree serves the page in time order: the person's, a unit's, an action's
    leads = bool(q.person_email) or units_lead or (bool(q.action) and actions is not None)
    return _Plan(
        common,
        [u + p + a for u in by_unit for p in by_person for a in by_action],
        [whole + p for p in by_person],
        windowed=s.get_bind().dialect.name == "postgresql" and not leads,
        since=_start_of(q.date_from) if q.date_from else None,
        until=_start_of(q.date_to + timedelta(days=1)) if q.date_to else None,
    )


def _filtered(app: App, s: Session, actor: Actor, q: AuditQuery) -> Select[tuple[AuditEvent]]:
    """Every match, in one statement (for exports, which read it in id order)."""
    plan = _plan(app, s, actor, q)
    either = [and_(*b) for b in plan.counted if b]
    return select(AuditEvent).where(
        *plan.common, *([or_(*either)] if len(either) == len(plan.counted) else [])
    )


def _few(s: Session, conds: list[Any]) -> bool:
    """At most ``RARE`` matches (read from the action index: at most that many entries)."""
    inner = select(literal(1)).select_from(AuditEvent).where(*conds).limit(RARE + 1)
    return (s.scalar(select(func.count()).select_from(inner.subquery())) or 0) <= RARE


def _actions(s: Session, text: str) -> list[str] | None:
    """The actions an exact action or a prefix (``task.*``) names; a prefix's are found by
    seeking the action index once per action (each then an index range in time order).
    None for "*" (every action) or past ``MAX_ACTIONS``."""
    text = text.strip()
    if not text.endswith("*"):
        return [text]
    if text == "*":
        return None
    prefix, sqlite = text[:-1], s.get_bind().dialect.name == "sqlite"
    found: list[str] = []
    while len(found) <= MAX_ACTIONS:
        # one seek each: ORDER BY … LIMIT 1 from the tightest lower bound (given two, SQLite
        # starts from either; min() with a range reads the range)
        low = AuditEvent.action > found[-1] if found else AuditEvent.action >= prefix
        cond = _upper(prefix) if sqlite else _action(s, text)
        nxt = s.scalar(
            select(AuditEvent.action).where(low, cond).order_by(AuditEvent.action).limit(1)
        )
        if nxt is None:
            return found
        found.append(nxt)
    return None


def _upper(prefix: str) -> Any:
    """Below every action that starts with ``prefix`` (for SQLite's byte order)."""
    return AuditEvent.action < prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _action(s: Session, text: str) -> Any:
    text = text.strip()
    if not text.endswith("*"):
        return AuditEvent.action == text
    prefix = text[:-1]
    if not prefix:
        return true()
    if s.get_bind().dialect.name == "sqlite":
        # a range the action index serves (SQLite's LIKE ignores case, so no index serves it)
        return and_(AuditEvent.action >= prefix, _upper(prefix))
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return AuditEvent.action.like(escaped + "%", escape="\\")


def _start_of(day: date) -> datetime:
    return as_utc(datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ))


def _rows(s: Session, events: list[AuditEvent]) -> list[AuditRow]:
    people = queries.person_names(
        s, [x for e in events for x in (e.actor_id, e.on_behalf_of_id) if x is not None]
    )
    unit_ids = sorted({e.unit_id for e in events if e.unit_id is not None})
    units = {
        i: (c, n)
        for i, c, n in s.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name).where(OrgUnit.id.in_(unit_ids))
        )
    }
    return [
        AuditRow(
            e.id,
            e.at,
            e.chain,
            e.seq,
            e.actor_label,
            people.get(e.actor_id, ("", ""))[0] if e.actor_id else "",
            people.get(e.on_behalf_of_id, ("", ""))[0] if e.on_behalf_of_id else "",
            e.action,
            f"{e.subject_type}:{e.subject_id}",
            units.get(e.unit_id, ("", ""))[0] if e.unit_id else "",
            units.get(e.unit_id, ("", ""))[1] if e.unit_id else "",
            e.data,
            e.hash,
        )
        for e in events
    ]


def _cells(r: AuditRow) -> list[Any]:
    return [
        r.id, _local(r.at), r.chain, r.seq, r.actor, r.actor_name, r.on_behalf_of,
        r.action, r.subject, r.unit_code, r.unit_name, r.data, r.hash,
    ]  # fmt: skip


def _local(at: datetime) -> str:
    return as_utc(at).astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_line(values: Any) -> str:
    """One CSV line; cells that a spreadsheet would run as a formula are quoted with '."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([_safe(v) for v in values])
    return buf.getvalue()


# For read models that show the same events otherwise (engine.views.audit_export) and the
# doors that write them as CSV: the query's events, rights checked; one CSV line.
filtered = _filtered
csv_line = _csv_line
