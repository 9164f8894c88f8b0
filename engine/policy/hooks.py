"""The named hooks of policy and knowledge (registered in ``engine.catalog``): what
completing a review or a renewal writes, and the sweep step that opens them in time."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from engine.context import Actor, App, Tx
from engine.db.models.duties.policy import (
    PolicyDocument,
    PolicyReview,
    PolicyVersion,
    TrainingRecord,
)
from engine.db.models.workflow.process import ProcessCase
from engine.db.queries import TaskRef
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput, SamflowError
from engine.policy import documents, knowledge
from engine.workflow.process import cases as processes
from forms.schemas.base import Form
from forms.schemas.duties.policy import PolicyReview as ReviewForm
from forms.schemas.duties.policy import TrainingRenewal

SWEEP = Actor.system("sweep")
RENEWAL_KIND = "training_renewal"


def _case_of(tx: Tx, task: TaskRef) -> tuple[ProcessCase, dict[str, Any]]:
    case = tx.session.scalar(select(ProcessCase).where(ProcessCase.cycle_id == task.cycle_id))
    assert case is not None, "a review or renewal task belongs to its case"
    return case, json.loads(case.data)


def reviewed(tx: Tx, actor: Actor, task: TaskRef, form: Form) -> dict[str, Any]:
    """``policy.reviewed``: the owner's yearly review is recorded with the document (who,
    when, which version, the outcome) and sets the next review date — a year on unless
    the owner names one — so the review recurs every year (AFS 2023:1)."""
    assert isinstance(form, ReviewForm)
    s, today = tx.session, local_date(tx.now)
    _, data = _case_of(tx, task)
    doc = s.scalar(select(PolicyDocument).where(PolicyDocument.code == data["document"]))
    assert doc is not None
    nxt = form.next_review or documents.one_year_after(today)
    if nxt <= today:
        raise InvalidInput.field(
            "next_review",
            "the next review must be after today",
            "nästa översyn måste ligga efter i dag",
        )
    current = s.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.document_id == doc.id)
        .order_by(PolicyVersion.number.desc())
        .limit(1)
    )
    assert current is not None
    s.add(
        PolicyReview(
            document_id=doc.id,
            version_id=current.id,
            task_id=task.id,
            outcome=form.outcome,
            note=form.note,
            next_review=nxt,
            reviewed_at=tx.now,
            reviewed_by=actor.person_id,
        )
    )
    doc.review_by = nxt
    tx.record(
        documents.chain(doc.id),
        "policy.reviewed",
        "policy_document",
        doc.id,
        actor,
        unit_id=doc.unit_id,
        data={
            "document": doc.code,
            "number": current.number,
            "outcome": form.outcome,
            "next_review": nxt.isoformat(),
            "task": f"task:{task.id}",
        },
    )
    return {"document": doc.code, "outcome": form.outcome, "next_review": nxt.isoformat()}


def renewed(tx: Tx, actor: Actor, task: TaskRef, form: Form) -> dict[str, Any]:
    """``training.renewed``: the renewed training is a new record beside the old one (for
    the same person, role and course), so what they knew when stays readable."""
    assert isinstance(form, TrainingRenewal)
    _, data = _case_of(tx, task)
    old = tx.session.get(TrainingRecord, int(data["record"]))
    assert old is not None
    if form.taken_on > local_date(tx.now):
        raise InvalidInput.field("taken_on", "is ahead of today", "ligger efter i dag")
    row = knowledge._insert(
        tx,
        actor,
        old.person_id,
        old.unit_id,
        old.role,
        old.course_key,
        form.course,
        form.taken_on,
        form.valid_until,
        "",
        None,
        renews=old.id,
    )
    return {"record": f"training_record:{row.id}", "valid_until": _iso(form.valid_until)}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def due(app: App) -> dict[str, int]:
    """``policy.due`` (a sweep step): a review case for every active document whose
    review date is within ``policy_review_lead_days`` and has none open, and a renewal
    case for every training lapsing within ``knowledge_reminder_days`` that is neither
    renewed nor already being renewed. Each opens in its own transaction (one failure —
    an owner nobody holds — is counted, not fatal); run again, it opens nothing new."""
    day = local_date(app.clock.now())
    opened = {"reviews": 0, "renewals": 0, "failed": 0}
    with app.read() as s:
        horizon = documents.review_window(app.settings, day)
        docs = list(
            s.scalars(
                select(PolicyDocument).where(
                    PolicyDocument.active.is_(True),
                    PolicyDocument.review_by.is_not(None),
                    PolicyDocument.review_by <= horizon,
                )
            )
        )
        review_todo = [d for d in docs if not documents.has_open_review(s, d.code)]
        subjects = [_review_subject(s, d, day) for d in review_todo]
        lapsing = _lapsing(app, s, day)
    for subject in subjects:
        opened[_open(app, "policy_review", subject, "reviews")] += 1
    for subject in lapsing:
        opened[_open(app, RENEWAL_KIND, subject, "renewals")] += 1
    return opened


def _open(app: App, kind: str, subject: dict[str, Any], counter: str) -> str:
    try:
        processes.open_case(app, SWEEP, kind, processes.parse_subject(kind, subject))
    except SamflowError:
        return "failed"
    return counter


def _review_subject(s: Any, d: PolicyDocument, day: date) -> dict[str, Any]:
    from engine.db.models import OrgUnit

    unit = s.get(OrgUnit, d.unit_id)
    number = s.scalar(
        select(PolicyVersion.number)
        .where(PolicyVersion.document_id == d.id)
        .order_by(PolicyVersion.number.desc())
        .limit(1)
    )
    assert d.review_by is not None
    return {
        "unit": unit.code,
        "document": d.code,
        "title": d.title,
        "version": number or 1,
        "opened_on": day.isoformat(),
        "review_by": max(d.review_by, day).isoformat(),
        "owner_hr": d.owner_role == "hr",
        "owner_director": d.owner_role == "director",
        "owner_manager": d.owner_role == "manager",
    }


def _lapsing(app: App, s: Any, day: date) -> list[dict[str, Any]]:
    from datetime import timedelta

    from engine.db.models import OrgUnit, Person

    horizon = day + timedelta(days=app.settings.knowledge_reminder_days)
    rows = list(
        s.execute(
            select(TrainingRecord, Person.name, OrgUnit.code)
            .join(Person, Person.id == TrainingRecord.person_id)
            .join(OrgUnit, OrgUnit.id == TrainingRecord.unit_id)
            .where(
                TrainingRecord.valid_until.is_not(None),
                TrainingRecord.valid_until <= horizon,
                Person.active.is_(True),
            )
        ).tuples()
    )
    if not rows:
        return []
    taken: set[int] = set()  # records a renewal case was opened for
    for (data,) in s.execute(select(ProcessCase.data).where(ProcessCase.kind == RENEWAL_KIND)):
        taken.add(int(json.loads(data)["record"]))
    people = {r.person_id for r, _, _ in rows}
    later: dict[tuple[int, str, str], date] = {}
    for p, role, key, taken_on in s.execute(
        select(
            TrainingRecord.person_id,
            TrainingRecord.role,
            TrainingRecord.course_key,
            TrainingRecord.taken_on,
        ).where(TrainingRecord.person_id.in_(people))
    ):
        k = (p, role, key)
        later[k] = max(later.get(k, taken_on), taken_on)
    out = []
    for r, name, code in rows:
        assert r.valid_until is not None
        renewed_since = later.get((r.person_id, r.role, r.course_key), r.taken_on) > r.taken_on
        if r.id in taken or renewed_since:
            continue
        out.append(
            {
                "unit": code,
                "record": r.id,
                "person": name,
                "role": r.role,
                "course": r.course,
                "opened_on": day.isoformat(),
                "valid_until": max(r.valid_until, day).isoformat(),
            }
        )
    return out


def review_context(s: Any, task: Any, case: ProcessCase, item: Any) -> dict[str, Any]:
    """``policy.review_context``: the review task's page shows the document under review —
    its title, the current version's text and dates — so the owner reviews what it says."""
    data = json.loads(case.data)
    doc = s.scalar(select(PolicyDocument).where(PolicyDocument.code == data["document"]))
    if doc is None:
        return {}
    current = s.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.document_id == doc.id)
        .order_by(PolicyVersion.number.desc())
        .limit(1)
    )
    return {
        "policy_review": {
            "code": doc.code,
            "title": doc.title,
            "version": current.number if current else 0,
            "valid_from": current.valid_from if current else None,
            "body": current.body if current else "",
            "review_by": doc.review_by,
        }
    }


def renewal_context(s: Any, task: Any, case: ProcessCase, item: Any) -> dict[str, Any]:
    """``training.renewal_context``: the renewal task's page names whose training lapses,
    which course and when."""
    data = json.loads(case.data)
    return {
        "training_renewal": {
            "person": data.get("person", ""),
            "course": data.get("course", ""),
            "valid_until": date.fromisoformat(data["valid_until"]),
        }
    }
