"""Cooperation bodies (APT, LSG/samverkansgrupp, FSG/CSG, skyddskommitté) and their members.

A body sits at a unit (its level); its members are the employer's chair (and other employer
members), union representatives and safety representatives. HR or a director manage the
bodies of the units they administer (``engine.org.rights``: the unit or below it); a file
of bodies and members is imported the same way, every row checked before anything is
written.

Who sees a body and its meetings: its members (on the day), HR and directors over its
unit, and the line (managers and directors at or above it). Anyone else is told "not
found": a union representative sees their own bodies' items and no others.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import OrgUnit, Person
from engine.db.models.duties.coop import CoopBody, CoopMember
from engine.domain.clock import local_date
from engine.domain.errors import (
    FieldError,
    ImportInvalid,
    InvalidInput,
    NotFound,
    NotPermitted,
    RowError,
)
from engine.domain.imports.text import delimiter
from engine.domain.validation import control_in
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.org import rights as org_rights
from forms.labels import words

#: A member's seat, with its Swedish and English label.
SEATS = words("coop_seat")
REPRESENTATIVES = frozenset({"union_rep", "safety_rep"})
LINE = (Role.MANAGER, Role.DIRECTOR)
#: The most rows one import of bodies may have (checked before anything is read further).
MAX_ROWS = 5000
HEADERS = {
    "organ": "body",
    "body": "body",
    "enhet": "unit",
    "unit": "unit",
    "typ": "kind",
    "kind": "kind",
    "namn": "name",
    "name": "name",
    "epost": "email",
    "e-post": "email",
    "email": "email",
    "roll": "role",
    "role": "role",
    "organisation": "organisation",
    "från": "valid_from",
    "valid_from": "valid_from",
}


def chain(body_id: int) -> str:
    """The audit chain of a body: its members, meetings, protocols and negotiations."""
    return f"coop:{body_id}"


# --- who is what to a body ----------------------------------------------------------------
@dataclass(frozen=True)
class Standing:
    """What one person is to one body today."""

    seats: frozenset[str]
    admin: bool  # HR or director at or above the body's unit
    line: bool  # manager or director at or above it

    @property
    def sees(self) -> bool:
        return bool(self.seats) or self.admin or self.line

    @property
    def manages(self) -> bool:
        """May hold its meetings: call them, set the agenda, record the decisions."""
        return self.admin or "chair" in self.seats or "employer" in self.seats


def seats_of(s: Session, person_id: int, day: date) -> dict[int, set[str]]:
    """Body id -> the seats the person holds there today."""
    out: dict[int, set[str]] = {}
    for body, seat in s.execute(
        select(CoopMember.body_id, CoopMember.role).where(
            CoopMember.person_id == person_id,
            CoopMember.valid_from <= day,
            or_(CoopMember.valid_to.is_(None), CoopMember.valid_to >= day),
        )
    ):
        out.setdefault(body, set()).add(seat)
    return out


def standing(s: Session, actor: Actor, body: CoopBody, day: date) -> Standing:
    return standings(s, actor, [body], day)[body.id]


def standings(
    s: Session, actor: Actor, found: Iterable[CoopBody], day: date
) -> dict[int, Standing]:
    """What the person is to each body (one read of their seats and authority for all)."""
    wanted = list(found)
    if actor.person_id is None:
        return {b.id: Standing(frozenset(), True, True) for b in wanted}
    seats = seats_of(s, actor.person_id, day)
    auth = queries.authority(s, actor.person_id, day)
    org = queries.ancestry_snapshot(s, [b.unit_id for b in wanted], day)

    def holds(unit_id: int, roles: Iterable[Role]) -> bool:
        chain_up = [unit_id, *org.ancestors(unit_id)]
        return any(auth.on_behalf_for_address(Address(r, u))[0] for u in chain_up for r in roles)

    return {
        b.id: Standing(
            frozenset(seats.get(b.id, set())),
            holds(b.unit_id, org_rights.ADMIN_ROLES),
            holds(b.unit_id, LINE),
        )
        for b in wanted
    }


def load_body(s: Session, key: int | str) -> CoopBody:
    stmt = select(CoopBody).where(
        CoopBody.id == key if isinstance(key, int) else CoopBody.code == key
    )
    body = s.scalar(stmt)
    if body is None:
        raise NotFound("body", key)
    return body


def visible_body(s: Session, actor: Actor, key: int | str, day: date) -> tuple[CoopBody, Standing]:
    """The body and the person's standing; "not found" unless they may see it."""
    body = load_body(s, key)
    st = standing(s, actor, body, day)
    if not st.sees:
        raise NotFound("body", key)
    return body, st


def _require_admin(s: Session, actor: Actor, unit_id: int, day: date) -> None:
    rights = org_rights.admin_rights(s, actor.person_id, day)
    if not rights.may_change_unit(unit_id):
        raise NotPermitted(
            "only HR or a director over the unit may manage its cooperation bodies",
            "bara HR eller en direktör över enheten får hantera dess samverkansorgan",
        )


# --- managing bodies ----------------------------------------------------------------------
def _kind(app: App, kind: str, path: str) -> FieldError | None:
    kinds = app.settings.coop_body_kinds
    if kind in kinds:
        return None
    known = ", ".join(sorted(kinds))
    return FieldError(
        path,
        f"unknown kind of body {kind!r} (known: {known})",
        f"okänd typ av organ {kind!r} (finns: {known})",
    )


def _unit(s: Session, code: str) -> OrgUnit | None:
    return s.scalar(select(OrgUnit).where(OrgUnit.code == code, OrgUnit.active.is_(True)))


def create_body(app: App, actor: Actor, *, code: str, unit_code: str, kind: str, name: str) -> int:
    """A new body at a unit; HR or a director over the unit."""
    code, name = code.strip(), name.strip()
    errors = [e for e in [_kind(app, kind, "kind")] if e]
    if not code or len(code) > 64:
        errors.append(FieldError("code", "a code of 1-64 characters", "en kod på 1-64 tecken"))
    if not name or len(name) > 200:
        errors.append(FieldError("name", "a name of 1-200 characters", "ett namn på 1-200 tecken"))
    if errors:
        raise InvalidInput(errors)

    def work(tx: Tx) -> int:
        s, day = tx.session, local_date(tx.now)
        unit = _unit(s, unit_code)
        if unit is None:
            raise InvalidInput.field(
                "unit", f"no unit has code {unit_code}", f"ingen enhet har koden {unit_code}"
            )
        _require_admin(s, actor, unit.id, day)
        if s.scalar(select(CoopBody.id).where(CoopBody.code == code)) is not None:
            raise InvalidInput.field(
                "code", f"a body with code {code} exists", f"ett organ med koden {code} finns"
            )
        return _add_body(tx, actor, code, unit, kind, name)

    return app.run(work)


def _add_body(tx: Tx, actor: Actor, code: str, unit: OrgUnit, kind: str, name: str) -> int:
    body = CoopBody(
        code=code,
        unit_id=unit.id,
        kind=kind,
        name=name,
        active=True,
        created_at=tx.now,
        created_by=actor.person_id,
    )
    tx.session.add(body)
    tx.session.flush()
    tx.record(
        chain(body.id),
        "coop.body_created",
        "body",
        body.id,
        actor,
        unit_id=unit.id,
        data={"code": code, "kind": kind, "name": name, "unit": unit.code},
    )
    return body.id


def _seat_error(role: str, path: str) -> FieldError | None:
    if role in SEATS:
        return None
    known = ", ".join(SEATS)
    return FieldError(
        path, f"unknown seat {role!r} (known: {known})", f"okänd roll {role!r} (finns: {known})"
    )


def add_member(
    app: App,
    actor: Actor,
    body_code: str,
    email: str,
    role: str,
    *,
    organisation: str = "",
    valid_from: date | None = None,
) -> int:
    """Seat a person in a body (HR or a director over its unit)."""
    err = _seat_error(role, "role")
    if err:
        raise InvalidInput([err])
    if len(organisation) > 200:
        raise InvalidInput.field("organisation", "at most 200 characters", "högst 200 tecken")

    def work(tx: Tx) -> int:
        s, day = tx.session, local_date(tx.now)
        body = load_body(s, body_code)
        _require_admin(s, actor, body.unit_id, day)
        person = s.scalar(select(Person).where(Person.email == email.strip().lower()))
        if person is None or not person.active:
            raise InvalidInput.field(
                "email",
                f"no active person has the e-mail {email}",
                f"ingen aktiv person har e-postadressen {email}",
            )
        return _seat(tx, actor, body, person, role, organisation.strip(), valid_from or day)

    return app.run(work)


def _seat(
    tx: Tx, actor: Actor, body: CoopBody, person: Person, role: str, organisation: str, since: date
) -> int:
    member = CoopMember(
        body_id=body.id,
        person_id=person.id,
        role=role,
        organisation=organisation,
        valid_from=since,
        valid_to=None,
    )
    tx.session.add(member)
    tx.session.flush()
    tx.record(
        chain(body.id),
        "coop.member_added",
        "body",
        body.id,
        actor,
        unit_id=body.unit_id,
        data={"person": f"person:{person.id}", "seat": role, "organisation": organisation},
    )
    return member.id


def end_member(app: App, actor: Actor, body_code: str, email: str, role: str) -> int:
    """End a person's seat (valid to yesterday); the seat stays on record. Returns how many."""

    def work(tx: Tx) -> int:
        s, day = tx.session, local_date(tx.now)
        body = load_body(s, body_code)
        _require_admin(s, actor, body.unit_id, day)
        person = queries.person_by_email(s, email)
        rows = list(
            s.scalars(
                select(CoopMember).where(
                    CoopMember.body_id == body.id,
                    CoopMember.person_id == person.id,
                    CoopMember.role == role,
                    or_(CoopMember.valid_to.is_(None), CoopMember.valid_to >= day),
                )
            )
        )
        if not rows:
            raise NotFound("member", f"{email} ({role})")
        for m in rows:
            m.valid_to = date.fromordinal(day.toordinal() - 1)
        tx.record(
            chain(body.id),
            "coop.member_ended",
            "body",
            body.id,
            actor,
            unit_id=body.unit_id,
            data={"person": f"person:{person.id}", "seat": role},
        )
        return len(rows)

    return app.run(work)


# --- importing bodies and members ---------------------------------------------------------
@dataclass
class ImportReport:
    bodies_created: int = 0
    members_added: int = 0
    unchanged: int = 0
    applied: bool = True
    bodies: list[str] = field(default_factory=list)


def import_bodies(
    app: App, actor: Actor, text: str, *, filename: str = "bodies.csv", dry_run: bool = False
) -> ImportReport:
    """A CSV of bodies and their members, one member a row (``organ, enhet, typ, namn,
    epost, roll, organisation``; English headings too). Every row is checked (file:row:
    column) before anything is written; importing again adds only what is new."""
    rows = _read_rows(text, filename)

    def work(tx: Tx) -> ImportReport:
        s, day = tx.session, local_date(tx.now)
        rights = org_rights.admin_rights(s, actor.person_id, day)
        errors: list[RowError] = []
        units = {u.code: u for u in s.scalars(select(OrgUnit).where(OrgUnit.active.is_(True)))}
        people = {
            p.email: p
            for p in s.scalars(
                select(Person).where(Person.email.in_({r["email"] for _, r in rows if r["email"]}))
            )
        }
        bodies = {b.code: b for b in s.scalars(select(CoopBody))}
        seen_kind: dict[str, tuple[str, str, str]] = {}
        for line, r in rows:

            def bad(col: str, en: str, sv: str, line: int = line) -> None:
                errors.append(RowError(filename, line, col, en, sv))

            if not r["body"]:
                bad("organ", "a body code is needed", "en kod för organet behövs")
                continue
            unit = units.get(r["unit"])
            existing = bodies.get(r["body"])
            if existing is None:
                if unit is None:
                    bad(
                        "enhet",
                        f"no unit has code {r['unit']!r}",
                        f"ingen enhet har koden {r['unit']!r}",
                    )
                elif not rights.may_change_unit(unit.id):
                    bad(
                        "enhet",
                        f"{unit.code} is outside your units",
                        f"{unit.code} ligger utanför dina enheter",
                    )
                if (e := _kind(app, r["kind"], "typ")) is not None:
                    bad("typ", e.message_en, e.message_sv)
                if not r["name"]:
                    bad(
                        "namn", "a name is needed for a new body", "ett nytt organ behöver ett namn"
                    )
                first = seen_kind.setdefault(r["body"], (r["unit"], r["kind"], r["name"]))
                if first != (r["unit"], r["kind"], r["name"]):
                    bad(
                        "organ",
                        f"{r['body']} is described differently on an earlier row",
                        f"{r['body']} beskrivs annorlunda på en tidigare rad",
                    )
            elif not rights.may_change_unit(existing.unit_id):
                bad(
                    "organ",
                    f"{existing.code} belongs to a unit outside yours",
                    f"{existing.code} hör till en enhet utanför dina",
                )
            if r["email"]:
                p = people.get(r["email"])
                if p is None or not p.active:
                    bad(
                        "epost",
                        f"no active person has the e-mail {r['email']}",
                        f"ingen aktiv person har e-postadressen {r['email']}",
                    )
                if (e := _seat_error(r["role"], "roll")) is not None:
                    bad("roll", e.message_en, e.message_sv)
            if r["valid_from"]:
                try:
                    date.fromisoformat(r["valid_from"])
                except ValueError:
                    bad("från", "a date YYYY-MM-DD", "ett datum ÅÅÅÅ-MM-DD")
        if errors:
            raise ImportInvalid(errors)
        report = ImportReport()
        current = {
            (m.body_id, m.person_id, m.role)
            for m in s.scalars(
                select(CoopMember).where(
                    or_(CoopMember.valid_to.is_(None), CoopMember.valid_to >= day)
                )
            )
        }
        for _, r in rows:
            body = bodies.get(r["body"])
            if body is None:
                unit = units[r["unit"]]
                _add_body(tx, actor, r["body"], unit, r["kind"], r["name"])
                body = load_body(s, r["body"])
                bodies[body.code] = body
                report.bodies_created += 1
                report.bodies.append(body.code)
            if not r["email"]:
                continue
            person = people[r["email"]]
            key = (body.id, person.id, r["role"])
            if key in current:
                report.unchanged += 1
                continue
            since = date.fromisoformat(r["valid_from"]) if r["valid_from"] else day
            _seat(tx, actor, body, person, r["role"], r["organisation"], since)
            current.add(key)
            report.members_added += 1
        return report

    if dry_run:
        out = app.preview(work)
        out.applied = False
        return out
    return app.run(work)


def _read_rows(text: str, filename: str) -> list[tuple[int, dict[str, str]]]:
    lines = text.count("\n") + 1
    if lines > MAX_ROWS + 1:
        raise InvalidInput.field(
            filename, f"at most {MAX_ROWS} rows per file", f"högst {MAX_ROWS} rader per fil"
        )
    try:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter(text))
        raw = list(reader)
    except csv.Error as exc:
        raise InvalidInput.field(
            filename, f"not a readable CSV: {exc}", f"ingen läsbar CSV: {exc}"
        ) from None
    if not raw:
        raise InvalidInput.field(filename, "the file is empty", "filen är tom")
    heads = [HEADERS.get(h.strip().lower()) for h in raw[0]]
    needed = {"body"}
    missing = needed - set(heads)
    if missing:
        raise InvalidInput.field(
            f"{filename}:1", "a column 'organ' (body) is needed", "kolumnen 'organ' behövs"
        )
    out: list[tuple[int, dict[str, str]]] = []
    for n, row in enumerate(raw[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        for cell in row:
            if (message := control_in(cell)) is not None:
                raise InvalidInput.field(f"{filename}:{n}", *message)
        rec = dict.fromkeys(set(HEADERS.values()), "")
        for h, v in zip(heads, row, strict=False):
            if h is not None:
                rec[h] = v.strip()
        rec["email"] = rec["email"].lower()
        rec["kind"] = rec["kind"].lower()
        out.append((n, rec))
    return out


# --- reading ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    person_id: int
    name: str
    email: str
    seat: str
    organisation: str
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class BodyView:
    id: int
    code: str
    kind: str
    kind_label: str
    name: str
    unit_code: str
    unit_name: str
    members: list[Member]
    manages: bool


def members_of(s: Session, body_id: int, day: date | None = None) -> list[Member]:
    stmt = select(CoopMember).where(CoopMember.body_id == body_id).order_by(CoopMember.id)
    if day is not None:
        stmt = stmt.where(
            CoopMember.valid_from <= day,
            or_(CoopMember.valid_to.is_(None), CoopMember.valid_to >= day),
        )
    rows = list(s.scalars(stmt))
    names = queries.person_names(s, [m.person_id for m in rows])
    return [
        Member(
            m.person_id,
            names[m.person_id][0],
            names[m.person_id][1],
            m.role,
            m.organisation,
            m.valid_from,
            m.valid_to,
        )
        for m in rows
    ]


def _view(app: App, s: Session, body: CoopBody, st: Standing, day: date) -> BodyView:
    unit = s.get(OrgUnit, body.unit_id)
    assert unit is not None
    return BodyView(
        body.id,
        body.code,
        body.kind,
        app.settings.coop_body_kinds.get(body.kind, body.kind),
        body.name,
        unit.code,
        unit.name,
        members_of(s, body.id, day),
        st.manages,
    )


def list_bodies(app: App, actor: Actor) -> list[BodyView]:
    """The bodies the person may see, by unit and name."""
    day = local_date(app.clock.now())
    with app.read() as s:
        found = list(s.scalars(select(CoopBody).order_by(CoopBody.unit_id, CoopBody.name)))
        st = standings(s, actor, found, day)
        return [_view(app, s, b, st[b.id], day) for b in found if st[b.id].sees]


def show_body(app: App, actor: Actor, code: str) -> BodyView:
    day = local_date(app.clock.now())
    with app.read() as s:
        body, st = visible_body(s, actor, code, day)
        return _view(app, s, body, st, day)
