"""The part of an evidence package about one unit's yearly cycle: the stages and tasks, the
survey, the written risk assessment, the action plan with its dated history, the
cooperation approvals, follow-ups, the annual evaluation, and the escalations, returns and
deadline changes along the way. Plain JSON-able data; every record has a ``ref``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.db.models import ActionItem, Cycle, Measure, Task
from engine.domain.clock import local_date
from engine.domain.followup.hme import suppressed
from engine.domain.risk import level
from engine.evidence.audit import AuditSlice
from engine.evidence.common import Holder, Person, Where, iso, signed, task_input
from engine.evidence.load import Bundle
from engine.evidence.sections.log import from_log, returns
from engine.plans.document import judge_day
from engine.plans.plan import OPEN_MEASURE_STATES


def cycle_section(
    b: Bundle,
    c: Cycle,
    sl: AuditSlice,
    person: Person,
    where: Where,
    holder: Holder,
    as_of: datetime,
    min_answers: int,
) -> dict[str, Any]:
    tasks = b.tasks.get(c.id, [])
    stage_keys = {st.id: st.key for st in b.stages.get(c.id, [])}
    done = [t for t in tasks if t.status == "completed"]
    return {
        "ref": f"cycle:{c.id}",
        "template": c.template_key,
        "status": c.status,
        "current_stage": c.current_stage,
        "started_at": iso(c.started_at),
        "closed_at": iso(c.closed_at),
        "stages": [
            {
                "ref": f"stage:{st.id}",
                "key": st.key,
                "status": st.status,
                "activated_at": iso(st.activated_at),
                "signed_off_at": iso(st.signed_off_at),
                "signed_off_by": person(st.signed_off_by),
            }
            for st in b.stages.get(c.id, [])
        ],
        "tasks": [_task(t, stage_keys, person, where) for t in tasks],
        "survey": _survey(_latest(done, "survey_results"), person, min_answers),
        "safety_round": _form(_latest(done, "safety_round"), person),
        "absence": _form(_latest(done, "absence_review"), person),
        "risk_assessment": _risks(b, c, _latest(done, "risk_assessment"), person),
        "plan": _plan(b, c, _latest(done, "action_plan"), person, where, local_date(as_of)),
        "approvals": [_approval(t, person) for t in done if t.form_key == "approval"],
        "follow_ups": _follow_ups(b, c, done, person),
        "evaluation": _form(_latest(done, "annual_evaluation"), person),
        "returns": returns(tasks, person, where),
        **from_log(sl, f"cycle:{c.id}", {t.id: t for t in tasks}, person, where, holder),
    }


def _task(t: Task, stages: dict[int, str], person: Person, where: Where) -> dict[str, Any]:
    return {
        "ref": f"task:{t.id}",
        "key": t.key,
        "stage": stages.get(t.stage_id),
        "status": t.status,
        "required": t.required,
        "round": t.round,
        "due": iso(t.due_at),
        "routed_to": where(f"{t.role}@{t.role_unit_id}") if t.role else None,
        "assignee": person(t.assignee_id),
        "closed_at": iso(t.closed_at),
        "by": person(t.closed_by),
        "on_behalf_of": person(t.on_behalf_of),
        "escalation_level": t.escalation_level,
        "reason": t.reason,
        "returned_from": f"task:{t.returned_from_id}" if t.returned_from_id else None,
        "measure": f"measure:{t.measure_id}" if t.measure_id else None,
    }


def _latest(done: list[Task], form_key: str) -> Task | None:
    found = [t for t in done if t.form_key == form_key]
    return max(found, key=lambda t: (t.closed_at or t.created_at, t.id)) if found else None


def _form(t: Task | None, person: Person) -> dict[str, Any] | None:
    return None if t is None else {**signed(t, person), "input": task_input(t)}


def _survey(t: Task | None, person: Person, min_answers: int) -> dict[str, Any]:
    """Below the anonymity threshold no figures at all, whatever was stored."""
    if t is None:
        return {"ref": "survey", "status": "missing"}
    data = task_input(t)
    out = {
        **signed(t, person),
        "survey_name": data.get("survey_name", ""),
        "invited": data.get("invited"),
        "answered": data.get("answered"),
        "findings": data.get("findings", ""),
        "min_answers": min_answers,
    }
    if suppressed(data.get("answered"), min_answers):
        return {**out, "status": "suppressed"}
    figures = {k: data.get(k) for k in ("motivation", "leadership", "governance")}
    parts = [v for v in figures.values() if isinstance(v, int | float)]
    hme = round(sum(parts) / 3, 1) if len(parts) == 3 else None
    return {**out, "status": "shown", **figures, "hme": hme}


def _risks(b: Bundle, c: Cycle, t: Task | None, person: Person) -> dict[str, Any] | None:
    rows = b.risks.get(c.id, [])
    if t is None and not rows:
        return None
    data = task_input(t) if t is not None else {}
    return {
        **(signed(t, person) if t is not None else {"ref": "risk_assessment"}),
        "context": data.get("context"),
        "participants": data.get("participants", ""),
        "safety_rep_participated": data.get("safety_rep_participated"),
        "note": data.get("note", ""),
        "risks": [
            {
                "ref": f"risk:{r.id}",
                "position": r.position,
                "description": r.description,
                "domain": r.domain,
                "probability": r.probability,
                "consequence": r.consequence,
                "level": level(r.probability, r.consequence).key,
                "serious": r.serious,
            }
            for r in rows
        ],
    }


def _plan(
    b: Bundle, c: Cycle, t: Task | None, person: Person, where: Where, today: date
) -> dict[str, Any] | None:
    items = b.items.get(c.id, [])
    if t is None and not items:
        return None
    data = task_input(t) if t is not None else {}
    on = judge_day(c, today)  # an archived plan is judged at the day it closed
    return {
        **(signed(t, person) if t is not None else {"ref": "plan"}),
        "participants": data.get("participants", ""),
        "source_material": data.get("source_material", ""),
        "judged_on": on.isoformat(),
        "items": [_item(b, i, person, where, on) for i in items],
    }


def _item(b: Bundle, i: ActionItem, person: Person, where: Where, today: date) -> dict[str, Any]:
    lvl = level(i.probability, i.consequence).key if i.probability and i.consequence else None
    return {
        "ref": f"item:{i.id}",
        "number": i.number,
        "area": i.area,
        "current_state": i.current_state,
        "risk": f"risk:{i.risk_id}" if i.risk_id else None,
        "level": lvl,
        "measures": [_measure(b, i, m, person, where, today) for m in b.measures.get(i.id, [])],
    }


def _measure(
    b: Bundle, i: ActionItem, m: Measure, person: Person, where: Where, today: date
) -> dict[str, Any]:
    late = m.status in OPEN_MEASURE_STATES and m.due_date is not None and m.due_date < today
    return {
        "ref": f"measure:{m.id}",
        "number": f"{i.number}.{m.number}",
        "what": m.what,
        "desired_result": m.desired_result,
        "responsible": m.responsible,
        "responsible_person": person(m.responsible_person_id),
        "responsible_role": where(f"{m.responsible_role}@{m.responsible_unit_id}")
        if m.responsible_role
        else None,
        "due": iso(m.due_date),
        "due_label": m.due_label,  # as written ("hösten 2027"), when a period
        "follow_up": iso(m.follow_up_date),
        "status": m.status,
        "done_on": iso(m.done_on),
        "on_time": m.done_on <= m.due_date if m.done_on and m.due_date else None,
        "overdue": late,
        "effect": m.effect,
        "effect_ok": m.effect_ok,
        "history": [
            {
                "ref": f"measure_event:{e.id}",
                "at": iso(e.at),
                "about": iso(e.about),  # the day it is about, when not the day recorded
                "event": e.event,
                "status": e.status,
                "note": e.note,
                "reason": e.reason,
                "by": person(e.actor_id),
                "on_behalf_of": person(e.on_behalf_of_id),
            }
            for e in b.measure_events.get(m.id, [])
        ],
    }


def _approval(t: Task, person: Person) -> dict[str, Any]:
    data = task_input(t)
    return {
        **signed(t, person),
        "key": t.key,
        "round": t.round,
        **{k: data.get(k) for k in ("decision", "comment", "body", "established_on")},
        "protocol_ref": data.get("protocol_ref", ""),
    }


def _follow_ups(b: Bundle, c: Cycle, done: list[Task], person: Person) -> list[dict[str, Any]]:
    numbers = {
        m.id: f"{i.number}.{m.number}" for i in b.items.get(c.id, []) for m in b.measures[i.id]
    }
    out = []
    for t in done:
        if t.form_key != "measure_follow_up":
            continue
        data = task_input(t)
        out.append(
            {
                **signed(t, person),
                "measure": f"measure:{t.measure_id}",
                "number": numbers.get(t.measure_id or 0, "?"),
                **{k: data.get(k) for k in ("status", "effect", "effect_ok", "note", "reason")},
                "new_follow_up_date": data.get("new_follow_up_date"),
            }
        )
    return out
