"""The evidence package's policy section (AFS 2023:1 on policy, routines and knowledge):
the policy and routines that apply to the scope (at its units or above them), each with
every version (text digest, from when, review date, who made it and when), the managers'
read-acknowledgements of each version (who, when) and the yearly reviews (who, when, the
outcome); whether the employer must have them in writing (its headcount); and the training
records of the managers and safety representatives in scope with the managers lacking the
knowledge their role requires.

Everything is read as of the package's moment (rows made later are left out), so the
package verifies later; its records are audited in the chains ``policy:<document>`` and
``knowledge:<unit>``, which the package reads too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.models import OrgUnit
from engine.db.models.duties.policy import (
    PolicyAck,
    PolicyDocument,
    PolicyReview,
    PolicyVersion,
    TrainingRecord,
)
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.evidence.common import Person, iso
from engine.evidence.load import in_batches
from engine.settings import Settings


@dataclass
class PolicyRows:
    documents: list[PolicyDocument] = field(default_factory=list)
    versions: dict[int, list[PolicyVersion]] = field(default_factory=lambda: defaultdict(list))
    acks: dict[int, list[PolicyAck]] = field(default_factory=lambda: defaultdict(list))
    reviews: dict[int, list[PolicyReview]] = field(default_factory=lambda: defaultdict(list))
    records: list[TrainingRecord] = field(default_factory=list)
    managers: list[tuple[int, int]] = field(default_factory=list)  # (person, unit) on the day
    headcount: int = 0

    def chains(self) -> list[str]:
        docs = [f"policy:{d.id}" for d in self.documents]
        return docs + [f"knowledge:{u}" for u in sorted({r.unit_id for r in self.records})]

    def people(self) -> list[int | None]:
        out: list[int | None] = [v.created_by for vs in self.versions.values() for v in vs]
        out += [a.person_id for xs in self.acks.values() for a in xs]
        out += [r.reviewed_by for xs in self.reviews.values() for r in xs]
        out += [r.person_id for r in self.records] + [r.created_by for r in self.records]
        return out + [p for p, _ in self.managers]


def load_policy(
    s: Session,
    scope_ids: Sequence[int],
    ancestors: Sequence[int],
    as_of: datetime,
    day: date,
    top: int,
) -> PolicyRows:
    rows = PolicyRows()
    applies = sorted({*scope_ids, *ancestors})
    docs = in_batches(
        s,
        select(PolicyDocument)
        .where(PolicyDocument.created_at <= as_of)
        .order_by(PolicyDocument.id),
        PolicyDocument.unit_id,
        applies,
    )
    rows.documents = sorted(docs, key=lambda d: d.id)
    ids = [d.id for d in rows.documents]
    versions = in_batches(
        s,
        select(PolicyVersion)
        .where(PolicyVersion.created_at <= as_of)
        .order_by(PolicyVersion.number),
        PolicyVersion.document_id,
        ids,
    )
    for v in versions:
        rows.versions[v.document_id].append(v)
    for a in in_batches(
        s,
        select(PolicyAck).where(PolicyAck.acknowledged_at <= as_of).order_by(PolicyAck.id),
        PolicyAck.version_id,
        [v.id for v in versions],
    ):
        rows.acks[a.version_id].append(a)
    for r in in_batches(
        s,
        select(PolicyReview).where(PolicyReview.reviewed_at <= as_of).order_by(PolicyReview.id),
        PolicyReview.document_id,
        ids,
    ):
        rows.reviews[r.document_id].append(r)
    rows.records = in_batches(
        s,
        select(TrainingRecord)
        .where(TrainingRecord.created_at <= as_of)
        .order_by(TrainingRecord.id),
        TrainingRecord.unit_id,
        list(scope_ids),
    )
    held = queries.holders_of(s, [Address(Role.MANAGER, u) for u in scope_ids], day)
    rows.managers = sorted({(p, a.unit_id) for a, ps in held.items() for p in ps})
    rows.headcount = int(
        s.scalar(
            select(func.coalesce(func.sum(OrgUnit.headcount), 0)).where(
                OrgUnit.id.in_(queries.org_snapshot(s, day).subtree(top)),
                OrgUnit.active.is_(True),
            )
        )
        or 0
    )
    return rows


def section(
    rows: PolicyRows, person: Person, codes: dict[int, str], settings: Settings, day: date
) -> dict[str, Any]:
    docs = []
    for d in rows.documents:
        versions = rows.versions.get(d.id, [])
        reviews = rows.reviews.get(d.id, [])
        by_id = {v.id: v.number for v in versions}
        # the review date as of the package: the latest version's or review's, by time
        dated = [(v.created_at, v.review_by) for v in versions]
        dated += [(r.reviewed_at, r.next_review) for r in reviews]
        review_by = max(dated)[1] if dated else None
        docs.append(
            {
                "ref": f"policy_document:{d.id}",
                "chain": f"policy:{d.id}",
                "code": d.code,
                "kind": d.kind,
                "topic": d.topic,
                "title": d.title,
                "unit": codes.get(d.unit_id),
                "owner": d.owner_role,
                "review_by": iso(review_by),
                "review_overdue": review_by is not None and review_by < day,
                "versions": [
                    {
                        "ref": f"policy_version:{v.id}",
                        "number": v.number,
                        "digest": v.digest,
                        "written": bool(v.body),
                        "valid_from": iso(v.valid_from),
                        "review_by": iso(v.review_by),
                        "note": v.note,
                        "at": iso(v.created_at),
                        "by": person(v.created_by),
                        "acknowledged": [
                            {"by": person(a.person_id), "at": iso(a.acknowledged_at)}
                            for a in rows.acks.get(v.id, [])
                        ],
                    }
                    for v in versions
                ],
                "reviews": [
                    {
                        "at": iso(r.reviewed_at),
                        "by": person(r.reviewed_by),
                        "version": by_id.get(r.version_id),
                        "outcome": r.outcome,
                        "note": r.note,
                        "next_review": iso(r.next_review),
                    }
                    for r in reviews
                ],
            }
        )
    covered = {d["topic"] for d in docs if d["versions"]}
    required = settings.knowledge_required.get("manager", [])
    valid: set[int] = {
        r.person_id
        for r in rows.records
        if r.course_key in required and (r.valid_until is None or r.valid_until >= day)
    }
    return {
        "headcount": rows.headcount,
        "written_required": rows.headcount >= settings.policy_written_from,
        "written_from": settings.policy_written_from,
        "documents": docs,
        "missing": [t for t in settings.policy_required_topics if t not in covered],
        "training": [
            {
                "ref": f"training_record:{r.id}",
                "chain": f"knowledge:{r.unit_id}",
                "person": person(r.person_id),
                "unit": codes.get(r.unit_id),
                "role": r.role,
                "course": r.course,
                "course_key": r.course_key,
                "taken_on": iso(r.taken_on),
                "valid_until": iso(r.valid_until),
                "lapsed": r.valid_until is not None and r.valid_until < day,
                "recorded_at": iso(r.created_at),
                "recorded_by": person(r.created_by),
            }
            for r in rows.records
        ],
        "managers_lacking_knowledge": [
            {"person": person(p), "unit": codes.get(u)} for p, u in rows.managers if p not in valid
        ],
    }
