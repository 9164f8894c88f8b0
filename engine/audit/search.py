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

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import AuditEvent, OrgUnit
from engine.domain.clock import LOCAL_TZ, as_utc, local_date
from engine.domain.errors import InvalidInput
from engine.org import access

MAX_PAGE_SIZE = 500
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
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def search(
    app: App, actor: Actor, q: AuditQuery, *, page: int = 1, page_size: int = 50
) -> AuditPage:
    """Newest first."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput.field(
            "page",
            f"page from 1, page size 1–{MAX_PAGE_SIZE}",
            f"sida från 1, sidstorlek 1–{MAX_PAGE_SIZE}",
        )
    with app.read() as s:
        stmt = _filtered(app, s, actor, q)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        events = s.scalars(
            stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        rows = _rows(s, list(events))
    return AuditPage(rows, int(total), page, page_size)


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


def _filtered(app: App, s: Session, actor: Actor, q: AuditQuery) -> Select[tuple[AuditEvent]]:
    for name, d in (("date_from", q.date_from), ("date_to", q.date_to)):
        if d is not None and not 1900 <= d.year <= 2200:  # (and local midnight stays in range)
            raise InvalidInput.field(name, "a date between 1900 and 2200", "ett datum 1900–2200")
    day = local_date(app.clock.now())
    org = queries.org_snapshot(s, day)
    stmt = select(AuditEvent)
    if q.unit_code:
        root = queries.unit_by_code(s, q.unit_code).id
        access.require_oversight(s, actor, [root], org, day)
        units = org.subtree(root) if q.subtree else [root]
        # (IS NOT NULL spelled out: the unit index is partial, migration 0013h)
        stmt = stmt.where(AuditEvent.unit_id.in_(units), AuditEvent.unit_id.is_not(None))
    else:
        access.require_oversight(s, actor, org.children(None), org, day)
    if q.person_email:
        pid = queries.person_by_email(s, q.person_email).id
        stmt = stmt.where(
            or_(
                and_(AuditEvent.actor_id == pid, AuditEvent.actor_id.is_not(None)),
                and_(AuditEvent.on_behalf_of_id == pid, AuditEvent.on_behalf_of_id.is_not(None)),
            )
        )
    if q.action:
        stmt = stmt.where(_action(q.action))
    if q.date_from:
        stmt = stmt.where(AuditEvent.at >= _start_of(q.date_from))
    if q.date_to:
        stmt = stmt.where(AuditEvent.at < _start_of(q.date_to + timedelta(days=1)))
    return stmt


def _action(text: str) -> Any:
    text = text.strip()
    if text.endswith("*"):
        prefix = text[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return AuditEvent.action.like(prefix + "%", escape="\\")
    return AuditEvent.action == text


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
