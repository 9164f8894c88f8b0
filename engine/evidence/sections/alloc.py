"""The evidence package's task allocation section (AFS 2023:1 9 §): the written allocation
of every unit in scope and of every unit above it, so the chain from the board down to
each first-line manager is on paper: each allocation's text as both signed it (its
SHA-256), who offered and who accepted it and when, the earlier allocations it
superseded, and every return with what was lacking and the allocator's decision.

Allocations are audited in their unit's own chain (``alloc:<unit>``), which the package
reads too, so a later change is traced to its event."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models.duties.alloc import AllocationReturn, TaskAllocation
from engine.evidence.common import Person, iso
from engine.evidence.load import in_batches


@dataclass
class AllocRows:
    units: list[int] = field(default_factory=list)  # from the top down
    allocations: dict[int, list[TaskAllocation]] = field(default_factory=lambda: defaultdict(list))
    returns: dict[int, list[AllocationReturn]] = field(default_factory=lambda: defaultdict(list))

    def chains(self) -> list[str]:
        return [f"alloc:{u}" for u in self.units]

    def people(self) -> list[int | None]:
        out: list[int | None] = []
        for rows in self.allocations.values():
            out += [x for a in rows for x in (a.manager_id, a.allocator_id, a.substitute_id)]
        for rets in self.returns.values():
            out += [x for r in rets for x in (r.returned_by, r.decided_by, r.to_person_id)]
        return out


def load_alloc(s: Session, unit_ids: Sequence[int], ancestors: Sequence[int]) -> AllocRows:
    r = AllocRows(units=list(dict.fromkeys([*ancestors, *unit_ids])))
    for a in in_batches(
        s, select(TaskAllocation).order_by(TaskAllocation.id), TaskAllocation.unit_id, r.units
    ):
        r.allocations[a.unit_id].append(a)
    for x in in_batches(
        s, select(AllocationReturn).order_by(AllocationReturn.id), AllocationReturn.unit_id, r.units
    ):
        r.returns[x.allocation_id or 0].append(x)
    return r


def section(r: AllocRows, person: Person, codes: Mapping[int, str]) -> dict[str, Any]:
    return {
        "units": [
            {
                "unit": codes.get(u),
                "chain": f"alloc:{u}",
                "allocations": [_allocation(a, r, person) for a in r.allocations.get(u, [])],
            }
            for u in r.units
        ]
    }


def _allocation(a: TaskAllocation, r: AllocRows, person: Person) -> dict[str, Any]:
    content = json.loads(a.content)
    return {
        "ref": f"allocation:{a.id}",
        "state": a.state,
        "position": a.position_title,
        "manager": person(a.manager_id),
        "substitute": person(a.substitute_id),
        "allocated_by": person(a.allocator_id),
        "board": {"name": a.board, "decision": a.board_decision} if a.board else None,
        "offered_at": iso(a.offered_at),
        "answered_at": iso(a.answered_at),
        "answer": {"lacking": a.answer_lacking, "reason": a.answer_note}
        if a.answer_lacking
        else None,
        "superseded_at": iso(a.superseded_at),
        "superseded_by": f"allocation:{a.superseded_by_id}" if a.superseded_by_id else None,
        "digest": a.digest,
        "items": content["items"],
        "note": content.get("note", ""),
        "returns": [
            {
                "ref": f"allocation_return:{x.id}",
                "task": f"task:{x.task_id}" if x.task_id else None,
                "lacking": x.lacking,
                "reason": x.reason,
                "returned_by": person(x.returned_by),
                "returned_at": iso(x.returned_at),
                "outcome": x.outcome,
                "decision": x.decision_note,
                "to_person": person(x.to_person_id),
                "decided_by": person(x.decided_by),
                "decided_at": iso(x.decided_at),
            }
            for x in r.returns.get(a.id, [])
        ],
    }
