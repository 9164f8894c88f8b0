"""Knowledge (AFS 2023:1 on knowledge): the training records of managers and safety
representatives — course, when taken, how long it counts — and who lacks what their role
requires (``settings.knowledge_required``: a valid record of any of the courses named).

HR or a director over the unit records a training; a training about to lapse gets a
renewal task through the sweep (``training-renewal.yaml``), and the year start lists the
managers lacking the required knowledge (``engine.workflow.yearstart.lacking_knowledge``).

Who sees a record: the person it is about, and whoever oversees its unit
(``access.may_oversee``: the unit's own managers and safety representatives, the line
above, HR, the director). Anyone else is told "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import OrgUnit, Person
from engine.db.models.duties.policy import TrainingRecord
from engine.domain.clock import local_date
from engine.domain.errors import FieldError, InvalidInput, NotFound
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.org import access
from engine.settings import Settings
from engine.workflow import yearstart
from forms.schemas.duties.policy import TrainingInput

#: The roles a record may be for, and the roles that count as holding it at the unit.
ROLES = {
    "manager": (Role.MANAGER, Role.DEPUTY, Role.DIRECTOR),
    "safety_rep": (Role.SAFETY_REP, Role.CHIEF_SAFETY_REP),
}


def chain(unit_id: int) -> str:
    """The audit chain of the training records of people at a unit."""
    return f"knowledge:{unit_id}"


@dataclass(frozen=True)
class Recorded:
    record_id: int
    person: str
    course: str
    valid_until: date | None


def record(app: App, actor: Actor, given: TrainingInput) -> Recorded:
    """Record a training (HR or a director over the unit); every bad field named at once."""

    def work(tx: Tx) -> Recorded:
        s, today = tx.session, local_date(tx.now)
        errors: list[FieldError] = []
        person = s.scalar(select(Person).where(Person.email == given.email.lower()))
        unit = s.scalar(select(OrgUnit).where(OrgUnit.code == given.unit, OrgUnit.active.is_(True)))
        if person is None:
            errors.append(
                _err(
                    "email",
                    f"nobody has the e-mail {given.email}",
                    f"ingen har e-posten {given.email}",
                )
            )
        if unit is None:
            errors.append(
                _err(
                    "unit",
                    f"no unit has the code {given.unit!r}",
                    f"ingen enhet har koden {given.unit!r}",
                )
            )
        courses = app.settings.knowledge_courses
        if given.course_key not in courses:
            known = ", ".join(sorted(courses))
            errors.append(
                _err(
                    "course_key", f"unknown course (known: {known})", f"okänd kurs (kända: {known})"
                )
            )
        if given.taken_on > today:
            errors.append(_err("taken_on", "is ahead of today", "ligger efter i dag"))
        if person is not None and unit is not None:
            held = queries.holders_of(
                s, [Address(r, unit.id) for r in ROLES[given.role]], given.taken_on
            ) | queries.holders_of(s, [Address(r, unit.id) for r in ROLES[given.role]], today)
            if not any(person.id in ps for ps in held.values()):
                what = {
                    "manager": ("chef", "a manager"),
                    "safety_rep": ("skyddsombud", "a safety representative"),
                }
                sv, en = what[given.role]
                errors.append(
                    _err(
                        "email",
                        f"{person.name} is not {en} at {unit.code}",
                        f"{person.name} är inte {sv} vid {unit.code}",
                    )
                )
        if errors:
            raise InvalidInput(errors)
        assert person is not None and unit is not None
        org = queries.ancestry_snapshot(s, [unit.id], today)
        on_behalf = access.require_admin(s, tx, actor, [unit.id], org)
        row = _insert(
            tx,
            actor,
            person.id,
            unit.id,
            given.role,
            given.course_key,
            given.course or courses[given.course_key],
            given.taken_on,
            given.valid_until,
            given.note,
            on_behalf,
        )
        return Recorded(row.id, person.name, row.course, row.valid_until)

    return app.run(work)


def _insert(
    tx: Tx,
    actor: Actor,
    person_id: int,
    unit_id: int,
    role: str,
    course_key: str,
    course: str,
    taken_on: date,
    valid_until: date | None,
    note: str,
    on_behalf: int | None,
    *,
    renews: int | None = None,
) -> TrainingRecord:
    row = TrainingRecord(
        person_id=person_id,
        unit_id=unit_id,
        role=role,
        course_key=course_key,
        course=course,
        taken_on=taken_on,
        valid_until=valid_until,
        note=note,
        created_at=tx.now,
        created_by=actor.person_id,
    )
    tx.session.add(row)
    tx.session.flush()
    tx.record(
        chain(unit_id),
        "training.recorded",
        "training_record",
        row.id,
        actor,
        on_behalf_of=on_behalf,
        unit_id=unit_id,
        data={
            "person": f"person:{person_id}",
            "role": role,
            "course": course_key,
            "taken_on": taken_on.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None,
            **({"renews": f"training_record:{renews}"} if renews else {}),
        },
    )
    return row


def _err(path: str, en: str, sv: str) -> FieldError:
    return FieldError(path, en, sv)


@dataclass(frozen=True)
class TrainingRow:
    id: int
    person: str
    email: str
    unit_code: str
    unit_name: str
    role: str
    course_key: str
    course: str
    taken_on: date
    valid_until: date | None
    state: str  # valid | expiring | lapsed
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class Knowledge:
    records: list[TrainingRow]
    lacking: list[yearstart.LackingKnowledge]


def state_of(settings: Settings, valid_until: date | None, day: date) -> str:
    if valid_until is None:
        return "valid"
    if valid_until < day:
        return "lapsed"
    if valid_until <= day + timedelta(days=settings.knowledge_reminder_days):
        return "expiring"
    return "valid"


def overview(app: App, actor: Actor, unit_code: str | None = None) -> Knowledge:
    """The records the person may see (under ``unit_code`` if given: 404 for a unit they
    may not see), and the managers there lacking the required knowledge."""
    day = local_date(app.clock.now())
    with app.read() as s:
        org = queries.org_snapshot(s, day)
        if unit_code is not None:
            try:
                root: int | None = queries.unit_by_code(s, unit_code).id
            except NotFound:
                raise NotFound("unit", unit_code) from None
        else:
            root = None
        auth = queries.authority(s, actor.person_id, day) if actor.person_id else None
        units = org.subtree(root)
        seen = [u for u in units if auth is None or access.may_oversee(auth, org, u)]
        if root is not None and root not in seen:
            raise NotFound("unit", unit_code)
        stmt = select(TrainingRecord).order_by(
            TrainingRecord.taken_on.desc(), TrainingRecord.id.desc()
        )
        if actor.person_id is not None and len(seen) <= 5000:  # else filtered below
            stmt = stmt.where(
                or_(TrainingRecord.unit_id.in_(seen), TrainingRecord.person_id == actor.person_id)
            )
        visible, inside = set(seen), set(units)
        rows = [
            r
            for r in s.scalars(stmt)
            if (r.unit_id in visible or r.person_id == actor.person_id) and r.unit_id in inside
        ]
        people = queries.person_names(
            s, [r.person_id for r in rows] + [r.created_by for r in rows if r.created_by]
        )
        names = {
            u.id: (u.code, u.name)
            for u in s.scalars(
                select(OrgUnit).where(OrgUnit.id.in_({r.unit_id for r in rows} or {0}))
            )
        }
        out = [
            TrainingRow(
                r.id,
                people.get(r.person_id, ("", ""))[0],
                people.get(r.person_id, ("", ""))[1],
                names[r.unit_id][0],
                names[r.unit_id][1],
                r.role,
                r.course_key,
                r.course,
                r.taken_on,
                r.valid_until,
                state_of(app.settings, r.valid_until, day),
                r.created_at,
                people.get(r.created_by or 0, ("samflow", ""))[0],
            )
            for r in rows
        ]
        lacking = yearstart.lacking_knowledge(s, app.settings, seen, day)
        return Knowledge(out, lacking)
