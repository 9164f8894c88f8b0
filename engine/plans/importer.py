"""Importing an existing action plan (last year's spreadsheet) into a cycle.

The file (CSV, comma or semicolon, or XLSX) is read within limits (rows, columns, cells,
unpacked bytes: ``engine.plans.sheets``) and checked completely first; any bad
cell, and any responsible who cannot be found, is reported as ``file:line: column:
problem`` and nothing is written. Then the items and measures are added in one
transaction, each measure written as the plan form writes it (``plans.create_measure``:
its dated history and a ``measure.created`` audit event), measures already under way or
done get their status as a dated change, and the import itself is an audit event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, select

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.bulk import insert_returning_ids
from engine.db.models import ActionItem, Cycle, Measure, MeasureEvent
from engine.db.models.followup.plans import MeasureFollowUp as FollowUpPoint
from engine.domain.clock import local_date
from engine.domain.errors import (
    Conflict,
    ImportInvalid,
    InvalidInput,
    RowError,
    TransitionNotAllowed,
)
from engine.domain.imports.plan import Cell, ItemRow, MeasureRow, PlanHeader, parse_plan
from engine.domain.period import format_period
from engine.domain.validation import field_errors
from engine.domain.workflow.machine import (
    MEASURE,
    MEASURE_EVENT_FOR_STATUS,
    MEASURE_EVENTS_NEEDING_REASON,
    next_state,
)
from engine.domain.workflow.states import CycleStatus, MeasureStatus
from engine.org import positions
from engine.plans import document, sheets
from engine.plans import plan as plans
from engine.plans.sheets import SheetLimits
from engine.workflow.cycles import chain, load_cycle
from forms.schemas.plan import MeasureInput

#: The plan can be imported until it goes to cooperation approval.
OPEN_STAGES = ("survey", "analysis", "action_plan")


@dataclass(frozen=True)
class ImportResult:
    cycle_id: int
    items: int
    measures: int
    status_changes: int
    applied: bool
    rows: tuple[ItemRow, ...] = ()  # what the file holds, as read (for a preview)
    header: PlanHeader = field(default_factory=PlanHeader)


def read_rows(filename: str, content: bytes, limits: SheetLimits) -> list[tuple[int, list[Cell]]]:
    """(line, cells) of a CSV or XLSX file, within the limits (``engine.plans.sheets``)."""
    return sheets.read_rows(filename, content, limits)


def import_plan(
    app: App,
    actor: Actor,
    cycle_id: int,
    filename: str,
    content: bytes,
    *,
    dry_run: bool = False,
) -> ImportResult:
    """Check the whole file, then add its plan to the cycle (or, dry run, only check)."""
    rows = read_rows(filename, content, SheetLimits.of(app.settings))
    with app.read() as s:
        year = s.scalar(select(Cycle.year).where(Cycle.id == cycle_id))
        titles, listed = positions.known_names(s), positions.all_titles(s)
    parsed = parse_plan(rows, filename, default_year=year, titles=titles, listed=listed)
    items, column = parsed.items, parsed.columns.get("responsible", "responsible")
    forms = _forms(items, filename, parsed.columns)
    digest = hashlib.sha256(content).hexdigest()

    def work(tx: Tx) -> ImportResult:
        cycle = load_cycle(tx.session, cycle_id, lock=True)
        if cycle.status != CycleStatus.ACTIVE or cycle.current_stage not in OPEN_STAGES:
            raise Conflict(
                f"a plan can be imported until it goes to approval; the cycle is at "
                f"{cycle.current_stage or cycle.status}",
                f"en plan kan importeras fram till godkännandet; cykeln är i "
                f"{cycle.current_stage or cycle.status}",
            )
        on_behalf = plans.require_plan_editor(tx, actor, cycle)
        who = _responsibles(tx, cycle.unit_id, items, filename, column)
        measures, changes = _write(tx, actor, cycle, items, forms, who, on_behalf, filename)
        document.set_header(tx, actor, cycle, parsed.header, on_behalf)
        tx.record(
            chain(cycle.id),
            "plan.imported",
            "cycle",
            cycle.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=cycle.unit_id,
            data={"file": filename, "sha256": digest, "items": len(items), "measures": measures},
        )
        return ImportResult(
            cycle.id, len(items), measures, changes, not dry_run, tuple(items), parsed.header
        )

    return app.preview(work) if dry_run else app.run(work)


def _responsibles(
    tx: Tx, unit_id: int, items: list[ItemRow], filename: str, column: str
) -> dict[int, plans.Responsible]:
    """Line -> the resolved responsible; every unknown person or unstaffed role named."""
    org = queries.ancestry_snapshot(tx.session, [unit_id], local_date(tx.now))
    out: dict[int, plans.Responsible] = {}
    errors: list[RowError] = []
    seen: dict[str, plans.Responsible] = {}  # the same text resolves the same way
    for item in items:
        for m in item.measures:
            try:
                if m.responsible not in seen:
                    seen[m.responsible] = plans.resolve_responsible(
                        tx, m.responsible, unit_id, org, ""
                    )
                out[m.line] = seen[m.responsible]
            except InvalidInput as exc:
                e = exc.errors[0]
                errors.append(RowError(filename, m.line, column, e.message_en, e.message_sv))
    if errors:
        raise ImportInvalid(errors)
    return out


def _write(
    tx: Tx,
    actor: Actor,
    cycle: Any,
    items: list[ItemRow],
    forms: dict[int, MeasureInput],
    who: dict[int, plans.Responsible],
    on_behalf: int | None,
    filename: str,
) -> tuple[int, int]:
    """Write the items, measures, follow-up points and dated histories in bulk (a few
    set-based statements, not one ORM flush per measure): the same rows and the same audit
    events, in the same order, as ``plans.create_measure`` and ``plans.change_status``
    write one by one. Every status that cannot be taken is reported before anything is
    written."""
    s = tx.session
    today = local_date(tx.now)
    number = (
        s.scalar(select(func.max(ActionItem.number)).where(ActionItem.cycle_id == cycle.id)) or 0
    )
    replayed: dict[int, _Replayed] = {}
    errors: list[RowError] = []
    for row in items:
        for m in row.measures:
            replayed[m.line] = _replay(m, today, filename, errors)
    if errors:
        raise ImportInvalid(errors)
    item_rows = [
        {
            "cycle_id": cycle.id,
            "number": number + k,
            "area": row.area,
            "risk_id": None,
            "current_state": row.current_state,
            "probability": row.probability,
            "consequence": row.consequence,
            "created_at": tx.now,
        }
        for k, row in enumerate(items, start=1)
    ]
    item_ids = insert_returning_ids(s, ActionItem, item_rows)
    measure_rows: list[dict[str, Any]] = []
    placed: list[tuple[int, int, MeasureRow]] = []  # (item index, number, row)
    for k, row in enumerate(items):
        for n, m in enumerate(row.measures, start=1):
            measure_rows.append(_measure_row(tx, cycle.id, item_ids[k], n, forms[m.line],
                                             who[m.line], m, replayed[m.line]))  # fmt: skip
            placed.append((k, n, m))
    measure_ids = insert_returning_ids(s, Measure, measure_rows)
    points: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    changes = 0
    chain_key = chain(cycle.id)
    for (k, n, m), mid, mrow in zip(placed, measure_ids, measure_rows, strict=True):
        follow = [(f.kind, f.period) for f in m.follow_ups]
        points += [
            {"measure_id": mid, "position": p, "kind": kind, "period_kind": per.kind,
             "start": per.start, "end": per.end, "label": per.label[:64]}
            for p, (kind, per) in enumerate(follow, start=1)
        ]  # fmt: skip
        tx.record(
            chain_key, "measure.created", "measure", mid, actor,
            on_behalf_of=on_behalf, unit_id=cycle.unit_id,
            data={
                "item": item_rows[k]["number"],
                "number": n,
                "area": items[k].area,
                **{key: mrow[key] for key in plans.EDITABLE},
                "due": m.due.shown,
                "follow_ups": [f"{kind}: {per.shown}" for kind, per in follow],
            },
        )  # fmt: skip
        events.append(_event_row(mid, tx.now, "create", MeasureStatus.PLANNED.value, "", "",
                                 None, actor, on_behalf))  # fmt: skip
        for e in replayed[m.line].events:
            events.append(_event_row(mid, tx.now, e.event, e.to, e.note, e.reason, e.about,
                                     actor, on_behalf))  # fmt: skip
            tx.record(
                chain_key, f"measure.{e.event}", "measure", mid, actor,
                on_behalf_of=on_behalf, unit_id=cycle.unit_id,
                data={"from": e.from_, "to": e.to, "note": e.note, "reason": e.reason,
                      **({"about": e.about.isoformat()} if e.about else {})},
            )  # fmt: skip
            changes += e.event != "note"
    if points:
        s.execute(insert(FollowUpPoint), points)
    s.execute(insert(MeasureEvent), events)
    return len(measure_rows), changes


NEEDS_REASON_SV = "att skjuta upp eller stryka en åtgärd kräver ett skäl"


@dataclass(frozen=True)
class _Step:
    event: str
    from_: str
    to: str
    note: str
    reason: str
    about: date | None


@dataclass(frozen=True)
class _Replayed:
    status: str
    done_on: date | None
    events: tuple[_Step, ...]


def _replay(m: MeasureRow, today: date, filename: str, errors: list[RowError]) -> _Replayed:
    """The measure's dated statuses, in the order of the days they are about, taken as
    ``plans.change_status`` takes them; each note once (as the entry's note; a
    postponement's or cancellation's note is its reason). Problems go to ``errors``."""
    status, done_on = MeasureStatus.PLANNED, None
    steps: list[_Step] = []
    for entry in m.ordered_statuses():
        if entry.about is not None and entry.about > today:
            day_ = entry.about.isoformat()
            en = f"a status cannot be about a future day ({day_})"
            sv = f"en status kan inte gälla en framtida dag ({day_})"
            errors.append(RowError(filename, entry.line, "status", en, sv))
            continue
        current = status
        target = MeasureStatus(entry.status) if entry.status else current
        if target == MeasureStatus.PLANNED:
            target = current  # "not started" after a start is a note, not a move back
        if target == current and not entry.note:
            continue
        if target == MeasureStatus.DONE:
            done_on = entry.about or m.done_on
        moving = target != current
        needs_reason = target in (MeasureStatus.POSTPONED, MeasureStatus.CANCELLED)
        note = "" if needs_reason and moving else entry.note
        reason = entry.note if needs_reason and moving else ""
        event = MEASURE_EVENT_FOR_STATUS[target] if moving else "note"
        try:
            new = next_state(MEASURE, "measure", event, current)
        except TransitionNotAllowed as exc:
            errors.append(RowError(filename, entry.line, "status", exc.en, exc.sv))
            continue
        if event in MEASURE_EVENTS_NEEDING_REASON and not reason.strip():
            en, sv = f"to {event} a measure needs a reason", NEEDS_REASON_SV
            errors.append(RowError(filename, entry.line, "status", en, sv))
            continue
        if new == MeasureStatus.DONE and done_on is None:
            done_on = entry.about or today
        steps.append(_Step(event, current.value, new.value, note, reason, entry.about))
        status = new
    return _Replayed(status.value, done_on, tuple(steps))


def _measure_row(
    tx: Tx,
    cycle_id: int,
    item_id: int,
    number: int,
    form: MeasureInput,
    who: plans.Responsible,
    m: MeasureRow,
    r: _Replayed,
) -> dict[str, Any]:
    ends = [f.period.end for f in m.follow_ups if f.period.end is not None]
    return {
        "action_item_id": item_id,
        "cycle_id": cycle_id,
        "number": number,
        "what": form.what,
        "desired_result": form.desired_result,
        "responsible": who.text,
        "responsible_person_id": who.person_id,
        "responsible_role": who.address.role.value if who.address else None,
        "responsible_unit_id": who.address.unit_id if who.address else None,
        "responsible_position_id": who.position_id,
        "responsible_group_id": who.group_id,
        "due_date": m.due.end,
        "due_kind": m.due.kind,
        "due_start": m.due.start,
        "due_label": m.due.label,
        "follow_up_date": min(ends) if ends else None,
        "status": r.status,
        "done_on": r.done_on,
        "effect": "",
        "effect_ok": None,
        "followed_up_at": None,
        "created_at": tx.now,
        "updated_at": tx.now,
    }


def _event_row(
    measure_id: int,
    at: Any,
    event: str,
    status: str,
    note: str,
    reason: str,
    about: date | None,
    actor: Actor,
    on_behalf: int | None,
) -> dict[str, Any]:
    return {
        "measure_id": measure_id,
        "at": at,
        "about": about,
        "event": event,
        "status": status,
        "note": note,
        "reason": reason,
        "actor_id": actor.person_id,
        "on_behalf_of_id": on_behalf,
        "task_id": None,
    }


def _forms(items: list[ItemRow], filename: str, columns: dict[str, str]) -> dict[int, MeasureInput]:
    """Line -> the measure as the plan form takes it (the form's limits apply too)."""
    out: dict[int, MeasureInput] = {}
    errors: list[RowError] = []
    for item in items:
        for m in item.measures:
            try:
                out[m.line] = MeasureInput(
                    what=m.what,
                    desired_result=m.desired_result,
                    responsible=m.responsible,
                    due_period=format_period(m.due),
                    follow_up_date=None,
                )
            except ValidationError as exc:
                errors += [
                    RowError(
                        filename, m.line, columns.get(e.path, e.path), e.message_en, e.message_sv
                    )
                    for e in field_errors(exc)
                ]
    if errors:
        raise ImportInvalid(errors)
    return out
