"""The evidence package's cooperation section: the bodies at the units in scope with their
members, the year's meetings with each item's outcome, MBL negotiation and the protocol's
signature (who, when, digest), meetings of bodies higher up for the items about what is in
scope, and each plan in scope established at a meeting ("fastställd vid FSG 2027-05-20").

Bodies' records are audited in their own chains (``coop:<body>``), so the package reads
those chains too and a later change is traced to its event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Cycle, Task
from engine.db.models.duties.coop import (
    CoopBody,
    CoopItem,
    CoopMeeting,
    CoopMember,
    MblNegotiation,
    PlanEstablishment,
)
from engine.db.models.workflow.process import ProcessCase
from engine.evidence.common import Person, iso
from engine.evidence.load import in_batches
from forms.labels import words

MBL_SV = {k: v[0] for k, v in words("mbl_result").items()}


@dataclass
class CoopRows:
    bodies: dict[int, CoopBody] = field(default_factory=dict)
    own: set[int] = field(default_factory=set)  # bodies at a unit in scope
    members: dict[int, list[CoopMember]] = field(default_factory=lambda: defaultdict(list))
    meetings: dict[int, list[CoopMeeting]] = field(default_factory=lambda: defaultdict(list))
    items: dict[int, list[CoopItem]] = field(default_factory=lambda: defaultdict(list))
    negotiations: dict[int, MblNegotiation] = field(default_factory=dict)
    established: list[PlanEstablishment] = field(default_factory=list)

    def chains(self) -> list[str]:
        return [f"coop:{b}" for b in sorted(self.bodies)]

    def people(self) -> list[int | None]:
        out: list[int | None] = [m.person_id for ms in self.members.values() for m in ms]
        out += [m.signed_by for ms in self.meetings.values() for m in ms]
        out += [n.requested_by for n in self.negotiations.values()]
        return out


def _subject_units(s: Session, items: Sequence[CoopItem]) -> dict[int, int]:
    """Item id -> the unit of what it decides on (items linked to nothing: none)."""
    want: dict[str, set[int]] = defaultdict(set)
    for i in items:
        if i.subject_id is not None:
            want[i.subject_type].add(i.subject_id)
    cycles = {
        c.id: c.unit_id
        for c in in_batches(
            s, select(Cycle), Cycle.id, sorted(want["plan"] | want["annual_follow_up"])
        )
    }
    cases = {
        c.id: c.unit_id
        for c in in_batches(
            s, select(ProcessCase), ProcessCase.id, sorted(want["change"] | want["incident"])
        )
    }
    tasks = {
        t.id: t.unit_id
        for t in in_batches(s, select(Task), Task.id, sorted(want["risk_assessment"]))
    }
    out: dict[int, int] = {}
    for i in items:
        table = (
            cycles
            if i.subject_type in ("plan", "annual_follow_up")
            else cases
            if i.subject_type in ("change", "incident")
            else tasks
        )
        if i.subject_id is not None and i.subject_id in table:
            out[i.id] = table[i.subject_id]
    return out


def load_coop(s: Session, unit_ids: Sequence[int], year: int, cycle_ids: Sequence[int]) -> CoopRows:
    r = CoopRows()
    scope = set(unit_ids)
    first, last = date(year, 1, 1), date(year, 12, 31)
    meetings = list(
        s.scalars(
            select(CoopMeeting)
            .where(CoopMeeting.held_on >= first, CoopMeeting.held_on <= last)
            .order_by(CoopMeeting.held_on, CoopMeeting.id)
        )
    )
    bodies = {b.id: b for b in s.scalars(select(CoopBody))}
    r.own = {b.id for b in bodies.values() if b.unit_id in scope}
    items = in_batches(
        s, select(CoopItem).order_by(CoopItem.number), CoopItem.meeting_id, [m.id for m in meetings]
    )
    units_of = _subject_units(s, items)
    by_meeting: dict[int, list[CoopItem]] = defaultdict(list)
    for i in items:
        by_meeting[i.meeting_id].append(i)
    for m in meetings:
        mine = m.body_id in r.own
        kept = [i for i in by_meeting[m.id] if mine or units_of.get(i.id) in scope]
        if not (mine or kept):
            continue
        r.meetings[m.body_id].append(m)
        r.items[m.id] = kept
    r.bodies = {b: bodies[b] for b in sorted(r.own | set(r.meetings))}
    for m in in_batches(
        s, select(CoopMember).order_by(CoopMember.id), CoopMember.body_id, sorted(r.bodies)
    ):
        r.members[m.body_id].append(m)
    item_ids = [i.id for its in r.items.values() for i in its]
    r.negotiations = {
        n.item_id: n
        for n in in_batches(s, select(MblNegotiation), MblNegotiation.item_id, item_ids)
    }
    r.established = in_batches(
        s,
        select(PlanEstablishment).order_by(PlanEstablishment.cycle_id),
        PlanEstablishment.cycle_id,
        list(cycle_ids),
    )
    return r


def section(
    r: CoopRows,
    person: Person,
    codes: Mapping[int, str],
    kinds: Mapping[str, str],
    cycle_units: Mapping[int, int],
) -> dict[str, Any]:
    return {
        "bodies": [_body(r, b, person, codes, kinds) for b in r.bodies.values()],
        "established": [
            {
                "ref": f"cycle:{e.cycle_id}",
                "unit": codes.get(cycle_units.get(e.cycle_id, 0)),
                "body": e.body_label,
                "on": iso(e.established_on),
                "mbl": e.mbl,
                "item": f"agenda_item:{e.item_id}",
                "decided_by_task": f"task:{e.decided_task_id}",
                "text": f"fastställd vid {e.body_label} {e.established_on.isoformat()}"
                + (f" (MBL: {MBL_SV[e.mbl]})" if e.mbl else ""),
            }
            for e in r.established
        ],
    }


def _body(
    r: CoopRows, b: CoopBody, person: Person, codes: Mapping[int, str], kinds: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "ref": f"body:{b.id}",
        "chain": f"coop:{b.id}",
        "code": b.code,
        "name": b.name,
        "kind": b.kind,
        "label": kinds.get(b.kind, b.kind),
        "unit": codes.get(b.unit_id),
        "in_scope": b.id in r.own,
        "members": [
            {
                "person": person(m.person_id),
                "seat": m.role,
                "organisation": m.organisation,
                "valid_from": iso(m.valid_from),
                "valid_to": iso(m.valid_to),
            }
            for m in r.members.get(b.id, [])
        ],
        "meetings": [
            {
                "ref": f"meeting:{m.id}",
                "held_on": iso(m.held_on),
                "title": m.title,
                "signed_at": iso(m.signed_at),
                "signed_by": person(m.signed_by),
                "digest": m.digest,
                "items": [_item(i, r.negotiations.get(i.id), person) for i in r.items[m.id]],
            }
            for m in r.meetings.get(b.id, [])
        ],
    }


def _item(i: CoopItem, n: MblNegotiation | None, person: Person) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ref": f"agenda_item:{i.id}",
        "number": i.number,
        "title": i.title,
        "subject": f"{i.subject_type}:{i.subject_id}" if i.subject_id is not None else None,
        "subject_type": i.subject_type,
        "outcome": i.outcome,
        "decision": i.decision,
        "disagreement": i.disagreement,
        "mbl": None,
    }
    if n is not None:
        out["mbl"] = {
            "organisation": n.organisation,
            "requested_by": person(n.requested_by),
            "requested_at": iso(n.requested_at),
            "result": n.result,
            "protocol": n.protocol,
            "ended_at": iso(n.ended_at),
        }
    return out
