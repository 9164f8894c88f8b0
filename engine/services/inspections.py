"""Inspections by Arbetsmiljöverket: register the krav, route them, draft the reply.

Registering an inspection starts a cycle of the ``av-inspection`` template for the
inspected unit (one per inspection) and makes one task per requirement and responsible
unit, routed to that unit's manager and due before the reply date. The tasks then live
like every other task: inbox, reminders, escalation to the manager above and the director
(the sweep), returns, deadline changes, and the cycle's audit chain. When every
requirement is answered, ``draft_reply`` records the reply and returns its data for the
letter (``forms.inspection_docs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.models import OrgUnit, Stage
from engine.db.models_inspection import Inspection, InspectionRequirement, RequirementTask
from engine.domain.clock import local_date
from engine.domain.errors import FieldError, InvalidInput
from engine.domain.org import OrgSnapshot
from engine.domain.routing import Address
from engine.domain.template import CycleTemplate
from engine.domain.validation import field_errors
from engine.services import access, cycles, taskgen, templates
from engine.services.context import Actor, App, Tx
from forms.schemas.inspection import InspectionRegistration

TEMPLATE_KEY = "av-inspection"
STAGE_KEY = "requirements"
TASK_KEY = "requirement_reply"


@dataclass(frozen=True)
class Registered:
    inspection_id: int
    cycle_id: int
    requirements: int
    tasks: int


def parse_registration(data: Mapping[str, Any]) -> InspectionRegistration:
    try:
        return InspectionRegistration.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None


def register(app: App, actor: Actor, reg: InspectionRegistration) -> Registered:
    """Record an inspection and route each requirement to the responsible managers."""
    lead = timedelta(days=app.settings.inspection_lead_days)

    def work(tx: Tx) -> Registered:
        s = tx.session
        today = local_date(tx.now)
        if reg.reply_by < today:
            raise InvalidInput.field(
                "reply_by", "the reply date has passed", "svarsdatumet har redan passerat"
            )
        _check_dues(reg, today)
        unit = _unit(s, reg.unit, "unit")
        org = queries.org_snapshot(s, today)
        on_behalf = access.require_admin(s, tx, actor, [unit.id], org)
        routed = _route_all(s, reg, unit.id, org)
        insp = Inspection(
            unit_id=unit.id,
            reference=reg.reference,
            inspector=reg.inspector,
            inspected_on=reg.inspected_on,
            reply_by=reg.reply_by,
            note=reg.note,
            created_at=tx.now,
            created_by=actor.person_id,
        )
        s.add(insp)
        s.flush()
        text = templates.text_for(TEMPLATE_KEY)
        cycle_id, template = cycles.start_instance(
            tx, actor, text, unit.id, reg.inspected_on.year, f"inspection:{insp.id}"
        )
        insp.cycle_id = cycle_id
        tasks = _make_tasks(tx, actor, reg, insp, template, routed, lead, today)
        tx.record(
            cycles.chain(cycle_id),
            "inspection.registered",
            "inspection",
            insp.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=unit.id,
            data={
                "reference": reg.reference,
                "inspector": reg.inspector,
                "inspected_on": reg.inspected_on,
                "reply_by": reg.reply_by,
                "requirements": len(reg.requirements),
            },
        )
        return Registered(insp.id, cycle_id, len(reg.requirements), tasks)

    return app.run(work)


def _check_dues(reg: InspectionRegistration, today: date) -> None:
    errors = [
        FieldError(f"requirements[{i}].due", "the date has passed", "datumet har passerat")
        for i, r in enumerate(reg.requirements)
        if r.due is not None and r.due < today
    ]
    if errors:
        raise InvalidInput(errors)


def _unit(s: Session, code: str, path: str) -> OrgUnit:
    unit = s.scalar(select(OrgUnit).where(OrgUnit.code == code, OrgUnit.active.is_(True)))
    if unit is None:
        raise InvalidInput.field(path, f"no unit has code {code}", f"ingen enhet har koden {code}")
    return unit


def _route_all(
    s: Session, reg: InspectionRegistration, root: int, org: OrgSnapshot
) -> list[list[tuple[int, Address]]]:
    """Per requirement: (unit, its manager's address); every problem named at once."""
    codes = queries.pairs(s, select(OrgUnit.code, OrgUnit.id).where(OrgUnit.active.is_(True)))
    errors: list[FieldError] = []
    out: list[list[tuple[int, Address]]] = []
    for i, r in enumerate(reg.requirements):
        mine: list[tuple[int, Address]] = []
        for j, code in enumerate(dict.fromkeys(r.units or [reg.unit])):
            path = f"requirements[{i}].units[{j}]"
            unit_id = codes.get(code)
            if unit_id is None:
                errors.append(FieldError(path, f"no unit has code {code}", f"ingen enhet {code}"))
                continue
            if unit_id != root and root not in org.ancestors(unit_id):
                errors.append(
                    FieldError(
                        path,
                        f"{code} is not part of the inspected unit",
                        f"{code} ingår inte i den inspekterade enheten",
                    )
                )
                continue
            address = taskgen.route("manager", unit_id, org)
            if address is None:
                errors.append(FieldError(path, f"{code} has no manager", f"{code} saknar chef"))
                continue
            mine.append((unit_id, address))
        out.append(mine)
    if errors:
        raise InvalidInput(errors)
    return out


def _make_tasks(
    tx: Tx,
    actor: Actor,
    reg: InspectionRegistration,
    insp: Inspection,
    template: CycleTemplate,
    routed: list[list[tuple[int, Address]]],
    lead: timedelta,
    today: date,
) -> int:
    s = tx.session
    assert insp.cycle_id is not None
    stage_id = s.scalar(
        select(Stage.id).where(Stage.cycle_id == insp.cycle_id, Stage.key == STAGE_KEY)
    )
    assert stage_id is not None
    tdef, ladder = template.task(TASK_KEY), template.ladder_for(TASK_KEY)
    count = 0
    for n, (r, targets) in enumerate(zip(reg.requirements, routed, strict=True), start=1):
        due = r.due or max(reg.reply_by - lead, min(today, reg.reply_by))
        req = InspectionRequirement(inspection_id=insp.id, number=n, text=r.text, due_date=due)
        s.add(req)
        s.flush()
        for unit_id, address in targets:
            row = taskgen.task_row(
                cycle_id=insp.cycle_id,
                stage_id=stage_id,
                unit_id=unit_id,
                tdef=tdef,
                address=address,
                assignee_id=None,
                due_at=tdef.due.due_at(reg.inspected_on.year, tx.now, {"due_date": due}),
                now=tx.now,
                ladder=ladder,
                round_=1,
            )
            task_id = taskgen.insert_tasks(s, [row])[0]
            s.add(RequirementTask(requirement_id=req.id, unit_id=unit_id, task_id=task_id))
            taskgen.record_created(tx, actor, [row], [task_id], requirement=n)
            count += 1
    s.flush()
    return count
