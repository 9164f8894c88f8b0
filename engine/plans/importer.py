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
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import ActionItem, Cycle
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, ImportInvalid, InvalidInput, RowError
from engine.domain.imports.plan import Cell, ItemRow, MeasureRow, PlanHeader, parse_plan
from engine.domain.period import format_period
from engine.domain.validation import field_errors
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
    s = tx.session
    number = (
        s.scalar(select(func.max(ActionItem.number)).where(ActionItem.cycle_id == cycle.id)) or 0
    )
    measures = changes = 0
    for row in items:
        number += 1
        item = ActionItem(
            cycle_id=cycle.id,
            number=number,
            area=row.area,
            risk_id=None,
            current_state=row.current_state,
            probability=row.probability,
            consequence=row.consequence,
            created_at=tx.now,
        )
        s.add(item)
        s.flush()
        for n, m in enumerate(row.measures, start=1):
            created = plans.create_measure(
                tx, actor, cycle, item, n, forms[m.line], who[m.line], None, on_behalf,
                follow_ups=[(f.kind, f.period) for f in m.follow_ups], due=m.due,
            )  # fmt: skip
            measures += 1
            changes += _history(tx, actor, cycle, created, m, on_behalf, filename)
    s.flush()
    return measures, changes


def _history(
    tx: Tx,
    actor: Actor,
    cycle: Any,
    created: Any,
    m: MeasureRow,
    on_behalf: int | None,
    filename: str,
) -> int:
    """The measure's dated statuses, in the order of the days they are about; each note
    once (as the entry's note; a postponement's or cancellation's note is its reason)."""
    changes = 0
    today = local_date(tx.now)
    for entry in m.ordered_statuses():
        if entry.about is not None and entry.about > today:
            raise ImportInvalid(
                [
                    RowError(
                        filename,
                        entry.line,
                        "status",
                        f"a status cannot be about a future day ({entry.about.isoformat()})",
                        f"en status kan inte gälla en framtida dag ({entry.about.isoformat()})",
                    )
                ]
            )
        current = MeasureStatus(created.status)
        target = MeasureStatus(entry.status) if entry.status else current
        if target == MeasureStatus.PLANNED:
            target = current  # "not started" after a start is a note, not a move back
        if target == current and not entry.note:
            continue
        if target == MeasureStatus.DONE:
            created.done_on = entry.about or m.done_on
        needs_reason = target in (MeasureStatus.POSTPONED, MeasureStatus.CANCELLED)
        try:
            plans.change_status(
                tx, actor, cycle, created, target,
                note="" if needs_reason and target != current else entry.note,
                reason=entry.note if needs_reason and target != current else "",
                on_behalf=on_behalf, about=entry.about,
            )  # fmt: skip
        except InvalidInput as exc:
            e = exc.errors[0]
            raise ImportInvalid(
                [RowError(filename, entry.line, "status", e.message_en, e.message_sv)]
            ) from None
        changes += target != current
    return changes


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
