"""The action plan as the organisation's own document: its header (title, scope, plan
date, responsible manager, participants with their organisation), its rows in the columns
of a handlingsplan with each measure's dated history and follow-up points, and each
status judged against the plan's own dates.

The same content (``plan_document``) is printed (HTML, PDF: landscape A4, page numbers),
and exported as XLSX in the layout the plan import reads back (``export_xlsx``), so an
exported plan imports as the same plan.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import ActionItem, Cycle, Measure, MeasureEvent, OrgUnit
from engine.db.models.followup.plans import Plan, PlanParticipant
from engine.db.models.people.positions import OrgGroup
from engine.domain.clock import local_date
from engine.domain.errors import NotFound
from engine.domain.imports.plan import PlanHeader
from engine.domain.period import Period, from_stored
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.org import positions
from engine.org.visibility import require_cycle, scope_of
from engine.plans import establishment
from engine.plans.plan import OPEN_MEASURE_STATES, follow_up_points
from engine.workflow.cycles import chain

#: Export columns, in the order of a handlingsplan; the import reads these headings.
EXPORT_COLUMNS = ("Nr", "Område", "Nuläge", "Sannolikhet", "Konsekvens", "Åtgärd",
                  "Önskat resultat", "Ansvarig", "Klart senast", "Uppföljning",
                  "Utvärdering", "Status", "Genomförd")  # fmt: skip


def set_header(
    tx: Tx, actor: Actor, cycle: Cycle, header: PlanHeader, on_behalf: int | None
) -> Plan:
    """The cycle's plan with the header given (fields left empty keep what they were)."""
    plan = tx.session.scalar(select(Plan).where(Plan.cycle_id == cycle.id))
    if plan is None:
        plan = Plan(
            cycle_id=cycle.id,
            scope="unit",
            unit_id=cycle.unit_id,
            theme="",
            title="",
            responsible_manager="",
            created_at=tx.now,
            updated_at=tx.now,
        )
        tx.session.add(plan)
        tx.session.flush()
    changed: dict[str, Any] = {}
    for key in ("title", "plan_date", "responsible_manager"):
        value = getattr(header, key)
        if value and getattr(plan, key) != value:
            changed[key] = value.isoformat() if isinstance(value, date) else value
            setattr(plan, key, value)
    if header.scope and plan.theme != header.scope:
        changed["scope_as_written"] = plan.theme = header.scope
    if header.participants:
        tx.session.execute(delete(PlanParticipant).where(PlanParticipant.plan_id == plan.id))
        tx.session.add_all(
            PlanParticipant(plan_id=plan.id, position=n, name=name, organisation=org)
            for n, (name, org) in enumerate(header.participants, start=1)
        )
        changed["participants"] = [f"{n} ({o})" if o else n for n, o in header.participants]
    if changed:
        plan.updated_at = tx.now
        tx.record(
            chain(cycle.id),
            "plan.header_set",
            "cycle",
            cycle.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=cycle.unit_id,
            data=changed,
        )
    return plan


@dataclass(frozen=True)
class Judged:
    """A measure's status as it stood on the day the plan is judged at."""

    late: bool  # open past its due end on that day
    done_late: bool  # done, after its due end


def judge_day(cycle: Cycle, today: date) -> date:
    """The day a plan's statuses are judged at: today while it runs, else the day it
    closed (an archived plan is not late now for what was on time then)."""
    return min(today, local_date(cycle.closed_at)) if cycle.closed_at is not None else today


def judge(status: str, due: Period, done_on: date | None, on: date) -> Judged:
    late = status in OPEN_MEASURE_STATES and due.overdue(on)
    done_late = done_on is not None and due.end is not None and done_on > due.end
    return Judged(late, done_late)


def printable(app: App, actor: Actor, cycle_id: int) -> dict[str, Any]:
    """The plan document of a cycle the person may see (404 otherwise)."""
    with app.read() as s:
        cycle = s.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFound("cycle", cycle_id)
        require_cycle(s, app, scope_of(s, actor, app), cycle)
        return plan_document(s, cycle_id, local_date(app.clock.now()))


def plan_document(s: Session, cycle_id: int, today: date) -> dict[str, Any]:
    """Everything the printed and exported plan shows, as plain data."""
    cycle = s.get(Cycle, cycle_id)
    assert cycle is not None
    plan = s.scalar(select(Plan).where(Plan.cycle_id == cycle_id))
    unit = s.get(OrgUnit, cycle.unit_id)
    on = judge_day(cycle, today)
    participants = (
        [
            {"name": p.name, "organisation": p.organisation}
            for p in s.scalars(
                select(PlanParticipant)
                .where(PlanParticipant.plan_id == plan.id)
                .order_by(PlanParticipant.position)
            )
        ]
        if plan
        else []
    )
    items = list(
        s.scalars(
            select(ActionItem).where(ActionItem.cycle_id == cycle_id).order_by(ActionItem.number)
        )
    )
    measures = list(
        s.scalars(
            select(Measure)
            .where(Measure.cycle_id == cycle_id)
            .order_by(Measure.action_item_id, Measure.number)
        )
    )
    points = follow_up_points(s, [m.id for m in measures])
    holders = measure_holders(s, measures, today)
    history: dict[int, list[dict[str, Any]]] = {}
    for e in s.scalars(
        select(MeasureEvent)
        .join(Measure, Measure.id == MeasureEvent.measure_id)
        .where(Measure.cycle_id == cycle_id)
        .order_by(MeasureEvent.id)
    ):
        history.setdefault(e.measure_id, []).append(
            {
                "about": (e.about or local_date(e.at)).isoformat(),
                "recorded": e.at.isoformat(),
                "event": e.event,
                "status": e.status,
                "note": e.note,
                "reason": e.reason,
            }
        )
    by_item: dict[int, list[Measure]] = {}
    for m in measures:
        by_item.setdefault(m.action_item_id, []).append(m)
    rows = []
    for it in items:
        mine = []
        for m in by_item.get(it.id, []):
            due = from_stored(m.due_kind, m.due_start, m.due_date, m.due_label)
            judged = judge(m.status, due, m.done_on, on)
            entries = sorted(history.get(m.id, []), key=lambda h: h["about"])
            mine.append(
                {
                    "number": f"{it.number}.{m.number}",
                    "what": m.what,
                    "desired_result": m.desired_result,
                    "responsible": m.responsible,
                    "holder": holders.get(m.id, ""),
                    "due": due.shown,
                    "due_end": m.due_date.isoformat() if m.due_date else None,
                    "open_ended": due.open_ended,
                    "follow_ups": [p.shown for k, p in points[m.id] if k == "follow_up"],
                    "evaluations": [p.shown for k, p in points[m.id] if k == "evaluation"],
                    "status": m.status,
                    "done_on": m.done_on.isoformat() if m.done_on else None,
                    "late": judged.late,
                    "done_late": judged.done_late,
                    "history": [h for h in entries if h["event"] != "create"],
                }
            )
        rows.append(
            {
                "number": it.number,
                "area": it.area,
                "current_state": it.current_state,
                "probability": it.probability,
                "consequence": it.consequence,
                "measures": mine,
            }
        )
    est = establishment.header(s, cycle_id)
    return {
        "title": (plan.title if plan and plan.title else ""),
        "scope_kind": plan.scope if plan else "unit",
        "established": (
            {
                "text": est.text("sv"),
                "text_en": est.text("en"),
                "body": est.body,
                "on": est.on.isoformat(),
                "mbl": est.mbl,
            }
            if est
            else None
        ),
        "unit": unit.name if unit else "",
        "scope": (plan.theme if plan and plan.theme else (unit.name if unit else "")),
        "year": cycle.year,
        "plan_date": plan.plan_date.isoformat() if plan and plan.plan_date else None,
        "responsible_manager": plan.responsible_manager if plan else "",
        "participants": participants,
        "judged_on": on.isoformat(),
        "closed": cycle.closed_at is not None,
        "items": rows,
    }


def measure_holders(s: Session, measures: list[Measure], today: date) -> dict[int, str]:
    """Measure id -> who acts for its position or group today (its name), or who holds
    its role; nothing for a measure whose responsible is a person by e-mail."""
    who: dict[int, int | None] = {}
    addresses = {
        m.id: Address(Role(m.responsible_role), m.responsible_unit_id)
        for m in measures
        if m.responsible_role and m.responsible_unit_id
    }
    by_address = queries.holders_of(s, addresses.values(), today)
    holder: dict[int, int | None] = {}
    convener: dict[int, int | None] = {}
    for m in measures:
        if m.responsible_position_id is not None:
            p = m.responsible_position_id
            if p not in holder:
                holder[p] = positions.holder_of(s, p, today)
            who[m.id] = holder[p]
        elif m.responsible_group_id is not None:
            g = m.responsible_group_id
            if g not in convener:
                group = s.get(OrgGroup, g)
                convener[g] = positions.convener_of(s, group, today) if group else None
            who[m.id] = convener[g]
        elif m.id in addresses:
            found = by_address.get(addresses[m.id], [])
            who[m.id] = found[0] if found else None
    names = queries.person_names(s, [p for p in who.values() if p is not None])
    return {mid: names[p][0] if p in names else "–" for mid, p in who.items()}


STATUS_WORD = {"planned": "Planerad", "in_progress": "Pågår", "done": "Klart",
               "postponed": "Uppskjuten", "cancelled": "Struken"}  # fmt: skip


def status_lines(m: dict[str, Any]) -> str:
    """The status cell as the import reads it back: one dated entry a line."""
    lines = []
    for h in m["history"]:
        word = STATUS_WORD.get(h["status"], h["status"]) if h["event"] != "note" else ""
        text = " ".join(x for x in (h["about"], h["note"] or h["reason"]) if x)
        lines.append(f"{word} {text}".strip() if word else text)
    return "\n".join(lines)


def export_xlsx(doc: dict[str, Any]) -> bytes:
    """The plan as a workbook: the header block, then one row per measure and one row per
    further dated status (the import's repeated rows); line breaks kept in cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Handlingsplan")
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")

    def cells(values: list[Any], font: Font | None = None) -> list[Any]:
        out = []
        for v in values:
            c = WriteOnlyCell(sheet, value=v)
            c.alignment = wrap
            if font is not None:
                c.font = font
            out.append(c)
        return out

    sheet.append(cells([doc["title"] or f"Handlingsplan {doc['year']}"], Font(bold=True, size=14)))
    sheet.append(["Enhet:", doc["scope"]])
    if doc["plan_date"]:
        sheet.append(["Datum:", doc["plan_date"]])
    if doc["responsible_manager"]:
        sheet.append(["Ansvarig chef:", doc["responsible_manager"]])
    if doc["participants"]:
        people = "; ".join(
            f"{p['name']} ({p['organisation']})" if p["organisation"] else p["name"]
            for p in doc["participants"]
        )
        sheet.append(["Deltagare:", people])
    sheet.append(cells(list(EXPORT_COLUMNS), bold))
    for item in doc["items"]:
        for n, m in enumerate(item["measures"]):
            head = n == 0
            entries = m["history"] or [None]
            for k, h in enumerate(entries):
                status = status_lines({"history": [h] if h else []})
                if k > 0:
                    sheet.append(cells([None] * 11 + [status, None]))
                    continue
                sheet.append(
                    cells(
                        [
                            item["number"] if head else None,
                            item["area"] if head else None,
                            item["current_state"] if head else None,
                            item["probability"] if head else None,
                            item["consequence"] if head else None,
                            m["what"],
                            m["desired_result"],
                            m["responsible"],
                            m["due"],
                            "\n".join(m["follow_ups"]),
                            "\n".join(m["evaluations"]),
                            status,
                            m["done_on"],
                        ]
                    )
                )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
