"""Reading inspections back: the list, and the reply to Arbetsmiljöverket.

``reply_data`` is the letter's content (each requirement with what each responsible unit
did and the evidence it named); ``draft_reply`` is the use case that records that the
reply was drawn up, once every requirement is answered, with the digest of that content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.models import ActionItem, Cycle, Measure, OrgUnit, Task
from engine.db.models_inspection import Inspection, InspectionRequirement, RequirementTask
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, NotFound
from engine.domain.evidence import digest, normalised
from engine.services import access, cycles, facts
from engine.services.context import Actor, App, Tx
from engine.services.evidence_units import current_task

KIND = "samflow.inspection_reply"


@dataclass(frozen=True)
class InspectionSummary:
    id: int
    cycle_id: int | None
    unit_code: str
    unit_name: str
    reference: str
    inspected_on: date
    reply_by: date
    requirements: int
    answers: int
    done: int
    overdue: int
    escalated: int
    reply_drafted_at: datetime | None
    status: str  # open | ready | drafted | closed


def list_inspections(
    app: App, actor: Actor, *, unit_code: str | None = None, year: int | None = None
) -> list[InspectionSummary]:
    """Inspections the person may see, newest first, with how far each has come."""
    now = app.clock.now()
    with app.read() as s:
        org = queries.org_snapshot(s, local_date(now))
        stmt = select(Inspection, OrgUnit).join(OrgUnit, OrgUnit.id == Inspection.unit_id)
        if unit_code is not None:
            stmt = stmt.where(Inspection.unit_id.in_(org.subtree(_unit_id(s, unit_code))))
        if year is not None:
            stmt = stmt.where(
                Inspection.inspected_on >= date(year, 1, 1),
                Inspection.inspected_on <= date(year, 12, 31),
            )
        rows = s.execute(stmt.order_by(Inspection.inspected_on.desc(), Inspection.id.desc()))
        auth = queries.authority(s, actor.person_id, local_date(now)) if actor.person_id else None
        out = []
        for insp, unit in rows:
            if auth is not None and not access.may_oversee(auth, org, unit.id):
                continue
            out.append(_summary(s, insp, unit, now))
        return out


def _unit_id(s: Session, code: str) -> int:
    return queries.unit_by_code(s, code).id


def _summary(s: Session, insp: Inspection, unit: OrgUnit, now: datetime) -> InspectionSummary:
    rows = _answers(s, insp)
    answers = [t for _, _, t in rows]
    cycle = s.get(Cycle, insp.cycle_id) if insp.cycle_id else None
    done = sum(1 for t in answers if t.status == "completed")
    status = (
        "closed"
        if cycle is not None and cycle.status != "active"
        else "drafted"
        if insp.reply_drafted_at
        else "ready"
        if answers and done == len(answers)
        else "open"
    )
    return InspectionSummary(
        insp.id,
        insp.cycle_id,
        unit.code,
        unit.name,
        insp.reference,
        insp.inspected_on,
        insp.reply_by,
        len({r.id for r, _, _ in rows}),
        len(answers),
        done,
        sum(1 for t in answers if t.status == "open" and t.due_at < now),
        sum(1 for t in answers if t.escalation_level > 0),
        insp.reply_drafted_at,
        status,
    )


def _answers(s: Session, insp: Inspection) -> list[tuple[InspectionRequirement, int, Task]]:
    """(requirement, responsible unit, the task answering now) for every requirement."""
    tasks = list(s.scalars(select(Task).where(Task.cycle_id == insp.cycle_id).order_by(Task.id)))
    rows = s.execute(
        select(InspectionRequirement, RequirementTask)
        .join(RequirementTask, RequirementTask.requirement_id == InspectionRequirement.id)
        .where(InspectionRequirement.inspection_id == insp.id)
        .order_by(InspectionRequirement.number, RequirementTask.id)
    )
    return [(r, rt.unit_id, current_task(tasks, rt.task_id)) for r, rt in rows]


def _load(s: Session, inspection_id: int) -> Inspection:
    insp = s.get(Inspection, inspection_id)
    if insp is None:
        raise NotFound("inspection", inspection_id)
    return insp


def _reply(s: Session, insp: Inspection, names: dict[int, str], now: datetime) -> dict[str, Any]:
    answers = _answers(s, insp)
    people = queries.person_names(s, [t.closed_by for _, _, t in answers if t.closed_by])
    codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
    measures = _measures(s, [t for _, _, t in answers])
    open_tasks = [t for _, _, t in answers if t.status == "open"]
    waiting = facts.waiting_on(s, open_tasks, local_date(now))
    reqs: dict[int, dict[str, Any]] = {}
    for r, unit_id, t in answers:
        req = reqs.setdefault(
            r.id, {"number": r.number, "text": r.text, "due": r.due_date, "answers": []}
        )
        data = json.loads(t.data) if t.data else {}
        req["answers"].append(
            {
                "ref": f"task:{t.id}",
                "unit": codes.get(unit_id),
                "unit_name": names.get(unit_id, ""),
                "status": t.status,
                "due": t.due_at,
                "closed_at": t.closed_at,
                "by": people.get(t.closed_by or 0, ("", ""))[0],
                "waiting_on": waiting.get(t.id, ""),
                "escalation_level": t.escalation_level,
                "actions": data.get("actions", ""),
                "done_on": data.get("done_on"),
                "evidence": data.get("evidence", []),
                "remaining": data.get("remaining", ""),
                "measures": [measures[m] for m in data.get("measure_ids", []) if m in measures],
            }
        )
    open_ = [a for r in reqs.values() for a in r["answers"] if a["status"] != "completed"]
    return normalised(
        {
            "kind": KIND,
            "inspection": {
                "ref": f"inspection:{insp.id}",
                "reference": insp.reference,
                "inspector": insp.inspector,
                "inspected_on": insp.inspected_on,
                "reply_by": insp.reply_by,
                "note": insp.note,
                "unit": {"code": codes.get(insp.unit_id), "name": names.get(insp.unit_id, "")},
            },
            "employer": _top_name(s, insp.unit_id, names, local_date(now)),
            "requirements": [reqs[k] for k in sorted(reqs, key=lambda k: reqs[k]["number"])],
            "complete": not open_,
            "open": len(open_),
            "as_of": now,
        }
    )


def _top_name(s: Session, unit_id: int, names: dict[int, str], day: date) -> str:
    """The employer: the top of the tree above the inspected unit."""
    org = queries.ancestry_snapshot(s, [unit_id], day)
    return names.get([unit_id, *org.ancestors(unit_id)][-1], "")


def _measures(s: Session, tasks: list[Task]) -> dict[int, dict[str, Any]]:
    """Plan measures named as evidence: number, what, status, done date."""
    ids = {m for t in tasks if t.data for m in json.loads(t.data).get("measure_ids", [])}
    if not ids:
        return {}
    rows = s.execute(
        select(Measure, ActionItem.number)
        .join(ActionItem, ActionItem.id == Measure.action_item_id)
        .where(Measure.id.in_(sorted(ids)))
    )
    return {
        m.id: {
            "number": f"{n}.{m.number}",
            "what": m.what,
            "status": m.status,
            "done_on": m.done_on,
            "due": m.due_date,
        }
        for m, n in rows
    }


@dataclass(frozen=True)
class Draft:
    data: dict[str, Any]
    digest: str

    def document(self) -> dict[str, Any]:
        return {"kind": KIND, "format": 1, "digest": self.digest, "data": self.data}


def preview_reply(app: App, actor: Actor, inspection_id: int) -> Draft:
    """The reply as it stands now, complete or not (``open`` counts what is missing);
    nothing is recorded. For a page showing the draft while answers come in."""
    now = app.clock.now()
    with app.read() as s:
        insp = _load(s, inspection_id)
        org = queries.org_snapshot(s, local_date(now), with_names=True)
        access.require_oversight(s, actor, [insp.unit_id], org, local_date(now))
        data = _reply(s, insp, org.names, now)
    return Draft(data, digest(data))


def draft_reply(app: App, actor: Actor, inspection_id: int) -> Draft:
    """Draw up the reply once every requirement is answered; recorded with its digest."""

    def work(tx: Tx) -> Draft:
        s = tx.session
        insp = _load(s, inspection_id)
        cycle = cycles.load_cycle(s, insp.cycle_id or 0, lock=True)
        org = queries.org_snapshot(s, local_date(tx.now), with_names=True)
        access.require_oversight(s, actor, [insp.unit_id], org, local_date(tx.now))
        data = _reply(s, insp, org.names, tx.now)
        if not data["complete"]:
            missing = [
                f"{r['number']} ({a['unit']})"
                for r in data["requirements"]
                for a in r["answers"]
                if a["status"] != "completed"
            ]
            raise Conflict(
                f"requirements not yet answered: {', '.join(missing)}",
                f"krav som ännu inte är besvarade: {', '.join(missing)}",
            )
        d = digest(data)
        insp.reply_drafted_at, insp.reply_digest = tx.now, d
        tx.record(
            cycles.chain(cycle.id),
            "inspection.reply_drafted",
            "inspection",
            insp.id,
            actor,
            unit_id=insp.unit_id,
            data={"digest": d, "requirements": len(data["requirements"])},
        )
        return Draft(data, d)

    return app.run(work)
