"""The audit log as people read it (the CSV export of the audit page): each event's time,
who acted (by name), what it was about in words (the task's title, the measure, the risk,
the stage, the unit), the unit's name and the reason given. The words of the action itself
are the door's (``forms.exports.audit_csv``, in the reader's language).

The log's own columns (ids, chains, hashes, event names) stay available to programs through
``engine.audit.search.export_csv``; this read model never shows them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import search
from engine.context import Actor, App
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import AuditEvent, Cycle, Measure, OrgUnit, Person, Risk, Stage, Task
from engine.domain.errors import SamflowError
from engine.workflow import templates

#: Events read per transaction (and per batch of name look-ups).
BATCH = 1000


@dataclass(frozen=True)
class ReadableEvent:
    at: datetime
    actor_name: str  # "" for the system
    on_behalf_of: str
    action: str  # the stable name; the door puts it in words
    subject_kind: str  # task | measure | risk | stage | cycle | unit | person | ... | ""
    subject_sv: str  # the subject's own name (a task's title in Swedish)
    subject_en: str
    unit_name: str
    reason: str  # the reason or note the person wrote, if any


def readable_events(app: App, actor: Actor, q: search.AuditQuery) -> Iterator[ReadableEvent]:
    """Every event the query finds, oldest first, in batches (the same rights and filters
    as the search: ``search.search`` refuses first)."""
    last = 0
    while True:
        with app.read() as s:
            stmt = search.filtered(app, s, actor, q).where(AuditEvent.id > last)
            batch = list(s.scalars(stmt.order_by(AuditEvent.id).limit(BATCH)))
            out = _readable(app, s, batch)
        yield from out
        if len(batch) < BATCH:
            return
        last = batch[-1].id


def _ids(events: list[AuditEvent], kind: str) -> list[int]:
    out = set()
    for e in events:
        if e.subject_type == kind and str(e.subject_id).isdigit():
            out.add(int(e.subject_id))
    return sorted(out)


def _readable(app: App, s: Session, events: list[AuditEvent]) -> list[ReadableEvent]:
    people = queries.person_names(
        s, [x for e in events for x in (e.actor_id, e.on_behalf_of_id) if x is not None]
    )
    names: dict[tuple[str, int], tuple[str, str]] = {}
    units: dict[int, str] = {}
    for batch in chunks(
        sorted({e.unit_id for e in events if e.unit_id} | set(_ids(events, "unit"))), 500
    ):
        units.update(
            queries.pairs(s, select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(batch)))
        )
    for u in _ids(events, "unit"):
        if u in units:
            names[("unit", u)] = (units[u], units[u])
    for batch in chunks(_ids(events, "person"), 500):
        for pid, name in s.execute(select(Person.id, Person.name).where(Person.id.in_(batch))):
            names[("person", pid)] = (name, name)
    for batch in chunks(_ids(events, "measure"), 500):
        for mid, what in s.execute(select(Measure.id, Measure.what).where(Measure.id.in_(batch))):
            names[("measure", mid)] = (what, what)
    for batch in chunks(_ids(events, "risk"), 500):
        for rid, text in s.execute(select(Risk.id, Risk.description).where(Risk.id.in_(batch))):
            names[("risk", rid)] = (text, text)
    for batch in chunks(_ids(events, "task"), 500):
        rows = s.execute(
            select(Task.id, Task.key, Cycle.template_id)
            .join(Cycle, Cycle.id == Task.cycle_id)
            .where(Task.id.in_(batch))
        )
        for tid, key, template_id in rows:
            names[("task", tid)] = _title(app, s, template_id, key, "task")
    for batch in chunks(_ids(events, "stage"), 500):
        rows = s.execute(
            select(Stage.id, Stage.key, Cycle.template_id)
            .join(Cycle, Cycle.id == Stage.cycle_id)
            .where(Stage.id.in_(batch))
        )
        for sid, key, template_id in rows:
            names[("stage", sid)] = _title(app, s, template_id, key, "stage")
    for batch in chunks(_ids(events, "cycle"), 500):
        rows = s.execute(select(Cycle.id, Cycle.year, Cycle.template_id).where(Cycle.id.in_(batch)))
        for cid, year, template_id in rows:
            sv, en = _template_title(app, s, template_id)
            names[("cycle", cid)] = (f"{sv} {year}", f"{en} {year}")
    out = []
    for e in events:
        number = int(e.subject_id) if str(e.subject_id).isdigit() else None
        sv, en = names.get((e.subject_type, number), ("", "")) if number is not None else ("", "")
        out.append(
            ReadableEvent(
                e.at,
                people.get(e.actor_id, ("", ""))[0] if e.actor_id else "",
                people.get(e.on_behalf_of_id, ("", ""))[0] if e.on_behalf_of_id else "",
                e.action,
                e.subject_type or "",
                sv,
                en,
                units.get(e.unit_id, "") if e.unit_id else "",
                _reason(e.data),
            )
        )
    return out


def _title(app: App, s: Session, template_id: int, key: str, kind: str) -> tuple[str, str]:
    try:
        template = templates.by_id(app, s, template_id)
        found = template.task(key) if kind == "task" else template.stage(key)
    except (SamflowError, KeyError, LookupError):
        return ("", "")
    return (found.title.sv, found.title.en)


def _template_title(app: App, s: Session, template_id: int) -> tuple[str, str]:
    try:
        template = templates.by_id(app, s, template_id)
    except SamflowError:
        return ("SAM", "SAM")
    return (template.title.sv, template.title.en)


def _reason(data: str | None) -> str:
    """The reason or note a person wrote on the event, if its data has one."""
    if not data:
        return ""
    try:
        parsed = json.loads(data)
    except ValueError:
        return ""
    if not isinstance(parsed, dict):
        return ""
    for key in ("reason", "note", "comment"):
        value = parsed.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
