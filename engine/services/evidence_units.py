"""The parts of an evidence package around the cycle: who held which SAM role in the year
(task distribution, substitutes), the unit's inspections, and one overview row per unit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine.db.models import OrgUnit, RoleAssignment, Task
from engine.db.models_inspection import Inspection
from engine.services.evidence_common import Person, iso
from engine.services.evidence_load import Bundle

#: Roles shown for a unit itself, and for the line above it.
UNIT_ROLES = ("manager", "deputy", "safety_rep", "chief_safety_rep", "union_rep", "hr", "director")
ABOVE_ROLES = ("manager", "director", "hr", "chief_safety_rep", "safety_rep")


def role_rows(
    rows: Sequence[RoleAssignment], person: Person, roles: Sequence[str], code: str
) -> list[dict[str, Any]]:
    return [
        {
            "ref": f"role:{r.id}",
            "role": r.role,
            "unit": code,
            "person": person(r.person_id),
            "from": iso(r.valid_from),
            "to": iso(r.valid_to),
        }
        for r in sorted(
            (r for r in rows if r.role in roles),  # (employees are not listed)
            key=lambda r: (roles.index(r.role), r.valid_from, r.id),
        )
    ]


def above(b: Bundle, ancestors: Sequence[int], person: Person) -> list[dict[str, Any]]:
    """Who is responsible above the scope: managers, director, HR, chief safety rep."""
    out = []
    for unit_id in ancestors:
        unit = b.units[unit_id]
        out += role_rows(b.roles.get(unit_id, []), person, ABOVE_ROLES, unit.code)
    return out


def substitutes(b: Bundle, person: Person) -> list[dict[str, Any]]:
    return [
        {
            "ref": f"substitute:{x.id}",
            "person": person(x.person_id),
            "for": person(x.for_person_id),
            "from": iso(x.valid_from),
            "to": iso(x.valid_to),
            "reason": x.reason,
            "ended_at": iso(x.ended_at),
        }
        for x in b.substitutes
    ]


def unit_head(b: Bundle, u: OrgUnit, person: Person) -> dict[str, Any]:
    parent = b.units.get(u.parent_id) if u.parent_id is not None else None
    return {
        "ref": f"unit:{u.id}",
        "code": u.code,
        "name": u.name,
        "level": u.level,
        "headcount": u.headcount,
        "parent": parent.name if parent else None,
        "roles": role_rows(b.roles.get(u.id, []), person, UNIT_ROLES, u.code),
    }


def inspections(
    b: Bundle, unit_ids: set[int], person: Person, codes: dict[int, str]
) -> list[dict[str, Any]]:
    """Inspections of the year touching the scope, each requirement with its answers."""
    return [_inspection(b, i, unit_ids, person, codes) for i in b.inspections]


def _inspection(
    b: Bundle, i: Inspection, unit_ids: set[int], person: Person, codes: dict[int, str]
) -> dict[str, Any]:
    tasks = b.inspection_tasks.get(i.cycle_id or 0, [])
    reqs = []
    for r in b.requirements.get(i.id, []):
        answers = []
        for rt in b.requirement_tasks.get(r.id, []):
            if rt.unit_id in unit_ids or i.unit_id in unit_ids:
                answers.append(_answer(current_task(tasks, rt.task_id), codes[rt.unit_id], person))
        reqs.append(
            {
                "ref": f"requirement:{r.id}",
                "number": r.number,
                "text": r.text,
                "due": iso(r.due_date),
                "answers": answers,
            }
        )
    return {
        "ref": f"inspection:{i.id}",
        "unit": codes.get(i.unit_id),
        "cycle": f"cycle:{i.cycle_id}",
        "reference": i.reference,
        "inspector": i.inspector,
        "inspected_on": iso(i.inspected_on),
        "reply_by": iso(i.reply_by),
        "reply_drafted_at": iso(i.reply_drafted_at),
        "requirements": reqs,
    }


def current_task(tasks: Sequence[Task], first_id: int) -> Task:
    """The task now answering for a requirement: the first one, or where its returns led."""
    by_id = {t.id: t for t in tasks}
    successor = {t.returned_from_id: t for t in tasks if t.returned_from_id}
    task = by_id[first_id]
    while task.status == "returned" and task.id in successor:
        task = successor[task.id]
    return task


def _answer(t: Task, code: str, person: Person) -> dict[str, Any]:
    data = json.loads(t.data) if t.data else {}
    return {
        "ref": f"task:{t.id}",
        "unit": code,
        "status": t.status,
        "due": iso(t.due_at),
        "closed_at": iso(t.closed_at),
        "by": person(t.closed_by),
        "escalation_level": t.escalation_level,
        "input": data,
    }


def overview_row(unit: dict[str, Any]) -> dict[str, Any]:
    """One line per unit for the administration's overview table."""
    c = unit.get("cycle")
    if c is None:
        return {"ref": unit["ref"], "code": unit["code"], "name": unit["name"], "cycle": None}
    signed = {s["key"]: s["signed_off_at"] for s in c["stages"] if s["status"] == "signed_off"}
    risks = (c["risk_assessment"] or {}).get("risks", [])
    measures = [m for i in (c["plan"] or {}).get("items", []) for m in i["measures"]]
    return {
        "ref": unit["ref"],
        "code": unit["code"],
        "name": unit["name"],
        "cycle": c["ref"],
        "status": c["status"],
        "stage": c["current_stage"],
        "survey": c["survey"]["status"],
        "risks": len(risks),
        "serious": sum(1 for r in risks if r["serious"]),
        "assessed": signed.get("analysis"),
        "approved": signed.get("cooperation"),
        "measures": len(measures),
        "done": sum(1 for m in measures if m["status"] == "done"),
        "overdue": sum(1 for m in measures if m["overdue"]),
        "evaluated": signed.get("evaluation"),
        "escalations": len(c["escalations"]),
        "returns": len(c["returns"]),
    }
