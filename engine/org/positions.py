"""Positions (befattningar) and named groups: imported from the organisation's third file
(``engine.domain.imports.positions``), resolved as a measure's responsible, and followed when a
position changes holder.

A measure whose responsible is a position goes to its holder on the day; a group's to its
convener (a management team's: the unit's manager). When a position gets a new holder, the
open measures and their open tasks move to the new holder, each move an audit event. A
title that matches nothing is never resolved to someone else: it is an error that lists
the positions and groups that exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import Measure, OrgUnit, Person, Task
from engine.db.models.people.positions import OrgGroup, OrgGroupMember, Position, PositionHolder
from engine.domain.clock import local_date
from engine.domain.errors import NotPermitted, RowError
from engine.domain.imports.positions import PositionRow, key_of, parse_positions
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus
from engine.org.rights import admin_rights

ORG_CHAIN = "org"
OPEN_MEASURES = ("planned", "in_progress", "postponed")


@dataclass
class PositionReport:
    applied: bool = False
    positions_created: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    holders_set: list[tuple[str, str]] = field(default_factory=list)  # (title, e-mail)
    members_added: list[tuple[str, str]] = field(default_factory=list)
    measures_moved: int = 0


def import_positions(
    app: App, actor: Actor, text: str, *, file: str = "positions.csv", dry_run: bool = False
) -> PositionReport:
    """Check the whole file (every bad cell named), then add its positions, holders,
    groups and members in one transaction (or, dry run, show what it would do)."""
    with app.read() as s:
        codes = dict(queries.pairs(s, select(OrgUnit.code, OrgUnit.id)))
        emails = frozenset(s.scalars(select(Person.email)))
    rows = parse_positions(text, file, frozenset(codes), emails)

    def work(tx: Tx) -> PositionReport:
        rights = admin_rights(tx.session, actor.person_id, local_date(tx.now))
        outside = [
            r for r in rows if not (actor.is_system or rights.may_change_unit(codes[r.unit_code]))
        ]
        if outside:
            raise NotPermitted(
                f"{file}:{outside[0].line}: only HR or a director of the unit may set its "
                "positions and groups",
                f"{file}:{outside[0].line}: bara HR eller en direktör för enheten får ange dess "
                "befattningar och grupper",
            )
        report = PositionReport(applied=not dry_run)
        apply_positions(tx, actor, rows, codes, report)
        return report

    return app.preview(work) if dry_run else app.run(work)


def apply_positions(
    tx: Tx, actor: Actor, rows: Sequence[PositionRow], codes: dict[str, int], report: PositionReport
) -> None:
    """The rows of the positions file, in order (a row kind of the organisation import)."""
    s = tx.session
    people = dict(queries.pairs(s, select(Person.email, Person.id)))
    for r in rows:
        unit_id = codes[r.unit_code]
        if r.kind == "position":
            pos = _position(tx, actor, unit_id, r, report)
            assert r.email is not None
            _holder(tx, actor, pos, people[r.email], r, report)
        else:
            group = _group(tx, actor, unit_id, r, report)
            if r.email is not None:
                _member(tx, actor, group, people[r.email], r, report)
    s.flush()


def _position(
    tx: Tx, actor: Actor, unit_id: int, r: PositionRow, report: PositionReport
) -> Position:
    s = tx.session
    pos = s.scalar(
        select(Position).where(Position.unit_id == unit_id, Position.key == key_of(r.name))
    )
    if pos is None:
        pos = Position(unit_id=unit_id, key=key_of(r.name), title=r.name, created_at=tx.now)
        s.add(pos)
        s.flush()
        report.positions_created.append(r.name)
        tx.record(ORG_CHAIN, "position.created", "position", pos.id, actor, unit_id=unit_id,
                  data={"title": r.name, "unit": r.unit_code})  # fmt: skip
    return pos


def _holder(
    tx: Tx, actor: Actor, pos: Position, person_id: int, r: PositionRow, report: PositionReport
) -> None:
    s = tx.session
    start = r.valid_from or local_date(tx.now)
    spans = list(s.scalars(select(PositionHolder).where(PositionHolder.position_id == pos.id)))
    if any(h.person_id == person_id and h.valid_from == start for h in spans):
        return  # imported before: unchanged
    before = holder_of(tx.session, pos.id, local_date(tx.now))
    for h in spans:  # the holder before ends the day before
        if h.valid_from < start and (h.valid_to is None or h.valid_to >= start):
            h.valid_to = start - timedelta(days=1)
    s.add(
        PositionHolder(
            position_id=pos.id, person_id=person_id, valid_from=start, valid_to=r.valid_to
        )
    )
    s.flush()
    email = r.email or ""
    report.holders_set.append((pos.title, email))
    tx.record(ORG_CHAIN, "position.holder_set", "position", pos.id, actor, unit_id=pos.unit_id,
              data={"title": pos.title, "holder": email, "valid_from": start.isoformat(),
                    "valid_to": r.valid_to.isoformat() if r.valid_to else None})  # fmt: skip
    after = holder_of(tx.session, pos.id, local_date(tx.now))
    if after is not None and after != before:
        report.measures_moved += follow_holder(tx, actor, pos, after)


def follow_holder(tx: Tx, actor: Actor, pos: Position, person_id: int) -> int:
    """The position's open measures and their open tasks go to its holder now."""
    s = tx.session
    measures = list(
        s.scalars(
            select(Measure).where(
                Measure.responsible_position_id == pos.id, Measure.status.in_(OPEN_MEASURES)
            )
        )
    )
    for m in measures:
        before, m.responsible_person_id, m.updated_at = m.responsible_person_id, person_id, tx.now
        tx.record(f"cycle:{m.cycle_id}", "measure.reassigned", "measure", m.id, actor,
                  unit_id=pos.unit_id, data={"position": pos.title, "from_person": before,
                                             "to_person": person_id,
                                             "reason": "new holder of the position"})  # fmt: skip
    if measures:
        s.execute(
            update(Task)
            .where(
                Task.measure_id.in_([m.id for m in measures]),
                Task.status == TaskStatus.OPEN.value,
            )
            .values(assignee_id=person_id, version=Task.version + 1)
            .execution_options(synchronize_session=False)
        )
    return len(measures)


def _group(tx: Tx, actor: Actor, unit_id: int, r: PositionRow, report: PositionReport) -> OrgGroup:
    s = tx.session
    g = s.scalar(
        select(OrgGroup).where(OrgGroup.unit_id == unit_id, OrgGroup.key == key_of(r.name))
    )
    if g is None:
        g = OrgGroup(unit_id=unit_id, key=key_of(r.name), name=r.name, kind=r.kind,
                     convener_id=None, created_at=tx.now)  # fmt: skip
        s.add(g)
        s.flush()
        report.groups_created.append(r.name)
        tx.record(ORG_CHAIN, "group.created", "group", g.id, actor, unit_id=unit_id,
                  data={"name": r.name, "unit": r.unit_code, "kind": r.kind})  # fmt: skip
    return g


def _member(
    tx: Tx, actor: Actor, g: OrgGroup, person_id: int, r: PositionRow, report: PositionReport
) -> None:
    s = tx.session
    known = s.scalar(
        select(OrgGroupMember.id).where(
            OrgGroupMember.group_id == g.id, OrgGroupMember.person_id == person_id
        )
    )
    if known is None:
        s.add(OrgGroupMember(group_id=g.id, person_id=person_id))
        report.members_added.append((g.name, r.email or ""))
    if r.convener and g.convener_id != person_id:
        g.convener_id = person_id
    if known is None or r.convener:
        tx.record(ORG_CHAIN, "group.member_set", "group", g.id, actor, unit_id=g.unit_id,
                  data={"name": g.name, "member": r.email, "convener": r.convener})  # fmt: skip


# --- reading ------------------------------------------------------------------------------
def holder_of(s: Session, position_id: int, day: date) -> int | None:
    """The person holding the position on ``day`` (the latest start wins)."""
    return s.scalar(
        select(PositionHolder.person_id)
        .where(
            PositionHolder.position_id == position_id,
            PositionHolder.valid_from <= day,
            or_(PositionHolder.valid_to.is_(None), PositionHolder.valid_to >= day),
        )
        .order_by(PositionHolder.valid_from.desc())
        .limit(1)
    )


def convener_of(s: Session, g: OrgGroup, day: date) -> int | None:
    """A group's convener; a management team's: the unit's manager on ``day``."""
    if g.kind == "management_team":
        holders = queries.holders_of(s, [Address(Role.MANAGER, g.unit_id)], day)
        found = holders.get(Address(Role.MANAGER, g.unit_id), [])
        return found[0] if found else None
    return g.convener_id


@dataclass(frozen=True)
class Named:
    """A position or group a responsible's text names, and who acts for it today."""

    kind: str  # "position" or "group"
    id: int
    title: str
    unit_id: int
    person_id: int | None


def find(s: Session, text: str, unit_id: int, org: OrgSnapshot, day: date) -> Named | None:
    """The position or group named ``text`` at the unit or the nearest unit above."""
    key = key_of(text)
    units = [unit_id, *org.ancestors(unit_id)]
    positions = {
        p.unit_id: p
        for p in s.scalars(select(Position).where(Position.key == key, Position.unit_id.in_(units)))
    }
    groups = {
        g.unit_id: g
        for g in s.scalars(select(OrgGroup).where(OrgGroup.key == key, OrgGroup.unit_id.in_(units)))
    }
    for u in units:
        if u in positions:
            p = positions[u]
            return Named("position", p.id, p.title, u, holder_of(s, p.id, day))
        if u in groups:
            g = groups[u]
            return Named("group", g.id, g.name, u, convener_of(s, g, day))
    return None


def known_names(s: Session) -> frozenset[str]:
    """Every position title and group name (folded), for checking a plan file at once."""
    return frozenset(s.scalars(select(Position.key))) | frozenset(s.scalars(select(OrgGroup.key)))


def names_in_reach(s: Session, unit_id: int, org: OrgSnapshot) -> list[str]:
    """The positions and groups a measure of the unit may name (for an error message)."""
    units = [unit_id, *org.ancestors(unit_id)]
    titles = s.scalars(select(Position.title).where(Position.unit_id.in_(units)))
    names = s.scalars(select(OrgGroup.name).where(OrgGroup.unit_id.in_(units)))
    return sorted({*titles, *names})


def all_titles(s: Session) -> list[str]:
    return sorted({*s.scalars(select(Position.title)), *s.scalars(select(OrgGroup.name))})


def row_error(file: str, line: int, column: str, text: str, existing: list[str]) -> RowError:
    listed = ", ".join(existing) if existing else "–"
    return RowError(
        file, line, column,
        f"{text!r} is no person (e-mail), role or position; the positions and groups that "
        f"exist: {listed}",
        f"{text!r} är varken en person (e-post), en roll eller en befattning; de befattningar "
        f"och grupper som finns: {listed}",
    )  # fmt: skip


# --- the positions page and API -----------------------------------------------------------
@dataclass(frozen=True)
class HolderSpan:
    name: str
    email: str
    valid_from: date
    valid_to: date | None
    current: bool


@dataclass(frozen=True)
class PositionView:
    id: int
    title: str
    unit_code: str
    unit_name: str
    holder: str | None  # who holds it today (name)
    holders: list[HolderSpan]


@dataclass(frozen=True)
class GroupView:
    id: int
    name: str
    unit_code: str
    unit_name: str
    kind: str  # "members" or "management_team"
    convener: str | None  # today
    members: list[tuple[str, str]]  # (name, e-mail), today


@dataclass(frozen=True)
class Overview:
    positions: list[PositionView]
    groups: list[GroupView]


def overview(app: App, actor: Actor, *, unit_code: str | None = None) -> Overview:
    """The positions with their holders over time and the groups with their members, at
    the units the person administers (HR or a director at or above them); nothing for
    anyone else. ``unit_code``: only that unit (404 outside their units)."""
    from engine.domain.errors import NotFound
    from engine.org.visibility import scope_of

    day = local_date(app.clock.now())
    with app.read() as s:
        scope = scope_of(s, actor, app)
        org = queries.org_snapshot(s, day)
        mine = [u for u in org.subtree(None) if scope.administers(u, org)]
        if unit_code is not None:
            uid = s.scalar(select(OrgUnit.id).where(OrgUnit.code == unit_code))
            if uid is None or uid not in mine:
                raise NotFound("unit", unit_code)
            mine = [uid]
        if not mine:
            return Overview([], [])
        units = {u.id: u for u in s.scalars(select(OrgUnit).where(OrgUnit.id.in_(mine)))}
        order = {u: n for n, u in enumerate(mine)}
        pos = sorted(
            s.scalars(select(Position).where(Position.unit_id.in_(mine))),
            key=lambda p: (order[p.unit_id], p.key),
        )
        spans: dict[int, list[PositionHolder]] = {}
        if pos:
            for h in s.scalars(
                select(PositionHolder)
                .where(PositionHolder.position_id.in_([p.id for p in pos]))
                .order_by(PositionHolder.valid_from)
            ):
                spans.setdefault(h.position_id, []).append(h)
        groups = sorted(
            s.scalars(select(OrgGroup).where(OrgGroup.unit_id.in_(mine))),
            key=lambda g: (order[g.unit_id], g.key),
        )
        members: dict[int, list[int]] = {}
        for g in groups:
            if g.kind == "management_team":
                children = [u for u, p in org.parents.items() if p == g.unit_id]
                found = queries.holders_of(s, [Address(Role.MANAGER, u) for u in children], day)
                members[g.id] = [p for ps in found.values() for p in ps]
            else:
                members[g.id] = list(
                    s.scalars(
                        select(OrgGroupMember.person_id).where(OrgGroupMember.group_id == g.id)
                    )
                )
        conveners = {g.id: convener_of(s, g, day) for g in groups}
        people = {h.person_id for hs in spans.values() for h in hs}
        people |= {p for ps in members.values() for p in ps}
        people |= {p for p in conveners.values() if p is not None}
        persons = {
            p.id: p for p in s.scalars(select(Person).where(Person.id.in_(people)))
        } if people else {}  # fmt: skip

        def current(h: PositionHolder) -> bool:
            return h.valid_from <= day and (h.valid_to is None or h.valid_to >= day)

        def name(pid: int | None) -> str | None:
            return persons[pid].name if pid is not None and pid in persons else None

        out_p = []
        for p in pos:
            hs = spans.get(p.id, [])
            now_ = [h for h in hs if current(h)]
            out_p.append(
                PositionView(
                    p.id, p.title, units[p.unit_id].code, units[p.unit_id].name,
                    name(now_[-1].person_id) if now_ else None,
                    [HolderSpan(persons[h.person_id].name, persons[h.person_id].email,
                                h.valid_from, h.valid_to, current(h)) for h in hs],
                )
            )  # fmt: skip
        out_g = [
            GroupView(
                g.id, g.name, units[g.unit_id].code, units[g.unit_id].name, g.kind,
                name(conveners[g.id]),
                sorted((persons[p].name, persons[p].email) for p in members[g.id] if p in persons),
            )
            for g in groups
        ]  # fmt: skip
        return Overview(out_p, out_g)
