"""A change case (reorganisation, new premises, a new schedule, staff cuts) and its risk
assessment before the change (AFS 2023:1 on changes; AFS 2023:2).

The case is a process (``change-assessment.yaml``): its manager assesses the risks, the
safety representative records their participation themself, and the stage's sign-off by
the manager (or the line above) approves the assessment. The change goes to a cooperation
meeting as an item (``engine.coop.meetings``). It **cannot be marked decided** until the
assessment is approved, the representative has confirmed taking part, and the item is
closed (its protocol signed) or its MBL negotiation has ended; the refusal names every
missing step at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.coop import meetings
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import OrgUnit, Stage, Task
from engine.db.models.duties.coop import ChangeDecision, CoopItem, CoopMeeting
from engine.db.models.workflow.process import ProcessCase
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted, Unmet
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, StageStatus, TaskStatus
from engine.org import access
from engine.workflow import cycles
from engine.workflow.process import cases as processes
from engine.workflow.process import views as process_views
from forms.schemas.duties.change import ChangeRegistration

KIND = "change"
STAGE = "assessment"


def parse_registration(data: Mapping[str, Any]) -> ChangeRegistration:
    reg = processes.parse_subject(KIND, data)
    assert isinstance(reg, ChangeRegistration)
    return reg


@dataclass(frozen=True)
class Registered:
    change_id: int
    cycle_id: int
    tasks: int


def register(app: App, actor: Actor, reg: ChangeRegistration) -> Registered:
    """Register a change (HR or a director over its unit); the manager's risk assessment
    and the safety representative's participation become tasks at once. Every affected
    unit must exist and lie within the responsible unit."""
    with app.read() as s:
        unit = s.scalar(select(OrgUnit).where(OrgUnit.code == reg.unit))
        codes = queries.pairs(s, select(OrgUnit.code, OrgUnit.id).where(OrgUnit.active.is_(True)))
        found = [codes.get(c) for c in reg.affected_units]
        org = queries.ancestry_snapshot(
            s, [u for u in found if u is not None], local_date(app.clock.now())
        )
    errors = []
    for i, (code, uid) in enumerate(zip(reg.affected_units, found, strict=True)):
        path = f"affected_units[{i}]"
        if uid is None:
            errors.append(
                FieldError(path, f"no unit has code {code}", f"ingen enhet har koden {code}")
            )
        elif unit is not None and uid != unit.id and unit.id not in org.ancestors(uid):
            errors.append(
                FieldError(
                    path,
                    f"{code} is not part of the responsible unit",
                    f"{code} ingår inte i den ansvariga enheten",
                )
            )
    if errors:
        raise InvalidInput(errors)
    out = processes.open_case(app, actor, KIND, reg)
    with app.read() as s:
        made = len(list(s.scalars(select(Task.id).where(Task.cycle_id == out.cycle_id))))
    return Registered(out.case_id, out.cycle_id, made)


def _load(s: Session, change_id: int) -> ProcessCase:
    return process_views.load_case(s, change_id, KIND)


def missing_steps(s: Session, case: ProcessCase) -> list[Unmet]:
    """Every step still missing before the change may be marked decided."""
    out: list[Unmet] = []
    assert case.cycle_id is not None
    stage = s.scalar(select(Stage).where(Stage.cycle_id == case.cycle_id, Stage.key == STAGE))
    tasks = list(s.scalars(select(Task).where(Task.cycle_id == case.cycle_id)))
    done = {t.key: t for t in tasks if t.status == TaskStatus.COMPLETED.value}
    if "change_risk_assessment" not in done:
        out.append(
            Unmet(
                "risk_assessment_done",
                "the risk assessment is not done",
                "riskbedömningen är inte gjord",
            )
        )
    part = done.get("change_participation")
    if part is None:
        out.append(
            Unmet(
                "safety_rep_participation",
                "the safety representative has not recorded their participation",
                "skyddsombudet har inte registrerat sin medverkan",
            )
        )
    elif json.loads(part.data or "{}").get("participated") != "yes":
        out.append(
            Unmet(
                "safety_rep_participation",
                "the safety representative says they did not take part",
                "skyddsombudet uppger att de inte har medverkat",
            )
        )
    if stage is None or stage.status != StageStatus.SIGNED_OFF.value:
        out.append(
            Unmet(
                "assessment_approved",
                "the risk assessment is not approved (signed off)",
                "riskbedömningen är inte godkänd (signerad)",
            )
        )
    out += meetings.cooperation_unmet(s, KIND, case.id)
    return out


def decide(app: App, actor: Actor, change_id: int, note: str = "") -> None:
    """Mark the change decided: the unit's manager, the line above, HR or a director;
    refused, naming every missing step, until the assessment and cooperation are done."""
    note = note.strip()
    if len(note) > 4000:
        raise InvalidInput.field("note", "at most 4000 characters", "högst 4000 tecken")

    def work(tx: Tx) -> None:
        s, day = tx.session, local_date(tx.now)
        case = _load(s, change_id)
        org = queries.ancestry_snapshot(s, [case.unit_id], day)
        if actor.person_id is not None:
            auth = queries.authority(s, actor.person_id, day)
            if not access.may_oversee(auth, org, case.unit_id):
                raise NotFound(KIND, change_id)
        cycle = cycles.load_cycle(s, case.cycle_id or 0, lock=True)
        if s.scalar(select(ChangeDecision.id).where(ChangeDecision.case_id == case.id)):
            raise Conflict("the change is already decided", "förändringen är redan beslutad")
        on_behalf = _require_decider(tx, actor, org, case.unit_id)
        unmet = missing_steps(s, case)
        if unmet:
            raise Conflict(
                "the change cannot be marked decided: " + "; ".join(u.message_en for u in unmet),
                "förändringen kan inte markeras som beslutad: "
                + "; ".join(u.message_sv for u in unmet),
                missing=[u.gate for u in unmet],
            )
        s.add(
            ChangeDecision(
                case_id=case.id, decided_by=actor.person_id, decided_at=tx.now, note=note
            )
        )
        tx.record(
            cycles.chain(cycle.id),
            "change.decided",
            KIND,
            case.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=case.unit_id,
            data={"note": note},
        )

    app.run(work)


def _require_decider(tx: Tx, actor: Actor, org: OrgSnapshot, unit_id: int) -> int | None:
    """The unit's manager, the line above, or HR or a director over the unit."""
    if actor.person_id is None:
        return None
    auth = access.authority(tx, actor)
    ok, on_behalf = access.holder_or_line(auth, org, unit_id, [Address(Role.MANAGER, unit_id)])
    if ok:
        return on_behalf
    for u in (unit_id, *org.ancestors(unit_id)):
        for role in access.ADMIN_ROLES:
            ok, on_behalf = auth.on_behalf_for_address(Address(role, u))
            if ok:
                return on_behalf
    raise NotPermitted(
        "only the unit's manager, the line above, HR or a director may decide the change",
        "bara enhetens chef, chefen ovanför, HR eller en direktör får besluta förändringen",
    )


@dataclass(frozen=True)
class ChangeView:
    id: int
    cycle_id: int | None
    unit_code: str
    unit_name: str
    fields: dict[str, Any]
    tasks: list[dict[str, Any]]
    stage_status: str
    items: list[dict[str, Any]]
    decided_at: datetime | None
    decided_by: str | None
    missing: list[Unmet]


def show(app: App, actor: Actor, change_id: int) -> ChangeView:
    """A change with its tasks, cooperation items and what is still missing."""
    day = local_date(app.clock.now())
    with app.read() as s:
        case = _load(s, change_id)
        org = queries.ancestry_snapshot(s, [case.unit_id], day)
        if actor.person_id is not None:
            auth = queries.authority(s, actor.person_id, day)
            if not access.may_oversee(auth, org, case.unit_id):
                raise NotFound(KIND, change_id)
        unit = s.get(OrgUnit, case.unit_id)
        assert unit is not None
        stage = s.scalar(select(Stage).where(Stage.cycle_id == case.cycle_id, Stage.key == STAGE))
        tasks = [
            {"id": t.id, "key": t.key, "status": t.status, "input": json.loads(t.data or "{}")}
            for t in s.scalars(select(Task).where(Task.cycle_id == case.cycle_id).order_by(Task.id))
        ]
        items = [
            {
                "meeting_id": m.id,
                "held_on": m.held_on,
                "number": i.number,
                "title": i.title,
                "outcome": i.outcome,
                "signed": m.signed_at is not None,
            }
            for i, m in s.execute(
                select(CoopItem, CoopMeeting)
                .join(CoopMeeting, CoopMeeting.id == CoopItem.meeting_id)
                .where(CoopItem.subject_type == KIND, CoopItem.subject_id == case.id)
                .order_by(CoopMeeting.held_on)
            )
        ]
        dec = s.scalar(select(ChangeDecision).where(ChangeDecision.case_id == case.id))
        by = None
        if dec is not None and dec.decided_by is not None:
            by = queries.person_names(s, [dec.decided_by])[dec.decided_by][0]
        return ChangeView(
            case.id,
            case.cycle_id,
            unit.code,
            unit.name,
            json.loads(case.data),
            tasks,
            stage.status if stage else "",
            items,
            dec.decided_at if dec else None,
            by,
            [] if dec else missing_steps(s, case),
        )


@dataclass(frozen=True)
class ChangeRow:
    id: int
    cycle_id: int | None
    unit_code: str
    unit_name: str
    reference: str
    title: str
    opened_on: date
    status: str  # open (assessing) | approved | decided


def list_changes(app: App, actor: Actor) -> list[ChangeRow]:
    """The changes the person may see (their units' and those below), newest first."""
    rows = processes.list_cases(app, actor, KIND)
    ids = [r.id for r in rows]
    titles: dict[int, str] = {}
    decided: set[int] = set()
    with app.read() as s:
        for batch in chunks(ids, 500):
            for i, d in s.execute(
                select(ProcessCase.id, ProcessCase.data).where(ProcessCase.id.in_(batch))
            ):
                titles[i] = str(json.loads(d).get("title", ""))
            decided.update(
                s.scalars(select(ChangeDecision.case_id).where(ChangeDecision.case_id.in_(batch)))
            )
    return [
        ChangeRow(
            r.id,
            r.cycle_id,
            r.unit_code,
            r.unit_name,
            r.reference,
            titles.get(r.id, ""),
            r.opened_on,
            "decided" if r.id in decided else "approved" if r.status == "closed" else "open",
        )
        for r in rows
    ]
