"""The work-environment policy and the routines as versioned documents.

A document sits at a unit (usually the employer at the top) and is owned by a role there
(HR, the director, or the unit's manager): whoever holds the role reviews it every year
(``policy-review.yaml``, opened by the sweep before ``review_by``). A new version follows
the old one, which stays readable; every manager and director at or below the unit
acknowledges having read the current version. From ``settings.policy_written_from``
employees (the headcount of the organisation data, summed over the employer's units) the
policy and routines must be in writing: a version without text is refused there.

Who sees a document: anyone with a role at its unit or below it, and whoever oversees the
unit (the line, HR, the director above). Anyone else is told "not found". HR or a
director over the unit write documents and versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Cycle, OrgUnit, Task
from engine.db.models.duties.policy import PolicyAck, PolicyDocument, PolicyReview, PolicyVersion
from engine.db.models.workflow.process import ProcessCase
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted
from engine.domain.evidence import digest
from engine.domain.org import OrgSnapshot
from engine.domain.validation import field_errors
from engine.domain.workflow.routing import Address, RoleExpr, resolve
from engine.domain.workflow.states import Role
from engine.org import access
from engine.settings import Settings
from forms.schemas.base import Form
from forms.schemas.duties.policy import (
    OWNER_CHOICES,
    TOPIC_CHOICES,
    PolicyDocumentInput,
    PolicyVersionInput,
)

TOPICS = TOPIC_CHOICES
OWNERS = OWNER_CHOICES
#: Who acknowledges having read a document: the line at or below its unit.
READERS = (Role.MANAGER, Role.DIRECTOR)
REVIEW_KIND = "policy_review"
F = TypeVar("F", bound=Form)


def chain(document_id: int) -> str:
    """A document's audit chain: created, each version, acknowledgements, reviews."""
    return f"policy:{document_id}"


def parse(model: type[F], data: Mapping[str, Any]) -> F:
    """The input checked by its form; every bad field named at once."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None


def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


# --- the employer's size: written form -------------------------------------------------------
@dataclass(frozen=True)
class Employer:
    """The top of a unit's tree and how many work there (the organisation data's headcount,
    summed over its active units), and whether that means the policy and routines must be
    in writing."""

    unit_id: int
    code: str
    name: str
    headcount: int
    written_required: bool
    written_from: int


def employer_of(s: Session, settings: Settings, unit_id: int, org: OrgSnapshot) -> Employer:
    top = unit_id
    for a in org.ancestors(unit_id):
        top = a
    units = org.subtree(top)
    heads = 0
    for start in range(0, len(units), 500):
        heads += int(
            s.scalar(
                select(func.coalesce(func.sum(OrgUnit.headcount), 0)).where(
                    OrgUnit.id.in_(units[start : start + 500]), OrgUnit.active.is_(True)
                )
            )
            or 0
        )
    row = s.get(OrgUnit, top)
    assert row is not None
    limit = settings.policy_written_from
    return Employer(top, row.code, row.name, heads, heads >= limit, limit)


# --- who is what to a document ---------------------------------------------------------------
@dataclass(frozen=True)
class Standing:
    sees: bool
    manages: bool  # HR or a director at or above the unit
    reads: bool  # a manager or director at or below it: acknowledges


def standing(s: Session, actor: Actor, unit_id: int, day: date, org: OrgSnapshot) -> Standing:
    if actor.person_id is None:
        return Standing(True, True, False)
    auth = queries.authority(s, actor.person_id, day)
    up = [unit_id, *org.ancestors(unit_id)]
    manages = any(
        auth.on_behalf_for_address(Address(r, u))[0] for u in up for r in (Role.HR, Role.DIRECTOR)
    )
    mine = [
        a for a in auth.addresses if a.unit_id == unit_id or unit_id in org.ancestors(a.unit_id)
    ]
    reads = any(a.role in READERS for a in mine)
    sees = manages or bool(mine) or access.may_oversee(auth, org, unit_id)
    return Standing(sees, manages, reads)


def _load(s: Session, document_id: int) -> PolicyDocument:
    doc = s.get(PolicyDocument, document_id)
    if doc is None:
        raise NotFound("policy", document_id)
    return doc


def _visible(
    tx_or_s: Session, actor: Actor, doc: PolicyDocument, day: date
) -> tuple[Standing, OrgSnapshot]:
    org = queries.org_snapshot(tx_or_s, day)
    st = standing(tx_or_s, actor, doc.unit_id, day, org)
    if not st.sees:
        raise NotFound("policy", doc.id)
    return st, org


def _require_manages(st: Standing) -> None:
    if not st.manages:
        raise NotPermitted(
            "only HR or a director over the document's unit may change it",
            "bara HR eller en direktör över dokumentets enhet får ändra det",
        )


def _owner_routes(doc_unit: int, owner: str, org: OrgSnapshot) -> bool:
    return resolve(RoleExpr(Role(owner)), doc_unit, org) is not None


# --- writing ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Written:
    document_id: int
    version: int
    review_by: date


def create(app: App, actor: Actor, doc: PolicyDocumentInput, first: PolicyVersionInput) -> Written:
    """A new document with its first version (HR or a director over the unit)."""

    def work(tx: Tx) -> Written:
        s, today = tx.session, local_date(tx.now)
        unit = s.scalar(select(OrgUnit).where(OrgUnit.code == doc.unit, OrgUnit.active.is_(True)))
        if unit is None:
            raise InvalidInput.field(
                "unit", f"no unit has the code {doc.unit!r}", f"ingen enhet har koden {doc.unit!r}"
            )
        org = queries.org_snapshot(s, today)
        on_behalf = access.require_admin(s, tx, actor, [unit.id], org)
        if s.scalar(select(PolicyDocument.id).where(PolicyDocument.code == doc.code)):
            raise Conflict(
                f"a document already has the short name {doc.code!r}",
                f"ett dokument har redan kortnamnet {doc.code!r}",
            )
        if not _owner_routes(unit.id, doc.owner, org):
            sv, en = OWNERS[doc.owner]
            raise InvalidInput.field(
                "owner",
                f"nobody is {en.lower()} for the unit, so nobody would review it",
                f"ingen är {sv.lower()} för enheten, så ingen skulle se över den",
            )
        row = PolicyDocument(
            code=doc.code,
            unit_id=unit.id,
            kind="policy" if doc.topic == "policy" else "routine",
            topic=doc.topic,
            title=doc.title,
            owner_role=doc.owner,
            review_by=None,
            active=True,
            created_at=tx.now,
            created_by=actor.person_id,
        )
        s.add(row)
        s.flush()
        tx.record(
            chain(row.id),
            "policy.created",
            "policy_document",
            row.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=unit.id,
            data={"code": doc.code, "topic": doc.topic, "title": doc.title, "owner": doc.owner},
        )
        return _add_version(tx, actor, app.settings, row, first, org, on_behalf)

    return app.run(work)


def publish(app: App, actor: Actor, document_id: int, version: PolicyVersionInput) -> Written:
    """A new version of a document (the old ones stay readable)."""

    def work(tx: Tx) -> Written:
        s = tx.session
        doc = _load(s, document_id)
        st, org = _visible(s, actor, doc, local_date(tx.now))
        _require_manages(st)
        on_behalf = access.require_admin(s, tx, actor, [doc.unit_id], org)
        return _add_version(tx, actor, app.settings, doc, version, org, on_behalf)

    return app.run(work)


def _add_version(
    tx: Tx,
    actor: Actor,
    settings: Settings,
    doc: PolicyDocument,
    v: PolicyVersionInput,
    org: OrgSnapshot,
    on_behalf: int | None,
) -> Written:
    s = tx.session
    employer = employer_of(s, settings, doc.unit_id, org)
    if employer.written_required and not v.body:
        raise InvalidInput.field(
            "body",
            f"{employer.name} has {employer.headcount} employees: from "
            f"{employer.written_from} the policy and routines must be in writing (AFS 2023:1)",
            f"{employer.name} har {employer.headcount} anställda: från {employer.written_from} "
            "ska policyn och rutinerna vara skriftliga (AFS 2023:1)",
        )
    if not v.body and not v.note:
        raise InvalidInput.field(
            "note",
            "without a text, say how it is made known (at the workplace meeting, say)",
            "utan text, ange hur den görs känd (på arbetsplatsträffen, till exempel)",
        )
    last = s.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.document_id == doc.id)
        .order_by(PolicyVersion.number.desc())
        .limit(1)
    )
    if last is not None and v.valid_from < last.valid_from:
        raise InvalidInput.field(
            "valid_from",
            f"version {last.number} applies from {last.valid_from}: a new one cannot apply earlier",
            f"version {last.number} gäller från {last.valid_from}: en ny kan inte gälla tidigare",
        )
    review_by = v.review_by or one_year_after(v.valid_from)
    number = (last.number if last else 0) + 1
    row = PolicyVersion(
        document_id=doc.id,
        number=number,
        body=v.body,
        digest=digest({"title": doc.title, "body": v.body}),
        valid_from=v.valid_from,
        review_by=review_by,
        note=v.note,
        created_at=tx.now,
        created_by=actor.person_id,
    )
    s.add(row)
    doc.review_by = review_by
    s.flush()
    tx.record(
        chain(doc.id),
        "policy.version_published",
        "policy_version",
        row.id,
        actor,
        on_behalf_of=on_behalf,
        unit_id=doc.unit_id,
        data={
            "document": doc.code,
            "number": number,
            "valid_from": v.valid_from.isoformat(),
            "review_by": review_by.isoformat(),
            "digest": row.digest,
            "written": bool(v.body),
        },
    )
    return Written(doc.id, number, review_by)


@dataclass(frozen=True)
class Acknowledged:
    document_id: int
    version: int
    at: datetime
    already: bool


def acknowledge(app: App, actor: Actor, document_id: int) -> Acknowledged:
    """A manager or director at or below the document's unit has read its current version
    (once: a second time changes nothing)."""

    def work(tx: Tx) -> Acknowledged:
        s = tx.session
        doc = _load(s, document_id)
        st, _ = _visible(s, actor, doc, local_date(tx.now))
        if not st.reads or actor.person_id is None:
            raise NotPermitted(
                "only a manager or director at or below the document's unit acknowledges it",
                "bara en chef eller direktör vid eller under dokumentets enhet kvitterar det",
            )
        current = _current(s, doc.id)
        if current is None:
            raise Conflict("the document has no version yet", "dokumentet har ingen version än")
        had = s.scalar(
            select(PolicyAck).where(
                PolicyAck.version_id == current.id, PolicyAck.person_id == actor.person_id
            )
        )
        if had is not None:
            return Acknowledged(doc.id, current.number, had.acknowledged_at, True)
        s.add(PolicyAck(version_id=current.id, person_id=actor.person_id, acknowledged_at=tx.now))
        tx.record(
            chain(doc.id),
            "policy.acknowledged",
            "policy_version",
            current.id,
            actor,
            unit_id=doc.unit_id,
            data={"document": doc.code, "number": current.number},
        )
        return Acknowledged(doc.id, current.number, tx.now, False)

    return app.run(work)


def _current(s: Session, document_id: int) -> PolicyVersion | None:
    return s.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.document_id == document_id)
        .order_by(PolicyVersion.number.desc())
        .limit(1)
    )


# --- reading ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DocumentRow:
    id: int
    code: str
    title: str
    kind: str
    topic: str
    unit_code: str
    unit_name: str
    owner: str
    version: int
    valid_from: date | None
    review_by: date | None
    review_overdue: bool
    acknowledged_by_me: bool | None  # None: not asked of me
    acknowledged: int
    readers: int


@dataclass(frozen=True)
class Overview:
    employer: Employer | None
    documents: list[DocumentRow]
    #: required topics (settings.policy_required_topics) with no document with a version
    missing: list[str]
    may_create: bool


def overview(app: App, actor: Actor) -> Overview:
    """The documents the person may see, and for the employer what is still missing."""
    day = local_date(app.clock.now())
    with app.read() as s:
        org = queries.org_snapshot(s, day)
        docs = list(s.scalars(select(PolicyDocument).where(PolicyDocument.active.is_(True))))
        standings = {d.id: standing(s, actor, d.unit_id, day, org) for d in docs}
        shown = [d for d in docs if standings[d.id].sees]
        rows = [_row(s, d, standings[d.id], actor, day, org) for d in shown]
        employer = None
        may_create = False
        if actor.person_id is not None:
            auth = queries.authority(s, actor.person_id, day)
            homes = [a.unit_id for a in auth.addresses if a.unit_id in org.parents]
            if homes:
                employer = employer_of(s, app.settings, homes[0], org)
            may_create = any(a.role in (Role.HR, Role.DIRECTOR) for a in auth.addresses)
        else:
            tops = sorted(u for u, p in org.parents.items() if p is None)
            employer = employer_of(s, app.settings, tops[0], org) if tops else None
            may_create = True
        covered = {r.topic for r in rows if r.version}
        missing = [t for t in app.settings.policy_required_topics if t not in covered]
        rows.sort(key=lambda r: (r.kind != "policy", r.unit_code, r.title))
        return Overview(employer, rows, missing, may_create)


def _readers(s: Session, unit_id: int, day: date, org: OrgSnapshot) -> set[int]:
    units = org.subtree(unit_id)
    found = queries.holders_of(s, [Address(r, u) for u in units for r in READERS], day)
    return {p for ps in found.values() for p in ps}


def _row(
    s: Session, d: PolicyDocument, st: Standing, actor: Actor, day: date, org: OrgSnapshot
) -> DocumentRow:
    cur = _current(s, d.id)
    unit = s.get(OrgUnit, d.unit_id)
    assert unit is not None
    readers = _readers(s, d.unit_id, day, org)
    acked: set[int] = set()
    if cur is not None:
        acked = set(s.scalars(select(PolicyAck.person_id).where(PolicyAck.version_id == cur.id)))
    mine: bool | None = None
    if st.reads and actor.person_id is not None:
        mine = actor.person_id in acked
    return DocumentRow(
        d.id,
        d.code,
        d.title,
        d.kind,
        d.topic,
        unit.code,
        unit.name,
        d.owner_role,
        cur.number if cur else 0,
        cur.valid_from if cur else None,
        d.review_by,
        d.review_by is not None and d.review_by < day,
        mine,
        len(acked & readers),
        len(readers),
    )


@dataclass(frozen=True)
class VersionView:
    id: int
    number: int
    body: str
    digest: str
    valid_from: date
    review_by: date
    note: str
    created_at: datetime
    created_by: str
    acknowledgements: list[tuple[str, datetime]]


@dataclass(frozen=True)
class ReviewView:
    at: datetime
    by: str
    version: int
    outcome: str
    note: str
    next_review: date


@dataclass(frozen=True)
class DocumentDetail:
    row: DocumentRow
    employer: Employer
    versions: list[VersionView]  # newest first
    reviews: list[ReviewView]
    #: managers and directors at or below the unit who have not read the current version
    not_acknowledged: list[str]
    review_task: dict[str, Any] | None  # the open review task: due, task id
    may_manage: bool
    may_acknowledge: bool
    history: list[dict[str, Any]] = field(default_factory=list)


def show(app: App, actor: Actor, document_id: int) -> DocumentDetail:
    day = local_date(app.clock.now())
    with app.read() as s:
        doc = _load(s, document_id)
        st, org = _visible(s, actor, doc, day)
        row = _row(s, doc, st, actor, day, org)
        versions = list(
            s.scalars(
                select(PolicyVersion)
                .where(PolicyVersion.document_id == doc.id)
                .order_by(PolicyVersion.number.desc())
            )
        )
        acks = list(
            s.scalars(
                select(PolicyAck)
                .where(PolicyAck.version_id.in_([v.id for v in versions] or [0]))
                .order_by(PolicyAck.acknowledged_at)
            )
        )
        reviews = list(
            s.scalars(
                select(PolicyReview)
                .where(PolicyReview.document_id == doc.id)
                .order_by(PolicyReview.reviewed_at.desc())
            )
        )
        readers = _readers(s, doc.unit_id, day, org)
        people = queries.person_names(
            s,
            [v.created_by for v in versions if v.created_by]
            + [a.person_id for a in acks]
            + [r.reviewed_by for r in reviews if r.reviewed_by]
            + list(readers),
        )

        def name(pid: int | None) -> str:
            return people[pid][0] if pid in people else "samflow"

        numbers = {v.id: v.number for v in versions}
        vviews = [
            VersionView(
                v.id,
                v.number,
                v.body,
                v.digest,
                v.valid_from,
                v.review_by,
                v.note,
                v.created_at,
                name(v.created_by),
                [(name(a.person_id), a.acknowledged_at) for a in acks if a.version_id == v.id],
            )
            for v in versions
        ]
        current_acked = {a.person_id for a in acks if versions and a.version_id == versions[0].id}
        return DocumentDetail(
            row,
            employer_of(s, app.settings, doc.unit_id, org),
            vviews,
            [
                ReviewView(
                    r.reviewed_at,
                    name(r.reviewed_by),
                    numbers.get(r.version_id, 0),
                    r.outcome,
                    r.note,
                    r.next_review,
                )
                for r in reviews
            ],
            sorted(name(p) for p in readers - current_acked),
            open_review(s, doc),
            st.manages,
            st.reads and bool(versions),
        )


def open_review(s: Session, doc: PolicyDocument) -> dict[str, Any] | None:
    """The document's review task still open (its case's cycle active), if any."""
    found = s.execute(
        select(Task.id, Task.due_at, Task.escalation_level)
        .join(Cycle, Cycle.id == Task.cycle_id)
        .join(ProcessCase, ProcessCase.cycle_id == Cycle.id)
        .where(
            ProcessCase.kind == REVIEW_KIND,
            ProcessCase.reference == doc.code,
            Task.status == "open",
        )
        .order_by(Task.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    return {"task_id": found[0], "due": found[1], "escalated": found[2] > 0}


def has_open_review(s: Session, code: str) -> bool:
    return (
        s.scalar(
            select(func.count(ProcessCase.id))
            .join(Cycle, Cycle.id == ProcessCase.cycle_id)
            .where(
                ProcessCase.kind == REVIEW_KIND,
                ProcessCase.reference == code,
                Cycle.status == "active",
            )
        )
        or 0
    ) > 0


def review_window(settings: Settings, day: date) -> date:
    """Documents to be reviewed by this day get their review task now."""
    return day + timedelta(days=settings.policy_review_lead_days)


def id_of(app: App, code: str) -> int:
    """A document's id from its short name (the doors name documents by it)."""
    with app.read() as s:
        found = s.scalar(select(PolicyDocument.id).where(PolicyDocument.code == code))
    if found is None:
        raise NotFound("policy", code)
    return found


def unit_choices(app: App, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the units a person administers (HR or director there, and below):
    where they may write documents and record trainings."""
    day = local_date(app.clock.now())
    with app.read() as s:
        org = queries.org_snapshot(s, day)
        if actor.person_id is None:
            units = org.subtree(None)
        else:
            auth = queries.authority(s, actor.person_id, day)
            roots = {a.unit_id for a in auth.addresses if a.role in (Role.HR, Role.DIRECTOR)}
            units = [u for r in sorted(roots) if r in org.parents for u in org.subtree(r)]
        names = {
            u.id: (u.code, u.name)
            for u in s.scalars(select(OrgUnit).where(OrgUnit.active.is_(True)))
        }
        return [names[u] for u in dict.fromkeys(units) if u in names]
