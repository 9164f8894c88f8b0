"""The evidence package's safety rounds section (AFS 2023:1 8–9 §§, *skyddsrond*): every
round of the year at a unit in scope, per unit, with its date, checklist and kind, who led
it (the manager's protocol: when it was done, who took part, each checklist point
answered), the safety representative's part, every finding with its place, risk level and
photos (file name, type, size, SHA-256, like any attachment), what became of it (a risk
and measure in the unit's action plan, resolved, still open), and the open findings of
earlier rounds that the round reviewed (resolved or remains, by whom, when).

Rows made after the package's moment are left out and each finding's status is the one it
had then, so the package verifies later. A round is audited in its cycle's chain
(``cycle:<id>``: the finding added, taken into the plan, reviewed), which the package
reads too; a measure in a plan keeps its plan's chain. Checklist points are named by the
text of the checklist file (``forms/checklists``), which is not audited: a later edit of
that file shows as a difference without an event.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.audit_store import chunks
from engine.db.models import ActionItem, Cycle, Measure, Stage, Task
from engine.db.models.duties.rounds import RoundFinding, RoundFindingPhoto, RoundFindingReview
from engine.db.models.people.accounts import Attachment
from engine.db.models.workflow.process import ProcessCase
from engine.domain import risk
from engine.evidence.common import Person, iso
from engine.evidence.load import in_batches
from forms import checklists

KIND = "safety_round"
LEAD, TAKE_PART = "lead_round", "take_part"

#: An attachment as the package lists it: the file's facts, never its content.
_PHOTO = (
    RoundFindingPhoto.finding_id,
    Attachment.id,
    Attachment.filename,
    Attachment.content_type,
    Attachment.size,
    Attachment.sha256,
    Attachment.uploaded_by,
    Attachment.created_at,
)


@dataclass
class RoundRows:
    as_of: datetime | None = None
    cases: list[ProcessCase] = field(default_factory=list)
    cycles: dict[int, Cycle] = field(default_factory=dict)
    stages: dict[int, Stage] = field(default_factory=dict)  # cycle -> its round stage
    tasks: dict[int, list[Task]] = field(default_factory=lambda: defaultdict(list))
    findings: dict[int, list[RoundFinding]] = field(default_factory=lambda: defaultdict(list))
    photos: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    #: the reviews each round made of earlier findings, and those findings with their round
    reviews: dict[int, list[RoundFindingReview]] = field(default_factory=lambda: defaultdict(list))
    reviewed: dict[int, tuple[RoundFinding, date]] = field(default_factory=dict)
    resolved: set[int] = field(default_factory=set)  # findings resolved by the moment
    items: dict[int, ActionItem] = field(default_factory=dict)
    measures: dict[int, list[Measure]] = field(default_factory=lambda: defaultdict(list))

    def chains(self) -> list[str]:
        return [f"cycle:{c.cycle_id}" for c in self.cases if c.cycle_id]

    def people(self) -> list[int | None]:
        out: list[int | None] = [t.closed_by for ts in self.tasks.values() for t in ts]
        out += [t.on_behalf_of for ts in self.tasks.values() for t in ts]
        out += [t.assignee_id for ts in self.tasks.values() for t in ts]
        out += [st.signed_off_by for st in self.stages.values()]
        out += [f.created_by for fs in self.findings.values() for f in fs]
        out += [p.uploaded_by for ps in self.photos.values() for p in ps]
        return out + [r.reviewed_by for rs in self.reviews.values() for r in rs]


def load_rounds(s: Session, unit_ids: Sequence[int], year: int, as_of: datetime) -> RoundRows:
    """The year's rounds at the units and everything the section shows, as of ``as_of``
    (a few statements per kind of row, whatever the number of units)."""
    r = RoundRows(as_of=as_of)
    stmt = select(ProcessCase).where(
        ProcessCase.kind == KIND,
        ProcessCase.opened_on >= date(year, 1, 1),
        ProcessCase.opened_on <= date(year, 12, 31),
        ProcessCase.created_at <= as_of,
    )
    r.cases = sorted(in_batches(s, stmt, ProcessCase.unit_id, unit_ids), key=lambda c: c.id)
    if not r.cases:
        return r
    case_ids = [c.id for c in r.cases]
    cycle_ids = [c.cycle_id for c in r.cases if c.cycle_id is not None]
    r.cycles = {c.id: c for c in in_batches(s, select(Cycle), Cycle.id, cycle_ids)}
    for st in in_batches(s, select(Stage).where(Stage.key == "round"), Stage.cycle_id, cycle_ids):
        r.stages[st.cycle_id] = st
    tasks = select(Task).where(Task.created_at <= as_of).order_by(Task.id)
    for t in in_batches(s, tasks, Task.cycle_id, cycle_ids):
        r.tasks[t.cycle_id].append(t)
    found = in_batches(
        s,
        select(RoundFinding).where(RoundFinding.created_at <= as_of).order_by(RoundFinding.number),
        RoundFinding.case_id,
        case_ids,
    )
    for f in found:
        r.findings[f.case_id].append(f)
    ids = [f.id for f in found]
    photos = (
        select(*_PHOTO)
        .join(Attachment, Attachment.id == RoundFindingPhoto.attachment_id)
        .where(Attachment.created_at <= as_of)
        .order_by(RoundFindingPhoto.id)
    )
    for batch in chunks(ids, 500):
        for p in s.execute(photos.where(RoundFindingPhoto.finding_id.in_(batch))):
            r.photos[p.finding_id].append(p)
    done = select(RoundFindingReview).where(RoundFindingReview.reviewed_at <= as_of)
    for rv in in_batches(s, done.order_by(RoundFindingReview.id), RoundFindingReview.case_id,
                         case_ids):  # fmt: skip
        r.reviews[rv.case_id].append(rv)
    earlier = sorted({rv.finding_id for rvs in r.reviews.values() for rv in rvs})
    for batch in chunks(earlier, 500):
        for f, on in s.execute(
            select(RoundFinding, ProcessCase.opened_on)
            .join(ProcessCase, ProcessCase.id == RoundFinding.case_id)
            .where(RoundFinding.id.in_(batch))
        ):
            r.reviewed[f.id] = (f, on)
    resolving = select(RoundFindingReview.finding_id).where(
        RoundFindingReview.reviewed_at <= as_of, RoundFindingReview.outcome == "resolved"
    )
    r.resolved = set(in_batches(s, resolving, RoundFindingReview.finding_id, ids))
    item_ids = sorted({f.action_item_id for f in found if f.action_item_id is not None})
    items = select(ActionItem).where(ActionItem.created_at <= as_of)
    r.items = {i.id: i for i in in_batches(s, items, ActionItem.id, item_ids)}
    measures = select(Measure).where(Measure.created_at <= as_of).order_by(Measure.number)
    for m in in_batches(s, measures, Measure.action_item_id, sorted(r.items)):
        r.measures[m.action_item_id].append(m)
    return r


def section(
    r: RoundRows, person: Person, codes: Mapping[int, str], names: Mapping[int, str]
) -> dict[str, Any]:
    by_unit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in sorted(r.cases, key=lambda c: (c.opened_on, c.id)):
        by_unit[c.unit_id].append(_round(r, c, person))
    return {
        "units": [
            {"unit": codes.get(u), "unit_name": names.get(u, ""), "rounds": by_unit[u]}
            for u in sorted(by_unit, key=lambda u: codes.get(u, ""))
        ]
    }


def _before(when: datetime | None, as_of: datetime | None) -> bool:
    return when is not None and (as_of is None or when <= as_of)


def _latest(tasks: Sequence[Task], key: str) -> Task | None:
    mine = [t for t in tasks if t.key == key and t.status in ("open", "completed")]
    return mine[-1] if mine else None


def _part(t: Task | None, person: Person, as_of: datetime | None) -> dict[str, Any] | None:
    """The manager's or the safety representative's task as it stood at the moment: done
    (with what they wrote) or not yet."""
    if t is None:
        return None
    done = t.status == "completed" and _before(t.closed_at, as_of)
    value = json.loads(t.data) if done and t.data else {}
    return {
        "ref": f"task:{t.id}",
        "status": "completed" if done else "open",
        "role": t.role,
        "due": iso(t.due_at),
        "closed_at": iso(t.closed_at) if done else None,
        "by": person(t.closed_by) if done else None,
        "on_behalf_of": person(t.on_behalf_of) if done else None,
        "input": value if isinstance(value, dict) else {},
    }


def _round(r: RoundRows, c: ProcessCase, person: Person) -> dict[str, Any]:
    subject = json.loads(c.data)
    listed = checklists.get(str(subject.get("checklist", "")))
    cycle = r.cycles.get(c.cycle_id or 0)
    stage = r.stages.get(c.cycle_id or 0)
    tasks = r.tasks.get(c.cycle_id or 0, [])
    lead = _part(_latest(tasks, LEAD), person, r.as_of)
    part = _part(_latest(tasks, TAKE_PART), person, r.as_of)

    def point(key: str) -> dict[str, str] | None:
        p = listed.point(key) if listed is not None and key else None
        return {"key": key, "sv": p.sv, "en": p.en} if p is not None else None

    if lead is not None:  # each checklist point of the protocol named by its text
        raw = lead["input"].get("answers")
        lead["input"]["answers"] = [
            {**a, "point": point(str(a.get("point", ""))) or {"key": a.get("point")}}
            for a in (raw if isinstance(raw, list) else [])
            if isinstance(a, dict)
        ]
    signed = stage is not None and _before(stage.signed_off_at, r.as_of)
    cancelled = cycle is not None and cycle.status == "cancelled"
    return {
        "ref": f"{KIND}:{c.id}",
        "chain": f"cycle:{c.cycle_id}",
        "planned_on": iso(c.opened_on),
        "kind": subject.get("kind"),
        "area": subject.get("area") or "",
        "checklist": {
            "key": subject.get("checklist"),
            "sv": listed.title.sv if listed else "",
            "en": listed.title.en if listed else "",
        },
        "status": "closed" if signed else "cancelled" if cancelled else "active",
        "closed_at": iso(stage.signed_off_at) if signed and stage else None,
        "closed_by": person(stage.signed_off_by) if signed and stage else None,
        "lead": lead,
        "safety_rep": part,
        "findings": [_finding(r, f, point(f.point), person) for f in r.findings.get(c.id, [])],
        "reviews": [_review(r, rv, person) for rv in r.reviews.get(c.id, [])],
    }


def _status(r: RoundRows, f: RoundFinding) -> str:
    """The finding's status at the package's moment."""
    if f.id in r.resolved:
        return "resolved"
    if f.action_item_id is not None and f.action_item_id in r.items:
        return "in_plan"
    return "open"


def _finding(
    r: RoundRows, f: RoundFinding, point: dict[str, str] | None, person: Person
) -> dict[str, Any]:
    level = risk.level(f.probability, f.consequence)
    item = r.items.get(f.action_item_id or 0)
    return {
        "ref": f"round_finding:{f.id}",
        "number": f.number,
        "point": point,
        "place": f.place,
        "description": f.description,
        "probability": f.probability,
        "consequence": f.consequence,
        "level": level.key,
        "status": _status(r, f),
        "recorded_at": iso(f.created_at),
        "recorded_by": person(f.created_by),
        "photos": [
            {
                "ref": f"attachment:{p.id}",
                "filename": p.filename,
                "content_type": p.content_type,
                "size": p.size,
                "sha256": p.sha256,
                "uploaded_at": iso(p.created_at),
                "by": person(p.uploaded_by),
            }
            for p in r.photos.get(f.id, [])
        ],
        "plan": None
        if item is None
        else {
            "plan": f"cycle:{item.cycle_id}",
            "item": item.number,
            "area": item.area,
            "measures": [
                {
                    "ref": f"measure:{m.id}",
                    "chain": f"cycle:{m.cycle_id}",
                    "number": f"{item.number}.{m.number}",
                    "what": m.what,
                    "responsible": m.responsible,
                    "due": iso(m.due_date),
                    "status": m.status,
                }
                for m in r.measures.get(item.id, [])
            ],
        },
    }


def _review(r: RoundRows, rv: RoundFindingReview, person: Person) -> dict[str, Any]:
    f, on = r.reviewed[rv.finding_id]
    return {
        "ref": f"round_finding_review:{rv.id}",
        "finding": f"round_finding:{f.id}",
        "round_on": iso(on),
        "number": f.number,
        "place": f.place,
        "description": f.description,
        "level": risk.level(f.probability, f.consequence).key,
        "outcome": rv.outcome,
        "note": rv.note,
        "at": iso(rv.reviewed_at),
        "by": person(rv.reviewed_by),
    }
