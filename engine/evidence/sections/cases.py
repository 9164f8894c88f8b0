"""The evidence package's sections of cases (an inspection, an incident, a request): for
each process whose template has ``subject.evidence``, the cases of the year at a unit in
scope (or with an item answered there), each item with the answers given in scope."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine.db.models import Cycle, Task
from engine.db.models.workflow.process import CaseDocument, CaseItem, CaseItemTask, ProcessCase
from engine.domain.workflow.template import SubjectDef
from engine.evidence.common import Person, iso
from engine.evidence.load import in_batches
from engine.workflow.process.views import current_task


@dataclass
class Cases:
    """The rows behind the case sections, grouped the way they read them."""

    cases: list[ProcessCase] = field(default_factory=list)
    items: dict[int, list[CaseItem]] = field(default_factory=lambda: defaultdict(list))
    item_tasks: dict[int, list[CaseItemTask]] = field(default_factory=lambda: defaultdict(list))
    tasks: dict[int, list[Task]] = field(default_factory=lambda: defaultdict(list))
    cycles: dict[int, Cycle] = field(default_factory=dict)
    documents: dict[int, list[CaseDocument]] = field(default_factory=lambda: defaultdict(list))

    def chains(self) -> list[str]:
        return [f"cycle:{c.cycle_id}" for c in self.cases if c.cycle_id]

    def all_tasks(self) -> list[Task]:
        return [t for ts in self.tasks.values() for t in ts]


def load_cases(s: Session, kinds: Sequence[str], unit_ids: Sequence[int], year: int) -> Cases:
    b = Cases()
    in_year = and_(
        ProcessCase.kind.in_(kinds),
        ProcessCase.opened_on >= date(year, 1, 1),
        ProcessCase.opened_on <= date(year, 12, 31),
    )
    stmt = select(ProcessCase).where(in_year)
    found = {c.id: c for c in in_batches(s, stmt, ProcessCase.unit_id, unit_ids)}
    via = select(CaseItem.case_id).join(CaseItemTask, CaseItemTask.item_id == CaseItem.id)
    extra = {x for x in in_batches(s, via, CaseItemTask.unit_id, unit_ids) if x not in found}
    for c in in_batches(s, stmt, ProcessCase.id, sorted(extra)):
        found[c.id] = c
    b.cases = [found[k] for k in sorted(found)]
    ids = [c.id for c in b.cases]
    items = in_batches(s, select(CaseItem).order_by(CaseItem.number), CaseItem.case_id, ids)
    for i in items:
        b.items[i.case_id].append(i)
    stmt_it = select(CaseItemTask).order_by(CaseItemTask.id)
    for it in in_batches(s, stmt_it, CaseItemTask.item_id, [i.id for i in items]):
        b.item_tasks[it.item_id].append(it)
    for d in in_batches(
        s, select(CaseDocument).order_by(CaseDocument.id), CaseDocument.case_id, ids
    ):
        b.documents[d.case_id].append(d)
    cycle_ids = [c.cycle_id for c in b.cases if c.cycle_id is not None]
    b.cycles = {c.id: c for c in in_batches(s, select(Cycle), Cycle.id, cycle_ids)}
    for t in in_batches(s, select(Task).order_by(Task.id), Task.cycle_id, cycle_ids):
        b.tasks[t.cycle_id].append(t)
    return b


def sections(
    b: Cases,
    subjects: Sequence[SubjectDef],
    unit_ids: set[int],
    person: Person,
    codes: dict[int, str],
) -> dict[str, list[dict[str, Any]]]:
    """Section key -> its cases (every section is there, empty or not)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for sub in subjects:
        assert sub.evidence is not None
        mine = [c for c in b.cases if c.kind == sub.kind]
        out[sub.evidence.section] = [_case(b, sub, c, unit_ids, person, codes) for c in mine]
    return out


def _case(
    b: Cases,
    sub: SubjectDef,
    c: ProcessCase,
    unit_ids: set[int],
    person: Person,
    codes: dict[int, str],
) -> dict[str, Any]:
    assert sub.evidence is not None
    data = json.loads(c.data)
    tasks = b.tasks.get(c.cycle_id or 0, [])
    out: dict[str, Any] = {
        "ref": f"{c.kind}:{c.id}",
        "unit": codes.get(c.unit_id),
        "cycle": f"cycle:{c.cycle_id}",
    }
    out |= {f: data.get(f) for f in sub.evidence.fields}
    for d in sub.documents:
        docs = [x for x in b.documents.get(c.id, []) if x.key == d.key]
        out[f"{d.key}_drafted_at"] = iso(docs[-1].created_at) if docs else None
    if sub.items is None:  # a case without items: its own tasks (a report, a reply)
        out["tasks"] = [
            {"key": t.key, **_answer(t, codes.get(t.unit_id, ""), person)}
            for t in tasks
            if t.status in ("open", "completed")
        ]
        return out
    entries = []
    for i in b.items.get(c.id, []):
        answers = [
            _answer(current_task(tasks, it.task_id), codes[it.unit_id], person)
            for it in b.item_tasks.get(i.id, [])
            if it.unit_id in unit_ids or c.unit_id in unit_ids
        ]
        entries.append(
            {
                "ref": f"{sub.items.kind}:{i.id}",
                "number": i.number,
                "text": i.text,
                "due": iso(i.due_date),
                "answers": answers,
            }
        )
    out[sub.items.field] = entries
    return out


def _answer(t: Task, code: str, person: Person) -> dict[str, Any]:
    return {
        "ref": f"task:{t.id}",
        "unit": code,
        "status": t.status,
        "due": iso(t.due_at),
        "closed_at": iso(t.closed_at),
        "by": person(t.closed_by),
        "escalation_level": t.escalation_level,
        "input": json.loads(t.data) if t.data else {},
    }
