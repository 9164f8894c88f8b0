"""A safety representative's request (AML 6 kap. 6 a §; ``safety-request.yaml``): the
named hooks. The employer must answer in writing; unanswered by the date asked, or
refused, the representative may turn to Arbetsmiljöverket."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.models import AuditEvent
from engine.domain.clock import local_date
from engine.domain.errors import FieldError
from engine.workflow.process.views import CaseView
from forms.schemas.base import Form
from forms.schemas.duties.cases import SafetyRequest

KIND = "safety_request"


def dates(subject: Form, today: date) -> list[FieldError]:
    """``safety_request.dates``: the request is not dated ahead, and its reply date has not
    passed (a reply already late could not be asked for)."""
    assert isinstance(subject, SafetyRequest)
    out = []
    if subject.filed_on > today:
        out.append(FieldError("filed_on", "the date is in the future", "datumet ligger framåt"))
    if subject.reply_by < today:
        out.append(
            FieldError("reply_by", "the reply date has passed", "svarsdatumet har redan passerat")
        )
    return out


def status(s: Session, view: CaseView, now: datetime) -> dict[str, Any]:
    """``safety_request.status``: replied or not, the decision, and whether the
    representative may now turn to Arbetsmiljöverket (AML 6:6a): the reply is a refusal,
    or the reply date passed without one."""
    reply = view.task("reply")
    given = json.loads(reply.data) if reply is not None and reply.data else {}
    replied = reply is not None and reply.status == "completed"
    deadline = view.case.deadline
    late = not replied and deadline is not None and local_date(now) > deadline
    refused = replied and given.get("decision") == "refused"
    reason = "refused" if refused else "unanswered" if late else None
    return {
        "replied": replied,
        "replied_at": reply.closed_at if replied and reply is not None else None,
        "decision": given.get("decision") if replied else None,
        "may_turn_to_av": reason is not None,
        "av_reason": reason,
    }


def receipt(s: Session, view: CaseView, base: dict[str, Any]) -> dict[str, Any]:
    """``safety_request.receipt``: the written receipt: what was asked, by whom, when it
    was received and the date the employer must reply by."""
    c = view.case
    by = queries.person_names(s, [c.created_by] if c.created_by else []).get(
        c.created_by or 0, ("", "")
    )[0]
    base[KIND]["filed_by"] = by
    base["received_at"] = c.created_at
    return base


def history(s: Session, view: CaseView, base: dict[str, Any]) -> dict[str, Any]:
    """``safety_request.history``: the whole case in one document: the request, the
    receipt, every task with its holder and answer, and every event of its audit chain."""
    base = receipt(s, view, base)
    people = queries.person_names(s, [t.closed_by for t in view.tasks if t.closed_by])
    base["tasks"] = [
        {
            "key": t.key,
            "status": t.status,
            "due": t.due_at,
            "closed_at": t.closed_at,
            "by": people.get(t.closed_by or 0, ("", ""))[0],
            "escalation_level": t.escalation_level,
            "input": json.loads(t.data) if t.data else {},
        }
        for t in view.tasks
    ]
    events = s.scalars(
        select(AuditEvent)
        .where(AuditEvent.chain == f"cycle:{view.case.cycle_id}")
        .order_by(AuditEvent.seq)
    )
    base["events"] = [
        {"seq": e.seq, "at": e.at, "actor": e.actor_label, "action": e.action, "hash": e.hash}
        for e in events
    ]
    base["documents"] = [
        {"key": d.key, "at": d.created_at, "digest": d.digest} for d in view.documents
    ]
    base["state"] = status(s, view, base["as_of"])
    return base
