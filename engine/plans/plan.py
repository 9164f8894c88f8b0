"""The action plan (handlingsplan, 13 §): items, measures and their dated history.

Nothing in a plan is deleted or silently overwritten: a measure is postponed or cancelled
with a reason, every change of status is a dated row in its history, and edits to a
measure's what/who/when are audit events with before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import ActionItem, Cycle, Measure, MeasureEvent, Person, Risk, Task
from engine.db.models.followup.plans import MeasureFollowUp as FollowUpPoint
from engine.db.queries import TaskRef
from engine.domain.clock import end_of_local_day, local_date
from engine.domain.errors import FieldError, InvalidInput, NotFound, NotPermitted
from engine.domain.org import OrgSnapshot
from engine.domain.period import Period, day, from_stored
from engine.domain.workflow.machine import (
    MEASURE,
    MEASURE_EVENT_FOR_STATUS,
    MEASURE_EVENTS_NEEDING_REASON,
    next_state,
)
from engine.domain.workflow.routing import Address, RoleExpr, resolve, role_from_text
from engine.domain.workflow.states import MeasureStatus, Role, TaskStatus
from engine.domain.workflow.template import CycleTemplate
from engine.org import access, positions
from engine.workflow import taskgen
from engine.workflow.cycles import chain, load_cycle
from forms.schemas.base import EMAIL
from forms.schemas.followup import MeasureFollowUp
from forms.schemas.plan import ActionPlan, MeasureInput

OPEN_MEASURE_STATES = (
    MeasureStatus.PLANNED.value,
    MeasureStatus.IN_PROGRESS.value,
    MeasureStatus.POSTPONED.value,
)
EDITABLE = ("what", "desired_result", "responsible", "due_date", "follow_up_date")


@dataclass(frozen=True)
class Responsible:
    text: str  # as written
    person_id: int | None  # the person (or a position's holder, a group's convener) today
    address: Address | None
    position_id: int | None = None
    group_id: int | None = None


def resolve_responsible(
    tx: Tx, text: str, unit_id: int, org: OrgSnapshot, path: str
) -> Responsible:
    """A person by e-mail, a position or group at the unit or above (its holder or
    convener today; a position the organisation named wins over a role word of the same
    name), or a role word resolved at the unit; else an error at ``path`` (an unknown
    title lists the positions and groups that exist: never someone else in its place)."""
    if EMAIL.match(text):
        person = tx.session.scalar(select(Person).where(Person.email == text.lower()))
        if person is None or not person.active:
            raise InvalidInput.field(
                path,
                f"no active person has the e-mail {text}",
                f"ingen aktiv person har e-postadressen {text}",
            )
        return Responsible(text, person.id, None)
    role = role_from_text(text)
    if role is None or positions.find(tx.session, text, unit_id, org, local_date(tx.now)):
        return _named(tx, text, unit_id, org, path)  # the organisation's own title first
    address = resolve(RoleExpr(role), unit_id, org)
    if address is None:
        raise InvalidInput.field(
            path,
            f"nobody holds the role {role.en} for this unit",
            f"ingen har rollen {role.sv} för enheten",
        )
    return Responsible(text, None, address)


def _named(tx: Tx, text: str, unit_id: int, org: OrgSnapshot, path: str) -> Responsible:
    found = positions.find(tx.session, text, unit_id, org, local_date(tx.now))
    if found is None:
        listed = ", ".join(positions.names_in_reach(tx.session, unit_id, org)) or "–"
        raise InvalidInput.field(
            path,
            f"{text!r} is no person (e-mail), role or position of this unit; the positions "
            f"and groups that exist: {listed}",
            f"{text!r} är varken en person (e-post), en roll eller en befattning för enheten; "
            f"de befattningar och grupper som finns: {listed}",
        )
    if found.person_id is None:
        what_en, what_sv = ("holds the position", "innehar befattningen")
        if found.kind == "group":
            what_en, what_sv = ("convenes the group", "är sammankallande för gruppen")
        raise InvalidInput.field(
            path,
            f"nobody {what_en} {found.title} today",
            f"ingen {what_sv} {found.title} i dag",
        )
    return Responsible(
        text,
        found.person_id,
        None,
        found.id if found.kind == "position" else None,
        found.id if found.kind == "group" else None,
    )


def apply_plan(
    tx: Tx, actor: Actor, cycle: Cycle, task: TaskRef, form: ActionPlan, on_behalf: int | None
) -> dict[str, Any]:
    """Write the submitted plan: new items and measures are added, listed existing ones are
    updated (with before/after in the audit log), unlisted ones stay as they are."""
    s = tx.session
    org = queries.ancestry_snapshot(s, [cycle.unit_id], local_date(tx.now))
    items = {i.id: i for i in s.scalars(select(ActionItem).where(ActionItem.cycle_id == cycle.id))}
    measures = {m.id: m for m in s.scalars(select(Measure).where(Measure.cycle_id == cycle.id))}
    risks = set(s.scalars(select(Risk.id).where(Risk.cycle_id == cycle.id)))
    errors = _bad_references(form, items, measures, risks)
    if errors:
        raise InvalidInput(errors)
    responsible = {
        (i, j): resolve_responsible(
            tx, m.responsible, cycle.unit_id, org, f"items[{i}].measures[{j}].responsible"
        )
        for i, item in enumerate(form.items)
        for j, m in enumerate(item.measures)
    }
    next_item = max((x.number for x in items.values()), default=0) + 1
    created = updated = 0
    for i, item_in in enumerate(form.items):
        item: ActionItem | None = items.get(item_in.id) if item_in.id is not None else None
        if item is None:
            item = ActionItem(
                cycle_id=cycle.id,
                number=next_item,
                area=item_in.area,
                risk_id=item_in.risk_id,
                current_state=item_in.current_state,
                probability=item_in.probability,
                consequence=item_in.consequence,
                created_at=tx.now,
            )
            next_item += 1
            s.add(item)
            s.flush()
        else:
            item.area, item.risk_id = item_in.area, item_in.risk_id
            item.current_state = item_in.current_state
            item.probability, item.consequence = item_in.probability, item_in.consequence
        next_measure = (
            max((m.number for m in measures.values() if m.action_item_id == item.id), default=0) + 1
        )
        for j, m_in in enumerate(item_in.measures):
            who = responsible[(i, j)]
            if m_in.id is None:
                create_measure(tx, actor, cycle, item, next_measure, m_in, who, task.id, on_behalf)
                next_measure += 1
                created += 1
            elif _update_measure_fields(tx, actor, cycle, measures[m_in.id], m_in, who, on_behalf):
                updated += 1
    s.flush()
    return {"created": created, "updated": updated}


def _bad_references(
    form: ActionPlan,
    items: dict[int, ActionItem],
    measures: dict[int, Measure],
    risks: set[int],
) -> list[FieldError]:
    """Ids in the submission that do not belong to this cycle's plan."""
    errors: list[FieldError] = []
    for i, item_in in enumerate(form.items):
        if item_in.id is not None and item_in.id not in items:
            errors.append(
                FieldError(
                    f"items[{i}].id", "not an item of this plan", "inte en punkt i denna plan"
                )
            )
        if item_in.risk_id is not None and item_in.risk_id not in risks:
            errors.append(
                FieldError(
                    f"items[{i}].risk_id", "not a risk of this cycle", "inte en risk i denna cykel"
                )
            )
        for j, m in enumerate(item_in.measures):
            if m.id is not None and (
                m.id not in measures
                or item_in.id is None
                or measures[m.id].action_item_id != item_in.id
            ):
                errors.append(
                    FieldError(
                        f"items[{i}].measures[{j}].id",
                        "not a measure of this item",
                        "inte en åtgärd under denna punkt",
                    )
                )
    return errors


def create_measure(
    tx: Tx,
    actor: Actor,
    cycle: Cycle,
    item: ActionItem,
    number: int,
    m_in: MeasureInput,
    who: Responsible,
    task_id: int | None,
    on_behalf: int | None,
    follow_ups: Sequence[tuple[str, Period]] | None = None,
    due: Period | None = None,
) -> Measure:
    """Add a measure under an item: its first dated status and a ``measure.created`` event
    (the plan form and the plan import both write measures here). ``follow_ups``: its
    follow-up points (kind, period); by default the form's follow-up date, if any (never
    the due date: a measure without a follow-up point gets no follow-up task)."""
    due = due or m_in.due
    points = list(follow_ups) if follow_ups is not None else _form_points(m_in)
    m = Measure(
        action_item_id=item.id,
        cycle_id=cycle.id,
        number=number,
        what=m_in.what,
        desired_result=m_in.desired_result,
        responsible=who.text,
        responsible_person_id=who.person_id,
        responsible_role=who.address.role.value if who.address else None,
        responsible_unit_id=who.address.unit_id if who.address else None,
        responsible_position_id=who.position_id,
        responsible_group_id=who.group_id,
        due_date=due.end,
        due_kind=due.kind,
        due_start=due.start,
        due_label=due.label,
        follow_up_date=_first_end(points),
        status=MeasureStatus.PLANNED.value,
        done_on=None,
        effect="",
        effect_ok=None,
        followed_up_at=None,
        created_at=tx.now,
        updated_at=tx.now,
    )
    tx.session.add(m)
    tx.session.flush()
    _write_points(tx, m, points)
    tx.session.add(
        MeasureEvent(
            measure_id=m.id,
            at=tx.now,
            event="create",
            status=m.status,
            actor_id=actor.person_id,
            on_behalf_of_id=on_behalf,
            task_id=task_id,
        )
    )
    tx.record(
        chain(cycle.id),
        "measure.created",
        "measure",
        m.id,
        actor,
        on_behalf_of=on_behalf,
        unit_id=cycle.unit_id,
        data={
            "item": item.number,
            "number": number,
            "area": item.area,
            **{k: getattr(m, k) for k in EDITABLE},
            "due": due.shown,
            "follow_ups": [f"{kind}: {p.shown}" for kind, p in points],
        },
    )
    return m


def _form_points(m_in: MeasureInput) -> list[tuple[str, Period]]:
    return [("follow_up", day(m_in.follow_up_date))] if m_in.follow_up_date else []


def _first_end(points: Sequence[tuple[str, Period]]) -> date | None:
    ends = [p.end for _, p in points if p.end is not None]
    return min(ends) if ends else None


def _write_points(tx: Tx, m: Measure, points: Sequence[tuple[str, Period]]) -> None:
    tx.session.add_all(
        FollowUpPoint(
            measure_id=m.id,
            position=n,
            kind=kind,
            period_kind=p.kind,
            start=p.start,
            end=p.end,
            label=p.label[:64],
        )
        for n, (kind, p) in enumerate(points, start=1)
    )


def follow_up_points(s: Session, measure_ids: Sequence[int]) -> dict[int, list[tuple[str, Period]]]:
    """Measure id -> its follow-up points (kind, period), in order."""
    out: dict[int, list[tuple[str, Period]]] = {i: [] for i in measure_ids}
    if not measure_ids:
        return out
    rows = s.scalars(
        select(FollowUpPoint)
        .where(FollowUpPoint.measure_id.in_(list(measure_ids)))
        .order_by(FollowUpPoint.measure_id, FollowUpPoint.position)
    )
    for r in rows:
        out[r.measure_id].append((r.kind, from_stored(r.period_kind, r.start, r.end, r.label)))
    return out


def _update_measure_fields(
    tx: Tx,
    actor: Actor,
    cycle: Cycle,
    m: Measure,
    m_in: MeasureInput,
    who: Responsible,
    on_behalf: int | None,
) -> bool:
    new = {
        "what": m_in.what,
        "desired_result": m_in.desired_result,
        "responsible": who.text,
        "due_date": m_in.due_date,
        "due_label": m_in.due.label,
        "follow_up_date": m_in.follow_up_date,
    }
    changed = {k: (getattr(m, k), v) for k, v in new.items() if getattr(m, k) != v}
    if not changed:
        return False
    for k, (_, v) in changed.items():
        setattr(m, k, v)
    m.due_kind, m.due_start = m_in.due.kind, m_in.due.start
    if "follow_up_date" in changed:
        tx.session.execute(delete(FollowUpPoint).where(FollowUpPoint.measure_id == m.id))
        _write_points(tx, m, _form_points(m_in))
    m.responsible_person_id = who.person_id
    m.responsible_role = who.address.role.value if who.address else None
    m.responsible_unit_id = who.address.unit_id if who.address else None
    m.responsible_position_id, m.responsible_group_id = who.position_id, who.group_id
    m.updated_at = tx.now
    tx.record(
        chain(cycle.id),
        "measure.updated",
        "measure",
        m.id,
        actor,
        on_behalf_of=on_behalf,
        unit_id=cycle.unit_id,
        data={k: {"from": a, "to": b} for k, (a, b) in changed.items()},
    )
    return True


# --- status changes -----------------------------------------------------------------------
def change_status(
    tx: Tx,
    actor: Actor,
    cycle: Cycle,
    m: Measure,
    status: MeasureStatus,
    *,
    note: str = "",
    reason: str = "",
    on_behalf: int | None = None,
    task_id: int | None = None,
    about: date | None = None,
) -> str:
    """Move a measure to ``status`` (or add a dated note when it already is there).
    ``about``: the day the status is about, when it is not today (recorded now, both in
    the history and the audit event)."""
    current = MeasureStatus(m.status)
    event = "note" if status == current else MEASURE_EVENT_FOR_STATUS[status]
    new = next_state(MEASURE, "measure", event, current)
    if event in MEASURE_EVENTS_NEEDING_REASON and not reason.strip():
        raise InvalidInput.field(
            "reason",
            f"to {event} a measure needs a reason",
            "att skjuta upp eller stryka en åtgärd kräver ett skäl",
        )
    m.status, m.updated_at = new.value, tx.now
    if new == MeasureStatus.DONE and m.done_on is None:
        m.done_on = about or local_date(tx.now)
    tx.session.add(
        MeasureEvent(
            measure_id=m.id,
            at=tx.now,
            about=about,
            event=event,
            status=new.value,
            note=note,
            reason=reason,
            actor_id=actor.person_id,
            on_behalf_of_id=on_behalf,
            task_id=task_id,
        )
    )
    tx.record(
        chain(cycle.id),
        f"measure.{event}",
        "measure",
        m.id,
        actor,
        on_behalf_of=on_behalf,
        unit_id=cycle.unit_id,
        data={
            "from": current.value,
            "to": new.value,
            "note": note,
            "reason": reason,
            **({"about": about.isoformat()} if about else {}),
        },
    )
    if new == MeasureStatus.CANCELLED:
        _cancel_follow_ups(tx, actor, cycle, m, reason)
    return event


def _cancel_follow_ups(tx: Tx, actor: Actor, cycle: Cycle, m: Measure, reason: str) -> None:
    ids = list(
        tx.session.scalars(
            select(Task.id).where(Task.measure_id == m.id, Task.status == TaskStatus.OPEN.value)
        )
    )
    taskgen.cancel_tasks(tx, actor, cycle.id, cycle.unit_id, ids, f"measure cancelled: {reason}")


def apply_follow_up(
    tx: Tx,
    actor: Actor,
    cycle: Cycle,
    template: CycleTemplate,
    task: TaskRef,
    form: MeasureFollowUp,
    on_behalf: int | None,
) -> dict[str, Any]:
    m = tx.session.get(Measure, task.measure_id)
    if m is None:
        raise NotFound("measure", task.measure_id)
    change_status(
        tx,
        actor,
        cycle,
        m,
        MeasureStatus(form.status),
        note=form.note,
        reason=form.reason,
        on_behalf=on_behalf,
        task_id=task.id,
    )
    m.effect, m.effect_ok, m.followed_up_at = form.effect, form.effect_ok, tx.now
    extra: dict[str, Any] = {"measure_id": m.id, "status": m.status}
    points = follow_up_points(tx.session, [m.id])[m.id]
    due: date | None = None
    if form.status == "postponed" and form.new_follow_up_date is not None:
        m.follow_up_date = due = form.new_follow_up_date
        tx.session.add(
            FollowUpPoint(
                measure_id=m.id,
                position=len(points) + 1,
                kind="follow_up",
                period_kind="day",
                start=due,
                end=due,
                label="",
            )
        )
    elif m.status != MeasureStatus.CANCELLED.value:
        # the plan's next follow-up point (uppföljning or utvärdering) after this one,
        # if it names one: a task for each point that exists, none made up
        after = max(local_date(tx.now), local_date(task.due_at))
        due = min((p.end for _, p in points if p.end is not None and p.end > after), default=None)
    if due is not None:
        m.followed_up_at = None  # the next follow-up is still owed
        row = taskgen.task_row(
            cycle_id=cycle.id,
            stage_id=task.stage_id,
            unit_id=task.unit_id,
            tdef=template.task(task.key),
            address=access.task_address(task),
            assignee_id=task.assignee_id,
            due_at=end_of_local_day(due),
            now=tx.now,
            ladder=template.ladder_for(task.key),
            round_=task.round,
            measure_id=m.id,
        )
        new_id = taskgen.insert_tasks(tx.session, [row])[0]
        taskgen.record_created(tx, actor, [row], [new_id], follows=task.id)
        extra["next_follow_up_task"] = new_id
        extra["next_follow_up"] = due.isoformat()
    tx.session.flush()
    return extra


# --- direct use cases ---------------------------------------------------------------------
def update_measure(
    app: App,
    actor: Actor,
    measure_id: int,
    status: str,
    *,
    note: str = "",
    reason: str = "",
    about: date | None = None,
) -> str:
    """A dated status update on a measure ("ongoing, plan ready in October"); ``about``
    backdates it (the day it is about; a reason is required), recorded now."""
    try:
        target = MeasureStatus(status)
    except ValueError:
        raise InvalidInput.field(
            "status", f"unknown status {status!r}", f"okänd status {status!r}"
        ) from None
    today = local_date(app.clock.now())
    if about is not None and about > today:
        raise InvalidInput.field(
            "about",
            "a status cannot be about a future day",
            "en status kan inte gälla en framtida dag",
        )
    if about is not None and about < today and not reason.strip():
        raise InvalidInput.field(
            "reason",
            "a backdated status update needs a reason",
            "en bakåtdaterad statusuppdatering kräver ett skäl",
        )
    if about == today:
        about = None

    def work(tx: Tx) -> str:
        m = tx.session.get(Measure, measure_id)
        if m is None:
            raise NotFound("measure", measure_id)
        cycle = load_cycle(tx.session, m.cycle_id, lock=True)
        on_behalf = _require_plan_owner(tx, actor, cycle, m)
        return change_status(
            tx, actor, cycle, m, target, note=note, reason=reason, on_behalf=on_behalf, about=about
        )

    return app.run(work)


def set_risk_seriousness(app: App, actor: Actor, risk_id: int, serious: bool) -> None:
    """Record whether a risk is serious (11 §), e.g. after talking with the skyddsombud."""

    def work(tx: Tx) -> None:
        risk = tx.session.get(Risk, risk_id)
        if risk is None:
            raise NotFound("risk", risk_id)
        cycle = load_cycle(tx.session, risk.cycle_id, lock=True)
        on_behalf = _require_unit_role(tx, actor, cycle, (Role.MANAGER, Role.SAFETY_REP))
        before, risk.serious = risk.serious, serious
        tx.record(
            chain(cycle.id),
            "risk.assessed",
            "risk",
            risk.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=cycle.unit_id,
            data={"serious": {"from": before, "to": serious}},
        )

    app.run(work)


def _require_plan_owner(tx: Tx, actor: Actor, cycle: Cycle, m: Measure) -> int | None:
    if m.responsible_person_id is not None and m.responsible_person_id == actor.person_id:
        return None
    auth = access.authority(tx, actor)
    if m.responsible_role and m.responsible_unit_id:
        allowed, on_behalf = auth.on_behalf_for_address(
            Address(Role(m.responsible_role), m.responsible_unit_id)
        )
        if allowed:
            return on_behalf
    return _require_unit_role(tx, actor, cycle, (Role.MANAGER,))


def require_plan_editor(tx: Tx, actor: Actor, cycle: Cycle) -> int | None:
    """The unit's manager (or the line above) may change the plan; on whose behalf."""
    return _require_unit_role(tx, actor, cycle, (Role.MANAGER,))


def _require_unit_role(tx: Tx, actor: Actor, cycle: Cycle, roles: tuple[Role, ...]) -> int | None:
    org = queries.ancestry_snapshot(tx.session, [cycle.unit_id], local_date(tx.now))
    allowed, on_behalf = access.holder_or_line(
        access.authority(tx, actor),
        org,
        cycle.unit_id,
        [resolve(RoleExpr(role), cycle.unit_id, org) for role in roles],
    )
    if allowed:
        return on_behalf
    raise NotPermitted(
        "only the unit's manager (or the line above) may change the plan",
        "bara enhetens chef (eller chefen ovanför) får ändra planen",
    )
