"""Policy, routines and knowledge (issue 10 §8) end to end through the use cases on SQLite
and PostgreSQL: a document with versions, managers' read-acknowledgements, the yearly
review task the sweep opens (reminded, escalated, completed: the next review a year on),
written form computed from headcount; training records, the renewal task before expiry,
the managers the year start lists as lacking knowledge; and the refusals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from engine.context import App
from engine.db.models import AuditEvent, OrgUnit
from engine.db.models.duties.policy import TrainingRecord
from engine.domain.clock import FrozenClock
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted
from engine.policy import documents, knowledge
from engine.workflow import sweeps, tasks, yearstart
from forms.schemas.duties.policy import PolicyDocumentInput, PolicyVersionInput, TrainingInput
from tests.factories import Org, build_org

POLICY = {
    "code": "AMP",
    "unit": "ADM",
    "topic": "policy",
    "title": "Arbetsmiljöpolicy",
    "owner": "hr",
}
V1 = {"body": "Vi arbetar förebyggande.", "valid_from": "2027-01-01", "review_by": "2027-02-01"}


@pytest.fixture
def o(app: App) -> Org:
    return build_org(app)


def _doc(data: dict[str, Any]) -> PolicyDocumentInput:
    return documents.parse(PolicyDocumentInput, data)


def _ver(data: dict[str, Any]) -> PolicyVersionInput:
    return documents.parse(PolicyVersionInput, data)


def _events(o: Org, chain: str) -> list[str]:
    with o.app.read() as s:
        return list(
            s.scalars(
                select(AuditEvent.action).where(AuditEvent.chain == chain).order_by(AuditEvent.id)
            )
        )


def test_policy_versions_acknowledgements_and_the_yearly_review(o: Org, clock: FrozenClock) -> None:
    hr = o.actor("hr@x.se")
    made = documents.create(o.app, hr, _doc(POLICY), _ver(V1))
    assert (made.version, made.review_by) == (1, date(2027, 2, 1))
    # the line at or below the unit acknowledges; a second time changes nothing
    ack = documents.acknowledge(o.app, o.actor("m1@x.se"), made.document_id)
    assert (
        not ack.already
        and documents.acknowledge(o.app, o.actor("m1@x.se"), made.document_id).already
    )
    with pytest.raises(NotPermitted):
        documents.acknowledge(o.app, o.actor("so1@x.se"), made.document_id)
    with pytest.raises(NotPermitted):
        documents.publish(o.app, o.actor("m1@x.se"), made.document_id, _ver(V1))
    shown = documents.show(o.app, o.actor("dir@x.se"), made.document_id)
    assert shown.employer.headcount == 84 and shown.employer.written_required
    assert "Maja Chef" not in shown.not_acknowledged and "Mats Chef" in shown.not_acknowledged
    row = shown.row
    assert (row.acknowledged, row.readers) == (1, 4)  # m1 of dir, dep, m1, m2

    # the sweep opens the review task before the review date; it is the owner's (HR's)
    report = sweeps.sweep(o.app)  # 10 January: within 30 days of 1 February
    assert report.steps.get("policy.due:reviews") == 1
    assert sweeps.sweep(o.app).steps.get("policy.due:reviews") is None  # not twice
    review = o.task("hr@x.se", "review_hr")
    assert review.due_at.date() == date(2027, 2, 1)
    # reminded before the date, escalated to the director after it
    clock.set(clock.now() + timedelta(days=20))  # 30 January
    assert sweeps.sweep(o.app).reminded == 1
    clock.set(clock.now() + timedelta(days=5))
    assert sweeps.sweep(o.app).escalated == 1
    assert any(i.task_id == review.task_id for i in o.inbox("dir@x.se"))
    with pytest.raises(InvalidInput) as bad:
        tasks.complete_task(
            o.app, hr, review.task_id, {"outcome": "unchanged", "next_review": "2027-01-01"}
        )
    assert bad.value.errors[0].path == "next_review"
    tasks.complete_task(o.app, hr, review.task_id, {"outcome": "revise", "note": "Ny lag"})
    shown = documents.show(o.app, hr, made.document_id)
    assert shown.row.review_by == date(2028, 2, 4) and shown.reviews[0].by == "Hugo HR"
    assert shown.review_task is None
    # a new version; the old one stays readable and its acknowledgements too
    v2 = documents.publish(
        o.app,
        hr,
        made.document_id,
        _ver({**V1, "body": "Version två", "valid_from": "2027-02-10", "review_by": None}),
    )
    assert (v2.version, v2.review_by) == (2, date(2028, 2, 10))
    shown = documents.show(o.app, hr, made.document_id)
    assert [v.number for v in shown.versions] == [2, 1]
    assert shown.versions[1].acknowledgements[0][0] == "Maja Chef"
    assert "Maja Chef" in shown.not_acknowledged  # the new version is not read yet
    assert _events(o, documents.chain(made.document_id)) == [
        "policy.created",
        "policy.version_published",
        "policy.acknowledged",
        "policy.reviewed",
        "policy.version_published",
    ]


def test_written_form_from_headcount_and_the_refusals(o: Org) -> None:
    hr = o.actor("hr@x.se")
    with pytest.raises(InvalidInput) as bad:
        documents.create(o.app, hr, _doc(POLICY), _ver({**V1, "body": ""}))
    assert bad.value.errors[0].path == "body" and "84" in bad.value.errors[0].message_sv
    with o.app.db.write() as s:  # a small employer: nine employees
        s.execute(update(OrgUnit).values(headcount=0))
        s.execute(update(OrgUnit).where(OrgUnit.code == "U1").values(headcount=9))
    with pytest.raises(InvalidInput) as bad:
        documents.create(o.app, hr, _doc(POLICY), _ver({**V1, "body": ""}))
    assert bad.value.errors[0].path == "note"
    made = documents.create(
        o.app, hr, _doc(POLICY), _ver({**V1, "body": "", "note": "Muntligt på APT"})
    )
    assert not documents.show(o.app, hr, made.document_id).employer.written_required
    with pytest.raises(Conflict):
        documents.create(o.app, hr, _doc(POLICY), _ver(V1))
    with pytest.raises(NotPermitted):
        documents.create(o.app, o.actor("m1@x.se"), _doc({**POLICY, "code": "X"}), _ver(V1))
    with pytest.raises(InvalidInput) as bad:
        documents.parse(PolicyVersionInput, {"valid_from": "2027-03-01", "review_by": "2027-01-01"})
    assert bad.value.errors[0].path == "review_by"
    local = documents.create(
        o.app,
        hr,
        _doc({**POLICY, "code": "U2R", "unit": "U2", "topic": "incidents", "owner": "manager"}),
        _ver(V1),
    )
    with pytest.raises(NotFound):  # U1's people do not see U2's routine
        documents.show(o.app, o.actor("m1@x.se"), local.document_id)
    assert documents.show(o.app, o.actor("m2@x.se"), local.document_id).row.code == "U2R"
    seen = documents.overview(o.app, o.actor("m1@x.se"))
    assert [d.code for d in seen.documents] == ["AMP"]
    assert "incidents" in seen.missing and "policy" not in seen.missing


def test_training_records_renewal_and_the_year_start_list(o: Org, clock: FrozenClock) -> None:
    hr = o.actor("hr@x.se")

    def train(**kw: Any) -> knowledge.Recorded:
        data = {
            "email": "m1@x.se",
            "unit": "U1",
            "role": "manager",
            "course_key": "bam",
            "taken_on": "2024-03-01",
        } | kw
        return knowledge.record(o.app, hr, documents.parse(TrainingInput, data))

    with o.app.read() as s:
        lacking = {
            x.email
            for x in yearstart.lacking_knowledge(
                s, o.app.settings, o.units.values(), date(2027, 1, 10)
            )
        }
    assert {"m1@x.se", "m2@x.se", "dep@x.se"} <= lacking
    rec = train(valid_until="2027-02-15")
    train(email="m2@x.se", unit="U2", valid_until="2026-12-31")  # lapsed
    gaps = {x.email: x for x in yearstart.knowledge_gaps(o.app, hr)}
    assert "m1@x.se" not in gaps and gaps["m2@x.se"].lapsed == (("bam", date(2026, 12, 31)),)
    assert yearstart.knowledge_gaps(o.app, o.actor("m1@x.se")) == []  # only for HR/director
    with pytest.raises(InvalidInput) as bad:
        train(email="so1@x.se", course_key="nope", taken_on="2030-01-01")
    assert sorted(e.path for e in bad.value.errors) == ["course_key", "email", "taken_on"]
    with pytest.raises(NotPermitted):
        knowledge.record(
            o.app,
            o.actor("m1@x.se"),
            documents.parse(
                TrainingInput,
                {
                    "email": "so1@x.se",
                    "unit": "U1",
                    "role": "safety_rep",
                    "course_key": "safety_rep",
                    "taken_on": "2026-01-01",
                },
            ),
        )
    # who sees what
    assert [r.id for r in knowledge.overview(o.app, o.actor("m1@x.se")).records] == [rec.record_id]
    with pytest.raises(NotFound):
        knowledge.overview(o.app, o.actor("m1@x.se"), "U2")
    assert len(knowledge.overview(o.app, o.actor("dep@x.se")).records) == 2
    # the sweep opens a renewal for both (one lapsing, one lapsed); due at valid_until
    report = sweeps.sweep(o.app)
    assert report.steps.get("policy.due:renewals") == 2
    renew = o.task("m1@x.se", "renew_training")
    assert renew.due_at.date() == date(2027, 2, 15)
    tasks.complete_task(
        o.app,
        o.actor("m1@x.se"),
        renew.task_id,
        {"course": "BAM", "taken_on": "2027-01-09", "valid_until": "2030-01-09"},
    )
    with o.app.read() as s:
        rows = list(
            s.scalars(
                select(TrainingRecord).where(
                    TrainingRecord.person_id == o.actor("m1@x.se").person_id
                )
            )
        )
    assert [r.valid_until for r in rows] == [date(2027, 2, 15), date(2030, 1, 9)]
    assert _events(o, knowledge.chain(o.units["U1"])) == ["training.recorded", "training.recorded"]
    assert sweeps.sweep(o.app).steps.get("policy.due:renewals") is None


def test_evidence_package_carries_versions_acknowledgements_reviews_and_training(
    o: Org, clock: FrozenClock
) -> None:
    from engine.context import Actor
    from engine.evidence import package as evidence
    from engine.evidence import verify as evidence_verify
    from forms.exports.evidence_docs import evidence_html

    o.start()
    hr = o.actor("hr@x.se")
    made = documents.create(o.app, hr, _doc(POLICY), _ver(V1))
    documents.acknowledge(o.app, o.actor("m2@x.se"), made.document_id)
    knowledge.record(
        o.app,
        hr,
        documents.parse(
            TrainingInput,
            {
                "email": "m2@x.se",
                "unit": "U2",
                "role": "manager",
                "course_key": "sam",
                "taken_on": "2026-05-01",
            },
        ),
    )
    system = Actor.system("test")
    built = evidence.build(o.app, system, evidence.Scope("unit", "U2", 2027))
    po = built.data["policy"]
    (doc,) = po["documents"]
    assert doc["code"] == "AMP" and doc["versions"][0]["by"]["name"] == "Hugo HR"
    assert doc["versions"][0]["acknowledged"][0]["by"]["name"] == "Mats Chef"
    assert po["written_required"] and po["headcount"] == 84
    assert po["training"][0]["course"] == "SAM för chefer"
    assert po["managers_lacking_knowledge"] == []
    html = evidence_html(built.document(), "sv")
    assert "Policy, rutiner och kunskaper" in html and "Arbetsmiljöpolicy" in html
    # later work is told apart: a new version after the package is explained by its event
    clock.set(clock.now() + timedelta(days=2))
    documents.publish(
        o.app, hr, made.document_id, _ver({**V1, "body": "Två", "valid_from": "2027-01-12"})
    )
    report = evidence_verify.verify(o.app, system, built.document())
    assert report.file_intact
    assert all(d.verdict == "explained" for d in report.differences), report.differences
