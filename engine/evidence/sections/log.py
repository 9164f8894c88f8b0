"""The history of a cycle as the evidence package tells it: tasks returned up the line
(with the written reason and where they went), and from the audit log the escalations,
deadline changes (with reasons), plans sent back and delegations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.db.models import Task
from engine.domain.clock import as_utc, local_date
from engine.evidence.audit import AuditSlice, data_of, events_of
from engine.evidence.common import Holder, Person, Where, iso, signed


def returns(tasks: list[Task], person: Person, where: Where) -> list[dict[str, Any]]:
    """Returned tasks (returnering) with the written reason and where they went."""
    successor = {t.returned_from_id: t for t in tasks if t.returned_from_id}
    out = []
    for t in tasks:
        if t.status != "returned":
            continue
        nxt = successor.get(t.id)
        out.append(
            {
                **signed(t, person),
                "key": t.key,
                "reason": t.reason,
                "to": where(f"{nxt.role}@{nxt.role_unit_id}") if nxt and nxt.role else None,
                "new_task": f"task:{nxt.id}" if nxt else None,
            }
        )
    return out


def from_log(
    sl: AuditSlice,
    chain: str,
    tasks: dict[int, Task],
    person: Person,
    where: Where,
    holder: Holder,
) -> dict[str, Any]:
    """Escalations, deadline changes, plans sent back and delegations, as logged. An
    escalation names who held the role it went to that day, and how late the task was."""
    esc, ext, back, dele = [], [], [], []
    wanted = ("task.escalated", "task.due_extended", "cycle.sent_back", "task.delegated")
    for e in events_of(sl, chain, wanted):
        d = data_of(e)
        task = int(e.subject_id) if e.subject_type == "task" and e.subject_id.isdigit() else 0
        base = {
            "ref": f"event:{e.chain}#{e.seq}",
            "at": e.at_text,
            "task": f"task:{task}" if task else None,
            "key": tasks[task].key if task in tasks else None,
        }
        who = {"by": person(e.actor_id), "on_behalf_of": person(e.on_behalf_of_id)}
        if e.action == "task.escalated":
            t = tasks.get(task)
            day = local_date(as_utc(datetime.fromisoformat(e.at_text)))
            due = d.get("due_at") or (iso(t.due_at) if t is not None else None)
            late = (day - local_date(as_utc(datetime.fromisoformat(due)))).days if due else None
            esc.append(
                {
                    **base,
                    "level": d.get("level"),
                    "to": where(d.get("to")),
                    "holder": holder(d.get("to"), day.isoformat()),
                    "due": due,
                    "days_late": late,
                }
            )
        elif e.action == "task.due_extended":
            ext.append(
                {
                    **base,
                    **who,
                    "from": d.get("from"),
                    "to": d.get("to"),
                    "reason": d.get("reason", ""),
                }
            )
        elif e.action == "cycle.sent_back":
            back.append(
                {
                    **base,
                    **who,
                    "from": d.get("from"),
                    "to": d.get("to"),
                    "reason": d.get("reason", ""),
                }
            )
        else:
            dele.append({**base, **who, "to": d.get("to_email"), "reason": d.get("reason", "")})
    return {"escalations": esc, "deadline_changes": ext, "sent_back": back, "delegations": dele}
