"""Read models of cases, for any process whose subject is a case: the case with its items
and the task now answering each item at each responsible unit, how far it has come, and
the parts every document of a case starts from. Process hooks read these; nothing here
knows one process from another.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import ActionItem, Cycle, Measure, OrgUnit, Task
from engine.db.models.workflow.process import CaseDocument, CaseItem, CaseItemTask, ProcessCase
from engine.domain.clock import local_date
from engine.domain.errors import NotFound, Unmet
from engine.domain.workflow.template import SubjectDef
from engine.workflow import facts


@dataclass(frozen=True)
class Answer:
    item: CaseItem
    unit_id: int
    task: Task  # the task now answering (the first, or where its returns led)


@dataclass(frozen=True)
class CaseView:
    case: ProcessCase
    data: dict[str, Any]  # the subject's fields
    answers: list[Answer]
    documents: list[CaseDocument]
    cycle: Cycle | None
    #: Every task of the case's cycle, in order (items' tasks and the case's own).
    tasks: list[Task] = field(default_factory=list)

    def current_tasks(self) -> list[Task]:
        """The tasks that count: answering items, or (a case without items) its own
        tasks that were not returned up the line or cancelled."""
        if self.answers:
            return [a.task for a in self.answers]
        return [t for t in self.tasks if t.status in ("open", "completed")]

    def task(self, key: str) -> Task | None:
        """The latest task of that key that counts (open or completed)."""
        found = [t for t in self.tasks if t.key == key and t.status in ("open", "completed")]
        return found[-1] if found else None

    def items(self) -> list[CaseItem]:
        return list({a.item.id: a.item for a in self.answers}.values())

    def drawn_up(self, key: str | None = None) -> CaseDocument | None:
        """The latest document of that key (of any key: the first the template names)."""
        found = [d for d in self.documents if key is None or d.key == key]
        return found[-1] if found else None

    def open_answers(self) -> list[Answer]:
        return [a for a in self.answers if a.task.status != "completed"]


def load_case(s: Session, case_id: int, kind: str) -> ProcessCase:
    case = s.get(ProcessCase, case_id)
    if case is None or case.kind != kind:
        raise NotFound(kind, case_id)
    return case


def case_view(s: Session, case: ProcessCase) -> CaseView:
    tasks = list(s.scalars(select(Task).where(Task.cycle_id == case.cycle_id).order_by(Task.id)))
    rows = s.execute(
        select(CaseItem, CaseItemTask)
        .join(CaseItemTask, CaseItemTask.item_id == CaseItem.id)
        .where(CaseItem.case_id == case.id)
        .order_by(CaseItem.number, CaseItemTask.id)
    )
    answers = [Answer(i, it.unit_id, current_task(tasks, it.task_id)) for i, it in rows]
    docs = s.scalars(
        select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.id)
    )
    cycle = s.get(Cycle, case.cycle_id) if case.cycle_id else None
    return CaseView(case, case_data(case), answers, list(docs), cycle, tasks)


def case_views(s: Session, cases: Sequence[ProcessCase]) -> dict[int, CaseView]:
    """The views of many cases with a few reads per 500 (a list of 10,000 incidents is not
    40,000 queries): their tasks, items, item tasks, documents and cycles, in batches."""
    cycle_ids = [c.cycle_id for c in cases if c.cycle_id is not None]
    case_ids = [c.id for c in cases]
    tasks: dict[int, list[Task]] = {}
    cycles_: dict[int, Cycle] = {}
    rows: dict[int, list[tuple[CaseItem, CaseItemTask]]] = {}
    docs: dict[int, list[CaseDocument]] = {}
    for batch in chunks(cycle_ids, 500):
        for t in s.scalars(select(Task).where(Task.cycle_id.in_(batch)).order_by(Task.id)):
            tasks.setdefault(t.cycle_id, []).append(t)
        for cy in s.scalars(select(Cycle).where(Cycle.id.in_(batch))):
            cycles_[cy.id] = cy
    for batch in chunks(case_ids, 500):
        for i, it in s.execute(
            select(CaseItem, CaseItemTask)
            .join(CaseItemTask, CaseItemTask.item_id == CaseItem.id)
            .where(CaseItem.case_id.in_(batch))
            .order_by(CaseItem.number, CaseItemTask.id)
        ):
            rows.setdefault(i.case_id, []).append((i, it))
        for d in s.scalars(
            select(CaseDocument).where(CaseDocument.case_id.in_(batch)).order_by(CaseDocument.id)
        ):
            docs.setdefault(d.case_id, []).append(d)
    out = {}
    for c in cases:
        ts = tasks.get(c.cycle_id or 0, [])
        answers = [
            Answer(i, it.unit_id, current_task(ts, it.task_id)) for i, it in rows.get(c.id, [])
        ]
        cycle = cycles_.get(c.cycle_id or 0)
        out[c.id] = CaseView(c, case_data(c), answers, docs.get(c.id, []), cycle, ts)
    return out


def case_data(case: ProcessCase) -> dict[str, Any]:
    """The subject's fields as its form validated them (dates as text)."""
    data = json.loads(case.data)
    assert isinstance(data, dict)
    return data


def current_task(tasks: Sequence[Task], first_id: int) -> Task:
    """The task now answering for an item: the first one, or where its returns led."""
    by_id = {t.id: t for t in tasks}
    successor = {t.returned_from_id: t for t in tasks if t.returned_from_id}
    task = by_id[first_id]
    while task.status == "returned" and task.id in successor:
        task = successor[task.id]
    return task


def first_task(s: Session, task: Task) -> Task:
    """The task a returned one was made from, followed back to the first."""
    while task.returned_from_id is not None:
        earlier = s.get(Task, task.returned_from_id)
        if earlier is None:
            break
        task = earlier
    return task


def item_of(s: Session, task: Task) -> tuple[ProcessCase, CaseItem | None] | None:
    """The case a task belongs to, and the item it answers (None: not a case's task)."""
    case = s.scalar(select(ProcessCase).where(ProcessCase.cycle_id == task.cycle_id))
    if case is None:
        return None
    item = s.scalar(
        select(CaseItem)
        .join(CaseItemTask, CaseItemTask.item_id == CaseItem.id)
        .where(CaseItemTask.task_id == first_task(s, task).id)
    )
    return case, item


# --- how far a case has come --------------------------------------------------------------
@dataclass(frozen=True)
class CaseSummary:
    id: int
    kind: str
    cycle_id: int | None
    unit_code: str
    unit_name: str
    reference: str
    opened_on: date
    deadline: date | None
    items: int
    answers: int
    done: int
    overdue: int
    escalated: int
    drawn_up_at: datetime | None  # the first document the template names
    status: str  # open | ready | drawn_up | closed
    #: What the process's status hook says of it (an incident's reporting latency).
    state: dict[str, Any] = field(default_factory=dict)


def summary(
    view: CaseView,
    unit: OrgUnit,
    now: datetime,
    first_doc: str | None,
    state: dict[str, Any] | None = None,
) -> CaseSummary:
    tasks = view.current_tasks()
    done = sum(1 for t in tasks if t.status == "completed")
    doc = view.drawn_up(first_doc) if first_doc else None
    status = (
        "closed"
        if view.cycle is not None and view.cycle.status != "active"
        else "drawn_up"
        if doc
        else "ready"
        if tasks and done == len(tasks)
        else "open"
    )
    c = view.case
    return CaseSummary(
        c.id,
        c.kind,
        c.cycle_id,
        unit.code,
        unit.name,
        c.reference,
        c.opened_on,
        c.deadline,
        len(view.items()),
        len(tasks),
        done,
        sum(1 for t in tasks if t.status == "open" and t.due_at < now),
        sum(1 for t in tasks if t.escalation_level > 0),
        doc.created_at if doc else None,
        status,
        state or {},
    )


# --- what every document of a case starts from --------------------------------------------
def document_base(
    s: Session, view: CaseView, subject: SubjectDef, names: dict[int, str], now: datetime
) -> dict[str, Any]:
    """The case (its fields, unit and the employer above it) and each item with every
    responsible unit's answer: its state, who holds it or gave it, and the form's input."""
    c, answers = view.case, view.answers
    people = queries.person_names(s, [a.task.closed_by for a in answers if a.task.closed_by])
    codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
    waiting = facts.waiting_on(s, [a.task for a in view.open_answers()], local_date(now))
    items: dict[int, dict[str, Any]] = {}
    for a in answers:
        t = a.task
        entry = items.setdefault(
            a.item.id,
            {
                "number": a.item.number,
                "text": a.item.text,
                "due": a.item.due_date,
                "data": json.loads(a.item.data) if a.item.data else {},
                "answers": [],
            },
        )
        entry["answers"].append(
            {
                "ref": f"task:{t.id}",
                "unit": codes.get(a.unit_id),
                "unit_name": names.get(a.unit_id, ""),
                "status": t.status,
                "due": t.due_at,
                "closed_at": t.closed_at,
                "by": people.get(t.closed_by or 0, ("", ""))[0],
                "waiting_on": waiting.get(t.id, ""),
                "escalation_level": t.escalation_level,
                "input": json.loads(t.data) if t.data else {},
            }
        )
    head = {"ref": f"{c.kind}:{c.id}", **view.data}
    head["unit"] = {"code": codes.get(c.unit_id), "name": names.get(c.unit_id, "")}
    org = queries.ancestry_snapshot(s, [c.unit_id], local_date(now))
    top = [c.unit_id, *org.ancestors(c.unit_id)][-1]
    open_ = len(view.open_answers())
    return {
        c.kind: head,
        "employer": names.get(top, ""),
        (subject.items.field if subject.items else "items"): list(items.values()),
        "complete": not open_,
        "open": open_,
        "as_of": now,
    }


def items_answered(s: Session, view: CaseView, subject: SubjectDef) -> list[Unmet]:
    """Every item is answered at every responsible unit (a reply over an open item would
    claim what was not done)."""
    if subject.items is None or not view.open_answers():
        return []
    codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
    missing = ", ".join(f"{a.item.number} ({codes.get(a.unit_id)})" for a in view.open_answers())
    title = subject.items.title
    return [
        Unmet(
            "items_answered",
            f"{title.en} not yet answered: {missing}",
            f"{title.sv} som ännu inte är besvarade: {missing}",
        )
    ]


# --- the unit's action plan, as evidence an answer names -----------------------------------
@dataclass(frozen=True)
class MeasureChoice:
    id: int
    number: str
    what: str
    status: str


def plan_measures(s: Session, unit_id: int, year: int) -> list[MeasureChoice]:
    """The measures of the unit's annual plan of that year (or the year before, while that
    year's has none yet), for an answer to name as evidence."""
    for y in (year, year - 1):
        rows = s.execute(
            select(Measure, ActionItem.number)
            .join(ActionItem, ActionItem.id == Measure.action_item_id)
            .join(Cycle, Cycle.id == Measure.cycle_id)
            .where(
                Cycle.unit_id == unit_id,
                Cycle.year == y,
                Cycle.instance == "",
                Cycle.status != "cancelled",
            )
            .order_by(ActionItem.number, Measure.number)
        ).all()
        if rows:
            return [MeasureChoice(m.id, f"{n}.{m.number}", m.what, m.status) for m, n in rows]
    return []


def named_measures(s: Session, answers: Sequence[Answer]) -> dict[int, dict[str, Any]]:
    """Plan measures the answers name (``measure_ids``): number, what, status, done date."""
    ids = {
        m for a in answers if a.task.data for m in json.loads(a.task.data).get("measure_ids", [])
    }
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
