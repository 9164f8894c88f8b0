"""The parts of an evidence package around the cycle: who held which SAM role in the year
(task distribution, substitutes), and one overview row per unit. (Cases such as
inspections: ``evidence_cases``.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.db.models import OrgUnit, RoleAssignment
from engine.evidence.common import Person, iso
from engine.evidence.load import Bundle

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
