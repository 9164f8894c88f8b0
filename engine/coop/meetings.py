"""Meetings of a cooperation body, their agenda, the protocol and MBL negotiations.

* The employer's side (the chair, an employer member, or HR/a director over the body's
  unit) calls a meeting, sets its agenda and records each item's outcome: *decided* (with
  the decision) or *disagreement* (the union's view recorded beside the decision).
* An item links to what it decides on: an action plan (a cycle), a change or an incident
  (a case), a risk assessment (its task), an annual follow-up (a cycle), or nothing.
* **MBL**: at the first meeting an item's subject comes up, a union representative of the
  body may ask for negotiation; the item then becomes an MBL negotiation with its own
  protocol, ended by the employer's side with agreement or disagreement (recorded, never
  blocking the employer's decision).
* The protocol is **checked and signed (*justerat*) by a union representative** of the
  body, once every item has its outcome; it is then fixed (its digest kept). Signing it
  establishes the plans it handled that the manager has already decided
  (``engine.plans.establishment``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.coop import agenda
from engine.coop import bodies as coop_bodies
from engine.coop.bodies import Standing, chain
from engine.db import queries
from engine.db.models import Cycle, OrgUnit, Task
from engine.db.models.duties.coop import CoopBody, CoopItem, CoopMeeting, MblNegotiation
from engine.db.models.workflow.process import ProcessCase
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted, Unmet
from engine.domain.evidence import digest, normalised
from engine.org import access
from engine.plans import establishment
from forms.labels import words

#: What an item may decide on: key -> (Swedish, English).
SUBJECTS = words("coop_subject")
OUTCOMES = words("coop_outcome")
MBL_RESULTS = words("mbl_result")
RISK_TASKS = ("risk_assessment", "change_risk_assessment")
MAX_TEXT = 20_000


def _text(value: str, path: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput.field(path, "this cannot be empty", "detta får inte vara tomt")
    if len(value) > limit:
        raise InvalidInput.field(path, f"at most {limit} characters", f"högst {limit} tecken")
    return value


def _require_manages(st: Standing) -> None:
    if not st.manages:
        raise NotPermitted(
            "only the employer's side of the body (its chair, HR or a director) may do this",
            "bara arbetsgivarsidan i organet (ordföranden, HR eller en direktör) får göra detta",
        )


def _meeting(
    s: Session, actor: Actor, meeting_id: int, day: date
) -> tuple[CoopMeeting, CoopBody, Standing]:
    meeting = s.get(CoopMeeting, meeting_id)
    if meeting is None:
        raise NotFound("meeting", meeting_id)
    body = coop_bodies.load_body(s, meeting.body_id)
    st = coop_bodies.standing(s, actor, body, day)
    if not st.sees:
        raise NotFound("meeting", meeting_id)
    return meeting, body, st


def _item(
    s: Session, actor: Actor, item_id: int, day: date
) -> tuple[CoopItem, CoopMeeting, CoopBody, Standing]:
    item = s.get(CoopItem, item_id)
    if item is None:
        raise NotFound("agenda item", item_id)
    try:
        meeting, body, st = _meeting(s, actor, item.meeting_id, day)
    except NotFound:
        raise NotFound("agenda item", item_id) from None
    return item, meeting, body, st


def _open(meeting: CoopMeeting) -> None:
    if meeting.signed_at is not None:
        raise Conflict(
            "the protocol of this meeting is signed; nothing in it can change",
            "protokollet från mötet är justerat; inget i det kan ändras",
        )


# --- meetings and their agenda ------------------------------------------------------------
def create_meeting(app: App, actor: Actor, body_code: str, held_on: date, title: str = "") -> int:
    title = _text(title, "title", limit=200)

    def work(tx: Tx) -> int:
        s = tx.session
        body, st = coop_bodies.visible_body(s, actor, body_code, local_date(tx.now))
        _require_manages(st)
        meeting = CoopMeeting(
            body_id=body.id,
            held_on=held_on,
            title=title,
            created_at=tx.now,
            created_by=actor.person_id,
        )
        s.add(meeting)
        s.flush()
        tx.record(
            chain(body.id),
            "coop.meeting_created",
            "meeting",
            meeting.id,
            actor,
            unit_id=body.unit_id,
            data={"held_on": held_on.isoformat(), "title": title},
        )
        return meeting.id

    return app.run(work)


def _subject_unit(s: Session, subject_type: str, subject_id: int | None) -> tuple[int | None, str]:
    """The unit of what an item links to, and how the audit names it."""
    unit_id, ref, _by = _subject(s, subject_type, subject_id)
    return unit_id, ref


def _missing(subject_type: str) -> InvalidInput:
    """The one answer for a matter that does not exist and one the person may not see
    (the input is the caller's; no number is repeated back)."""
    sv, en = SUBJECTS[subject_type]
    return InvalidInput.field(
        "subject_id",
        f"the chosen matter ({en.lower()}) does not exist or is not one you may see",
        f"det valda ärendet ({sv.lower()}) finns inte eller är inte ett du får se",
    )


def _subject(
    s: Session, subject_type: str, subject_id: int | None
) -> tuple[int | None, str, int | None]:
    """The unit of what an item links to, how the audit names it, and who opened it (a
    case); a field error if there is no such matter."""
    if subject_type == "other":
        return None, "", None
    if subject_id is None:
        raise InvalidInput.field(
            "subject_id",
            "choose which matter the item is about",
            "välj vilket ärende punkten gäller",
        )
    if subject_type in ("plan", "annual_follow_up"):
        cycle = s.get(Cycle, subject_id)
        if cycle is None or (
            cycle.instance if subject_type != "plan" else not establishment.holds_plan(cycle)
        ):
            raise _missing(subject_type)
        return cycle.unit_id, f"cycle:{cycle.id}", None
    if subject_type in ("change", "incident"):
        case = s.get(ProcessCase, subject_id)
        if case is None or (subject_type == "change") != (case.kind == "change"):
            raise _missing(subject_type)
        return case.unit_id, f"{case.kind}:{case.id}", case.created_by
    task = s.get(Task, subject_id)
    if task is None or task.key not in RISK_TASKS:
        raise _missing(subject_type)
    return task.unit_id, f"task:{task.id}", None


def add_item(
    app: App,
    actor: Actor,
    meeting_id: int,
    title: str,
    subject_type: str = "other",
    subject_id: int | None = None,
) -> int:
    """Put an item on the agenda, linked to what it decides on (inside the body's unit)."""
    title = _text(title, "title", required=True, limit=2000)
    if subject_type not in SUBJECTS:
        raise InvalidInput.field(
            "subject_type", f"one of {', '.join(SUBJECTS)}", f"en av {', '.join(SUBJECTS)}"
        )

    def work(tx: Tx) -> int:
        s, day = tx.session, local_date(tx.now)
        meeting, body, st = _meeting(s, actor, meeting_id, day)
        _require_manages(st)
        _open(meeting)
        unit_id, ref, opened_by = _subject(s, subject_type, subject_id)
        if unit_id is not None:
            org = queries.ancestry_snapshot(s, [unit_id], day)
            if not agenda.visible(s, actor, subject_type, unit_id, opened_by, day, org):
                raise _missing(subject_type)
            if unit_id != body.unit_id and body.unit_id not in org.ancestors(unit_id):
                name = s.get(OrgUnit, body.unit_id)
                raise InvalidInput.field(
                    "subject_id",
                    "the chosen matter is not at or below the body's unit"
                    f" ({name.name if name else ''})",
                    f"det valda ärendet hör inte till organets enhet ({name.name if name else ''})"
                    " eller enheter under den",
                )
            already = s.scalar(
                select(CoopItem.number).where(
                    CoopItem.meeting_id == meeting.id,
                    CoopItem.subject_type == subject_type,
                    CoopItem.subject_id == subject_id,
                )
            )
            if already is not None:
                raise Conflict(
                    f"the matter is already on this meeting's agenda (§ {already})",
                    f"ärendet står redan på mötets dagordning (§ {already})",
                )
        number = 1 + (
            s.scalar(
                select(CoopItem.number)
                .where(CoopItem.meeting_id == meeting.id)
                .order_by(CoopItem.number.desc())
                .limit(1)
            )
            or 0
        )
        item = CoopItem(
            meeting_id=meeting.id,
            number=number,
            title=title,
            subject_type=subject_type,
            subject_id=subject_id if subject_type != "other" else None,
        )
        s.add(item)
        s.flush()
        tx.record(
            chain(body.id),
            "coop.item_added",
            "agenda_item",
            item.id,
            actor,
            unit_id=body.unit_id,
            data={"meeting": f"meeting:{meeting.id}", "number": number, "subject": ref},
        )
        return item.id

    return app.run(work)


def record_outcome(
    app: App, actor: Actor, item_id: int, outcome: str, decision: str, disagreement: str = ""
) -> None:
    """The meeting's outcome on an item: decided, or a disagreement recorded (with the
    union's view)."""
    if outcome not in ("decided", "disagreement"):
        raise InvalidInput.field("outcome", "decided or disagreement", "decided eller disagreement")
    decision = _text(decision, "decision", required=True)
    disagreement = _text(disagreement, "disagreement", required=outcome == "disagreement")

    def work(tx: Tx) -> None:
        s = tx.session
        item, meeting, body, st = _item(s, actor, item_id, local_date(tx.now))
        _require_manages(st)
        _open(meeting)
        if item.outcome == "mbl":
            raise Conflict(
                "the item went to an MBL negotiation; its result is recorded there",
                "punkten gick till MBL-förhandling; resultatet protokollförs där",
            )
        item.outcome, item.decision, item.disagreement = outcome, decision, disagreement
        item.recorded_at, item.recorded_by = tx.now, actor.person_id
        tx.record(
            chain(body.id),
            "coop.item_recorded",
            "agenda_item",
            item.id,
            actor,
            unit_id=body.unit_id,
            data={"outcome": outcome, "decision": decision, "disagreement": disagreement},
        )

    app.run(work)


def _first_meeting(s: Session, item: CoopItem, meeting: CoopMeeting) -> bool:
    """Is this the first meeting the item's subject comes up at?"""
    if item.subject_id is None:
        return True
    earlier = s.scalar(
        select(CoopItem.id)
        .join(CoopMeeting, CoopMeeting.id == CoopItem.meeting_id)
        .where(
            CoopItem.subject_type == item.subject_type,
            CoopItem.subject_id == item.subject_id,
            CoopItem.id != item.id,
            (CoopMeeting.held_on < meeting.held_on)
            | ((CoopMeeting.held_on == meeting.held_on) & (CoopItem.id < item.id)),
        )
        .limit(1)
    )
    return earlier is None


def request_mbl(app: App, actor: Actor, item_id: int) -> int:
    """A union representative of the body asks for negotiation (MBL § 11/19) at the first
    meeting the matter comes up: the item becomes an MBL negotiation."""

    def work(tx: Tx) -> int:
        s = tx.session
        item, meeting, body, st = _item(s, actor, item_id, local_date(tx.now))
        if "union_rep" not in st.seats or actor.person_id is None:
            raise NotPermitted(
                "only a union representative of the body may ask for negotiation",
                "bara en facklig företrädare i organet får begära förhandling",
            )
        _open(meeting)
        problems = []
        if item.outcome:
            problems.append(
                ("the item's outcome is already recorded", "punktens utfall är redan protokollfört")
            )
        if not _first_meeting(s, item, meeting):
            problems.append(
                (
                    "negotiation is asked for at the first meeting the matter comes up",
                    "förhandling begärs vid det första möte där frågan tas upp",
                )
            )
        if problems:
            raise Conflict("; ".join(p[0] for p in problems), "; ".join(p[1] for p in problems))
        member_org = next(
            (
                m.organisation
                for m in coop_bodies.members_of(s, body.id, local_date(tx.now))
                if m.person_id == actor.person_id and m.seat == "union_rep"
            ),
            "",
        )
        item.outcome = "mbl"
        item.recorded_at, item.recorded_by = tx.now, actor.person_id
        neg = MblNegotiation(
            item_id=item.id,
            organisation=member_org,
            requested_by=actor.person_id,
            requested_at=tx.now,
            result="",
            protocol="",
        )
        s.add(neg)
        s.flush()
        tx.record(
            chain(body.id),
            "coop.mbl_requested",
            "agenda_item",
            item.id,
            actor,
            unit_id=body.unit_id,
            data={"organisation": member_org, "negotiation": f"mbl:{neg.id}"},
        )
        return neg.id

    return app.run(work)


def end_mbl(app: App, actor: Actor, item_id: int, result: str, protocol: str) -> None:
    """End the negotiation with its protocol: agreement or disagreement (not blocking)."""
    if result not in MBL_RESULTS:
        raise InvalidInput.field(
            "result", "agreement or disagreement", "agreement eller disagreement"
        )
    protocol = _text(protocol, "protocol", required=True)

    def work(tx: Tx) -> None:
        s = tx.session
        item, _meeting_row, body, st = _item(s, actor, item_id, local_date(tx.now))
        _require_manages(st)
        neg = s.scalar(select(MblNegotiation).where(MblNegotiation.item_id == item.id))
        if neg is None:
            raise Conflict(
                "no MBL negotiation was asked for on this item",
                "ingen MBL-förhandling har begärts om punkten",
            )
        if neg.ended_at is not None:
            raise Conflict("the negotiation has already ended", "förhandlingen är redan avslutad")
        neg.result, neg.protocol = result, protocol
        neg.ended_at, neg.ended_by = tx.now, actor.person_id
        tx.record(
            chain(body.id),
            "coop.mbl_ended",
            "agenda_item",
            item.id,
            actor,
            unit_id=body.unit_id,
            data={"result": result, "protocol": protocol},
        )
        _establish_if_ready(app, tx, actor, item)

    app.run(work)


# --- the protocol ------------------------------------------------------------------------
def protocol_content(s: Session, app: App, meeting: CoopMeeting, body: CoopBody) -> dict[str, Any]:
    """The protocol as data: the body, the members present on the day, each item with its
    outcome and negotiation. Its digest is what signing fixes."""
    unit = s.get(OrgUnit, body.unit_id)
    assert unit is not None
    items = list(
        s.scalars(
            select(CoopItem).where(CoopItem.meeting_id == meeting.id).order_by(CoopItem.number)
        )
    )
    negs = (
        {
            n.item_id: n
            for n in s.scalars(
                select(MblNegotiation).where(MblNegotiation.item_id.in_([i.id for i in items]))
            )
        }
        if items
        else {}
    )
    people = queries.person_names(
        s, [x for n in negs.values() for x in (n.requested_by, n.ended_by) if x is not None]
    )
    return normalised(
        {
            "kind": "samflow.coop_protocol",
            "body": {
                "code": body.code,
                "name": body.name,
                "kind": body.kind,
                "label": app.settings.coop_body_kinds.get(body.kind, body.kind),
                "unit_code": unit.code,
                "unit_name": unit.name,
            },
            "meeting": {
                "ref": f"meeting:{meeting.id}",
                "held_on": meeting.held_on.isoformat(),
                "title": meeting.title,
            },
            "members": [
                {"name": m.name, "seat": m.seat, "organisation": m.organisation}
                for m in coop_bodies.members_of(s, body.id, meeting.held_on)
            ],
            "items": [_item_data(i, negs.get(i.id), people) for i in items],
        }
    )


def _item_data(
    i: CoopItem, neg: MblNegotiation | None, people: dict[int, tuple[str, str]]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ref": f"agenda_item:{i.id}",
        "number": i.number,
        "title": i.title,
        "subject_type": i.subject_type,
        "subject_id": i.subject_id,
        "outcome": i.outcome,
        "decision": i.decision,
        "disagreement": i.disagreement,
        "mbl": None,
    }
    if neg is not None:
        out["mbl"] = {
            "organisation": neg.organisation,
            "requested_by": people.get(neg.requested_by, ("", ""))[0],
            "requested_at": neg.requested_at.isoformat(),
            "result": neg.result,
            "protocol": neg.protocol,
            "ended_at": neg.ended_at.isoformat() if neg.ended_at else None,
        }
    return out


@dataclass(frozen=True)
class Signed:
    meeting_id: int
    digest: str
    established: list[int]  # cycles whose plan became fastställd
    not_yet: dict[int, list[str]]  # cycle -> what its establishment still lacks (sv)


def sign_protocol(app: App, actor: Actor, meeting_id: int) -> Signed:
    """A union representative of the body checks and signs (justerar) the protocol. Refused
    while an item has no outcome (each named); plans it handled and the manager decided
    become fastställd in the same transaction."""

    def work(tx: Tx) -> Signed:
        s = tx.session
        meeting, body, st = _meeting(s, actor, meeting_id, local_date(tx.now))
        if "union_rep" not in st.seats:
            raise NotPermitted(
                "the protocol is signed by a union representative of the body",
                "protokollet justeras av en facklig företrädare i organet",
            )
        _open(meeting)
        items = list(
            s.scalars(
                select(CoopItem).where(CoopItem.meeting_id == meeting.id).order_by(CoopItem.number)
            )
        )
        unmet = [
            Unmet(
                "item_recorded",
                f"item {i.number} ({i.title}) has no outcome",
                f"punkt {i.number} ({i.title}) saknar beslut",
            )
            for i in items
            if not i.outcome
        ]
        if not items:
            unmet.append(Unmet("has_items", "the meeting has no items", "mötet har inga punkter"))
        if unmet:
            raise Conflict(
                "the protocol cannot be signed: " + "; ".join(u.message_en for u in unmet),
                "protokollet kan inte justeras: " + "; ".join(u.message_sv for u in unmet),
                missing=[u.message_en for u in unmet],
            )
        content = protocol_content(s, app, meeting, body)
        meeting.digest = digest(content)
        meeting.signed_at, meeting.signed_by = tx.now, actor.person_id
        tx.record(
            chain(body.id),
            "coop.protocol_signed",
            "meeting",
            meeting.id,
            actor,
            unit_id=body.unit_id,
            data={"digest": meeting.digest, "items": len(items)},
        )
        s.flush()
        done: list[int] = []
        not_yet: dict[int, list[str]] = {}
        for i in items:
            if i.subject_type != "plan" or i.subject_id is None:
                continue
            if _establish_if_ready(app, tx, actor, i):
                done.append(i.subject_id)
            else:
                not_yet[i.subject_id] = [
                    u.message_sv for u in establishment.missing(s, i.subject_id)
                ]
        return Signed(meeting.id, meeting.digest, done, not_yet)

    return app.run(work)


def _establish_if_ready(app: App, tx: Tx, actor: Actor, item: CoopItem) -> bool:
    if item.subject_type != "plan" or item.subject_id is None:
        return False
    if establishment.missing(tx.session, item.subject_id):
        return False
    establishment.establish(tx, actor, item.subject_id, app.settings.coop_body_kinds)
    return True


def establish_plan(app: App, actor: Actor, cycle_id: int) -> establishment.Header:
    """Establish a plan whose meeting was signed before the manager decided it; refused
    with every missing step. The unit's manager, the line above, HR or a director."""

    def work(tx: Tx) -> establishment.Header:
        s, day = tx.session, local_date(tx.now)
        cycle = s.get(Cycle, cycle_id)
        if cycle is None or not establishment.holds_plan(cycle):
            raise NotFound("cycle", cycle_id)
        org = queries.ancestry_snapshot(s, [cycle.unit_id], day)
        if actor.person_id is not None:
            auth = queries.authority(s, actor.person_id, day)
            if not access.may_oversee(auth, org, cycle.unit_id):
                raise NotFound("cycle", cycle_id)
        establishment.establish(tx, actor, cycle.id, app.settings.coop_body_kinds)
        head = establishment.header(s, cycle.id)
        assert head is not None
        return head

    return app.run(work)


# --- reading ------------------------------------------------------------------------------
PROTOCOL_TEMPLATE = "coop/protocol.html"


def protocol_document(app: App, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """The protocol as a document (HTML, PDF with its JSON attached): the content, the
    heading ``forms.exports.case_docs`` reads, and the signature (who, when, the signed digest)."""
    view = show_meeting(app, actor, meeting_id)
    body = view.protocol["body"]
    data = normalised(
        {
            **view.protocol,
            "head": {
                "unit": {"code": body["unit_code"], "name": body["unit_name"]},
                "reference": f"{body['label']} {view.held_on.isoformat()}",
            },
            "signature": {
                "signed_at": view.signed_at.isoformat() if view.signed_at else None,
                "signed_by": view.signed_by,
                "digest": view.digest,
            },
        }
    )
    return {"kind": "samflow.coop_protocol", "format": 1, "digest": digest(data), "data": data}


@dataclass(frozen=True)
class MeetingView:
    id: int
    body_code: str
    body_name: str
    held_on: date
    title: str
    signed_at: datetime | None
    signed_by: str | None
    digest: str | None
    protocol: dict[str, Any]
    manages: bool
    may_sign: bool
    may_request_mbl: bool


def show_meeting(app: App, actor: Actor, meeting_id: int) -> MeetingView:
    day = local_date(app.clock.now())
    with app.read() as s:
        meeting, body, st = _meeting(s, actor, meeting_id, day)
        content = protocol_content(s, app, meeting, body)
        signer = (
            queries.person_names(s, [meeting.signed_by])[meeting.signed_by][0]
            if meeting.signed_by is not None
            else None
        )
        is_union = "union_rep" in st.seats
        return MeetingView(
            meeting.id,
            body.code,
            body.name,
            meeting.held_on,
            meeting.title,
            meeting.signed_at,
            signer,
            meeting.digest,
            content,
            st.manages and meeting.signed_at is None,
            is_union and meeting.signed_at is None,
            is_union and meeting.signed_at is None,
        )


def agenda_choices(app: App, actor: Actor, meeting_id: int) -> list[agenda.Group]:
    """What the person may put on the meeting's agenda, by kind (``engine.coop.agenda``);
    empty unless they set its agenda and the protocol is open."""
    day = local_date(app.clock.now())
    with app.read() as s:
        meeting, body, st = _meeting(s, actor, meeting_id, day)
        if not st.manages or meeting.signed_at is not None:
            return []
        return agenda.choices(s, actor, body, meeting.id, day)


@dataclass(frozen=True)
class MeetingRow:
    id: int
    body_code: str
    body_name: str
    held_on: date
    title: str
    items: int
    signed: bool


def list_meetings(app: App, actor: Actor, body_code: str | None = None) -> list[MeetingRow]:
    """Meetings of the bodies the person may see, newest first."""
    day = local_date(app.clock.now())
    with app.read() as s:
        if body_code is not None:
            visible = [coop_bodies.visible_body(s, actor, body_code, day)[0]]
        else:
            every = list(s.scalars(select(CoopBody)))
            st = coop_bodies.standings(s, actor, every, day)
            visible = [b for b in every if st[b.id].sees]
        by_id = {b.id: b for b in visible}
        if not by_id:
            return []
        rows = list(
            s.scalars(
                select(CoopMeeting)
                .where(CoopMeeting.body_id.in_(by_id))
                .order_by(CoopMeeting.held_on.desc(), CoopMeeting.id.desc())
            )
        )
        counts: dict[int, int] = (
            dict(
                s.execute(
                    select(CoopItem.meeting_id, func.count())
                    .where(CoopItem.meeting_id.in_([m.id for m in rows]))
                    .group_by(CoopItem.meeting_id)
                )
                .tuples()
                .all()  # a Result has keys(): dict() would index it as a mapping
            )
            if rows
            else {}
        )
        return [
            MeetingRow(
                m.id,
                by_id[m.body_id].code,
                by_id[m.body_id].name,
                m.held_on,
                m.title,
                counts.get(m.id, 0),
                m.signed_at is not None,
            )
            for m in rows
        ]


@dataclass(frozen=True)
class Agenda:
    """Where a matter stands on cooperation agendas: the meetings it is on (with its item
    number), and the meetings still to be held that the person may put it on."""

    on: list[tuple[MeetingRow, int]]
    open_to: list[MeetingRow]


def agenda_for(app: App, actor: Actor, subject_type: str, subject_id: int) -> Agenda:
    """The meetings a matter (a plan: its cycle) is on, of the bodies the person sees; and
    the meetings to come (today or later, protocol not signed) of the bodies whose unit
    holds the matter that the person may set the agenda of, and where it is not yet."""
    day = local_date(app.clock.now())
    with app.read() as s:
        unit_id, _ref = _subject_unit(s, subject_type, subject_id)
        every = list(s.scalars(select(CoopBody)))
        st = coop_bodies.standings(s, actor, every, day)
        seen = {b.id: b for b in every if st[b.id].sees}
        if not seen:
            return Agenda([], [])
        org = queries.ancestry_snapshot(s, [unit_id], day) if unit_id is not None else None
        holds = {
            b.id
            for b in seen.values()
            if st[b.id].manages
            and org is not None
            and unit_id is not None
            and (b.unit_id == unit_id or b.unit_id in org.ancestors(unit_id))
        }
        items: dict[int, int] = dict(
            s.execute(
                select(CoopItem.meeting_id, CoopItem.number).where(
                    CoopItem.subject_type == subject_type, CoopItem.subject_id == subject_id
                )
            )
            .tuples()
            .all()
        )
        rows = list(
            s.scalars(
                select(CoopMeeting)
                .where(
                    CoopMeeting.body_id.in_(seen),
                    CoopMeeting.id.in_(items)
                    | (
                        CoopMeeting.body_id.in_(holds)
                        & (CoopMeeting.held_on >= day)
                        & CoopMeeting.signed_at.is_(None)
                    ),
                )
                .order_by(CoopMeeting.held_on, CoopMeeting.id)
            )
        )

        def row(m: CoopMeeting) -> MeetingRow:
            b = seen[m.body_id]
            return MeetingRow(m.id, b.code, b.name, m.held_on, m.title, 0, m.signed_at is not None)

        return Agenda(
            [(row(m), items[m.id]) for m in rows if m.id in items],
            [row(m) for m in rows if m.id not in items],
        )


def cooperation_unmet(s: Session, subject_type: str, subject_id: int) -> list[Unmet]:
    """What is missing before a matter's cooperation is over: an item about it whose
    protocol is signed, or whose MBL negotiation has ended (empty: it is over)."""
    items = list(
        s.execute(
            select(CoopItem, CoopMeeting)
            .join(CoopMeeting, CoopMeeting.id == CoopItem.meeting_id)
            .where(CoopItem.subject_type == subject_type, CoopItem.subject_id == subject_id)
        )
    )
    if not items:
        return [
            Unmet(
                "coop_item",
                "no cooperation meeting has the matter on its agenda",
                "inget samverkansmöte har frågan på dagordningen",
            )
        ]
    for item, meeting in items:
        if item.outcome == "mbl":
            neg = s.scalar(select(MblNegotiation).where(MblNegotiation.item_id == item.id))
            if neg is not None and neg.ended_at is not None:
                return []
        elif item.outcome and meeting.signed_at is not None:
            return []
    if any(i.outcome == "mbl" for i, _ in items):
        return [
            Unmet(
                "mbl_ended",
                "the MBL negotiation on the matter has not ended",
                "MBL-förhandlingen om frågan är inte avslutad",
            )
        ]
    return [
        Unmet(
            "coop_item_closed",
            "the cooperation item is not closed (outcome recorded and protocol signed)",
            "samverkanspunkten är inte avslutad (beslut protokollfört och protokollet justerat)",
        )
    ]
