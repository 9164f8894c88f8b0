"""An action plan *fastställd*: established through cooperation (MBL §§ 11, 19).

A plan is established only when both hold: the manager has decided it (the plan's
``approve_manager`` task completed with "approve") and the protocol of the meeting that
handled it is signed (*justerat*) by a union representative. Where the item went to an MBL
negotiation, the negotiation has ended and its result is shown beside the establishment.
The row is written once; the plan's header and the evidence package show it:
"fastställd vid FSG 2027-05-20 (MBL: oenighet)".

    unmet = missing(session, cycle_id)            # every step still missing, named
    establish(tx, actor, cycle_id, label)          # refuses with those steps, else records
    line = header(session, cycle_id)               # None, or the header's words
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db.models import Cycle, Task
from engine.db.models.duties.coop import (
    CoopBody,
    CoopItem,
    CoopMeeting,
    MblNegotiation,
    PlanEstablishment,
)
from engine.domain.errors import Conflict, Unmet
from engine.domain.workflow.states import TaskStatus
from engine.workflow.cycles import chain, load_cycle
from forms.labels import words

DECISION_TASK = "approve_manager"
#: The instance of a plan in its own right's cycle (``engine.plans.own``): ``action_plan:<id>``.
OWN_PLAN_INSTANCE = "action_plan:"


def holds_plan(cycle: Cycle) -> bool:
    """A cycle whose plan a meeting may handle and establish: a unit's annual cycle, or a
    plan in its own right (not an inspection's or another case's cycle)."""
    return not cycle.instance or cycle.instance.startswith(OWN_PLAN_INSTANCE)


MBL_WORDS = words("mbl_result")


@dataclass(frozen=True)
class Handled:
    """The meeting item about the plan that counts (the latest signed one, else the latest),
    with its meeting, body and negotiation."""

    item: CoopItem
    meeting: CoopMeeting
    body: CoopBody
    mbl: MblNegotiation | None


def handled(s: Session, cycle_id: int) -> Handled | None:
    row = s.execute(
        select(CoopItem, CoopMeeting, CoopBody)
        .join(CoopMeeting, CoopMeeting.id == CoopItem.meeting_id)
        .join(CoopBody, CoopBody.id == CoopMeeting.body_id)
        .where(CoopItem.subject_type == "plan", CoopItem.subject_id == cycle_id)
        # a signed meeting first (a later one still open does not undo it), then the latest
        .order_by(CoopMeeting.signed_at.is_(None), CoopMeeting.held_on.desc(), CoopItem.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    item, meeting, body = row
    mbl = s.scalar(select(MblNegotiation).where(MblNegotiation.item_id == item.id))
    return Handled(item, meeting, body, mbl)


def decision_task(s: Session, cycle_id: int) -> Task | None:
    """The manager's completed decision on the plan (approve), if there is one."""
    for task in s.scalars(
        select(Task)
        .where(
            Task.cycle_id == cycle_id,
            Task.key == DECISION_TASK,
            Task.status == TaskStatus.COMPLETED.value,
        )
        .order_by(Task.id.desc())
    ):
        if json.loads(task.data or "{}").get("decision") == "approve":
            return task
    return None


def missing(s: Session, cycle_id: int) -> list[Unmet]:
    """Every step still missing before the plan is fastställd (empty: it may be)."""
    out: list[Unmet] = []
    if decision_task(s, cycle_id) is None:
        out.append(
            Unmet(
                "manager_decided",
                "the manager has not decided the plan",
                "chefen har inte beslutat planen",
            )
        )
    h = handled(s, cycle_id)
    if h is None:
        out.append(
            Unmet(
                "meeting_handled",
                "no cooperation meeting has handled the plan",
                "inget samverkansmöte har behandlat planen",
            )
        )
        return out
    if h.meeting.signed_at is None:
        out.append(
            Unmet(
                "protocol_signed",
                f"the protocol of {h.body.name} {h.meeting.held_on} is not signed by a union "
                "representative",
                f"protokollet från {h.body.name} {h.meeting.held_on} är inte justerat av en "
                "facklig företrädare",
            )
        )
    if h.mbl is not None and h.mbl.ended_at is None:
        out.append(
            Unmet(
                "mbl_ended",
                "the MBL negotiation on the plan has not ended",
                "MBL-förhandlingen om planen är inte avslutad",
            )
        )
    elif h.mbl is None and not h.item.outcome:
        out.append(
            Unmet(
                "item_recorded",
                "the meeting's decision on the plan is not recorded",
                "mötets beslut om planen är inte protokollfört",
            )
        )
    return out


def establish(tx: Tx, actor: Actor, cycle_id: int, kinds: Mapping[str, str]) -> PlanEstablishment:
    """Record the plan as fastställd; refused, naming every missing step, until it may be.
    ``kinds`` gives each kind of body its short name (settings.coop_body_kinds)."""
    s = tx.session
    cycle = load_cycle(s, cycle_id, lock=True)
    done = s.scalar(select(PlanEstablishment).where(PlanEstablishment.cycle_id == cycle.id))
    if done is not None:
        return done
    unmet = missing(s, cycle.id)
    if unmet:
        raise Conflict(
            "the plan cannot be established: " + "; ".join(u.message_en for u in unmet),
            "planen kan inte fastställas: " + "; ".join(u.message_sv for u in unmet),
            missing=[u.gate for u in unmet],
        )
    h = handled(s, cycle.id)
    task = decision_task(s, cycle.id)
    assert h is not None and task is not None
    row = PlanEstablishment(
        cycle_id=cycle.id,
        item_id=h.item.id,
        body_label=kinds.get(h.body.kind, h.body.name),
        established_on=h.meeting.held_on,
        mbl=h.mbl.result if h.mbl is not None else "",
        decided_task_id=task.id,
        created_at=tx.now,
    )
    s.add(row)
    s.flush()
    tx.record(
        chain(cycle.id),
        "plan.established",
        "cycle",
        cycle.id,
        actor,
        unit_id=cycle.unit_id,
        data={
            "body": h.body.code,
            "meeting": f"meeting:{h.meeting.id}",
            "established_on": h.meeting.held_on.isoformat(),
            "mbl": row.mbl,
            "decided_by_task": f"task:{task.id}",
        },
    )
    return row


@dataclass(frozen=True)
class Header:
    body: str
    on: date
    mbl: str  # "" | agreement | disagreement

    def mbl_word(self, lang: str) -> str:
        return MBL_WORDS[self.mbl][0 if lang == "sv" else 1] if self.mbl else ""

    def text(self, lang: str) -> str:
        """The header's line: "fastställd vid FSG 2027-05-20 (MBL: oenighet)"."""
        sv = lang == "sv"
        out = f"{'fastställd vid' if sv else 'established at'} {self.body} {self.on.isoformat()}"
        if self.mbl:
            out += f" (MBL: {MBL_WORDS[self.mbl][0 if sv else 1]})"
        return out


def header(s: Session, cycle_id: int) -> Header | None:
    row = s.scalar(select(PlanEstablishment).where(PlanEstablishment.cycle_id == cycle_id))
    return None if row is None else Header(row.body_label, row.established_on, row.mbl)


def read_header(app: App, cycle_id: int) -> Header | None:
    """The header's establishment for a plan page (whose visibility is already checked)."""
    with app.read() as s:
        return header(s, cycle_id)
