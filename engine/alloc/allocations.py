"""Written task allocations (uppgiftsfördelning, AFS 2023:1 9 § and Bilaga 1).

Each unit's manager gets, in writing, the SAM tasks they are to see to, with the authority,
resources and knowledge that go with each, and who stands in for them. The manager above
offers it (the nearest manager strictly above the unit; for the top of the tree, HR or a
director records the board's decision), signing its text; the manager accepts it, signing
the same text (its SHA-256), or returns it naming what is lacking. A new allocation
supersedes the unit's earlier one, which stays readable. Every change is an event in the
unit's allocation chain ``alloc:<unit>``, in the same transaction.

Who sees an allocation: whoever oversees the unit (its managers, its safety representative,
the line above, HR, the director, the chief safety representative) and its substitute;
anyone else is told "not found".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.alloc import holds
from engine.alloc.common import accepted_for as accepted_for  # noqa: PLC0414 (re-exported)
from engine.alloc.common import allocator_of as allocator_of  # noqa: PLC0414
from engine.alloc.common import chain as chain  # noqa: PLC0414
from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models import OrgUnit, Person
from engine.db.models.duties.alloc import AllocationItem, AllocationReturn, TaskAllocation
from engine.domain import allocation as rules
from engine.domain.audit.chain import canonical_json
from engine.domain.clock import local_date
from engine.domain.errors import FieldError, InvalidInput, NotFound, NotPermitted
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role
from engine.org import access
from engine.org import rights as org_rights
from engine.workflow import taskgen

LIVE = (rules.OFFERED, rules.ACCEPTED, rules.RETURNED)


# --- the SAM tasks an allocation may name -------------------------------------------------
@dataclass(frozen=True)
class SamTask:
    key: str
    sv: str
    en: str
    covers: tuple[str, ...]

    def title(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


@cache
def catalogue() -> dict[str, SamTask]:
    """The SAM tasks (``engine/alloc/sam_tasks.yaml``), in their order."""
    text = resources.files("engine.alloc").joinpath("sam_tasks.yaml").read_text("utf-8")
    return {
        e["key"]: SamTask(e["key"], e["title"]["sv"], e["title"]["en"], tuple(e["covers"]))
        for e in yaml.safe_load(text)
    }


def item_of_task(task_key: str) -> str | None:
    """The SAM task a process task is a case of (None: not an allocated kind)."""
    return next((t.key for t in catalogue().values() if task_key in t.covers), None)


# --- input ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemIn:
    key: str
    authority: str = ""
    resources: str = ""
    knowledge: str = ""


@dataclass(frozen=True)
class OfferIn:
    unit: str
    items: Sequence[ItemIn]
    manager: str = ""  # e-mail; default: the unit's manager today
    substitute: str = ""  # e-mail of who stands in
    board: str = ""  # the top unit: the board's name and its decision
    board_decision: str = ""
    note: str = ""


def _text(value: str, path: str, errors: list[FieldError], limit: int = rules.MAX_TEXT) -> str:
    value = value.strip()
    if len(value) > limit:
        errors.append(FieldError(path, f"at most {limit} characters", f"högst {limit} tecken"))
    return value


def _check_items(offer: OfferIn) -> list[FieldError]:
    errors: list[FieldError] = []
    if not offer.items:
        errors.append(
            FieldError("items", "name at least one SAM task", "ange minst en SAM-uppgift")
        )
    if len(offer.items) > rules.MAX_ITEMS:
        errors.append(
            FieldError(
                "items", f"at most {rules.MAX_ITEMS} tasks", f"högst {rules.MAX_ITEMS} uppgifter"
            )
        )
        return errors
    seen: set[str] = set()
    known = catalogue()
    for n, item in enumerate(offer.items):
        path = f"items[{n}]"
        if item.key not in known:
            names = ", ".join(known)
            errors.append(
                FieldError(
                    f"{path}.key",
                    f"unknown SAM task {item.key!r} ({names})",
                    f"okänd SAM-uppgift {item.key!r} ({names})",
                )
            )
        elif item.key in seen:
            errors.append(FieldError(f"{path}.key", "named twice", "angiven två gånger"))
        seen.add(item.key)
        for f in ("authority", "resources", "knowledge"):
            _text(getattr(item, f), f"{path}.{f}", errors)
        if not item.authority.strip():
            errors.append(
                FieldError(
                    f"{path}.authority",
                    "say what authority goes with it",
                    "ange vilka befogenheter som följer med",
                )
            )
    for f, limit in (("board", 200), ("board_decision", 200), ("note", rules.MAX_TEXT)):
        _text(getattr(offer, f), f, errors, limit)
    return errors


# --- who allocates ------------------------------------------------------------------------
def _require_allocator(
    s: Session, actor: Actor, unit_id: int, above: Address | None, day: date
) -> None:
    if actor.person_id is None:
        return
    if above is None:
        if not org_rights.admin_rights(s, actor.person_id, day).may_change_unit(unit_id):
            raise NotPermitted(
                "the board allocates to the top manager: HR or a director records it",
                "styrelsen/nämnden fördelar till högsta chefen: HR eller en direktör "
                "registrerar det",
            )
        return
    ok, _ = queries.acting_on(s, actor.person_id, day, assignee=None, address=above)
    if not ok:
        raise NotPermitted(
            "only the manager above the unit allocates its manager's tasks",
            "bara chefen ovanför enheten fördelar uppgifter till dess chef",
        )


def managers_at(s: Session, unit_id: int, day: date) -> list[int]:
    """Who heads the unit today: its manager, or where it has none its director (as
    routing has it)."""
    found = queries.holders_of(s, [Address(r, unit_id) for r in (Role.MANAGER, Role.DIRECTOR)], day)
    return found.get(Address(Role.MANAGER, unit_id)) or found.get(
        Address(Role.DIRECTOR, unit_id), []
    )


def _person(s: Session, email: str, path: str) -> Person:
    p = s.scalar(select(Person).where(Person.email == email.strip().lower()))
    if p is None or not p.active:
        raise InvalidInput.field(
            path,
            f"no person has the e-mail {email!r}",
            f"ingen person har e-postadressen {email!r}",
        )
    return p


def _unit(s: Session, code: str) -> OrgUnit:
    unit = s.scalar(select(OrgUnit).where(OrgUnit.code == code.strip(), OrgUnit.active.is_(True)))
    if unit is None:
        raise InvalidInput.field(
            "unit", f"no unit has the code {code!r}", f"ingen enhet har koden {code!r}"
        )
    return unit


def _position_title(s: Session, unit: OrgUnit, person_id: int, day: date) -> str:
    """The position the manager holds at the unit, if the organisation names one."""
    from engine.db.models.people.positions import Position
    from engine.org.positions import holder_of

    for p in s.scalars(select(Position).where(Position.unit_id == unit.id).order_by(Position.id)):
        if holder_of(s, p.id, day) == person_id:
            return p.title
    return ""


# --- offering -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Offered:
    id: int
    superseded: tuple[int, ...]
    held: int  # open tasks the manager above now holds until it is accepted


def offer(app: App, actor: Actor, data: OfferIn) -> Offered:
    """The manager above offers the unit's manager a written allocation (signing it); the
    unit's earlier allocation is superseded; a new manager's open tasks stay with the
    manager above until they accept."""
    errors = _check_items(data)
    if errors:
        raise InvalidInput(errors)

    def work(tx: Tx) -> Offered:
        s, day = tx.session, local_date(tx.now)
        unit = _unit(s, data.unit)
        above = allocator_of(s, unit.id, day)
        _require_allocator(s, actor, unit.id, above, day)
        managers = managers_at(s, unit.id, day)
        if data.manager.strip():
            manager = _person(s, data.manager, "manager")
            if manager.id not in managers:
                raise InvalidInput.field(
                    "manager",
                    f"{manager.email} is not the manager of {unit.name} today",
                    f"{manager.email} är inte chef för {unit.name} i dag",
                )
        elif managers:
            manager = s.get_one(Person, managers[0])
        else:
            raise InvalidInput.field(
                "manager",
                f"{unit.name} has no manager today to allocate to",
                f"{unit.name} har ingen chef i dag att fördela till",
            )
        substitute = _person(s, data.substitute, "substitute") if data.substitute.strip() else None
        if substitute is not None and substitute.id == manager.id:
            raise InvalidInput.field(
                "substitute", "the substitute is someone else", "ersättaren är någon annan"
            )
        board, decision = data.board.strip(), data.board_decision.strip()
        if above is None and not (board and decision):
            raise InvalidInput(
                [
                    FieldError(
                        f,
                        "the board and its decision (the top unit is allocated by the board)",
                        "styrelsen/nämnden och dess beslut (högsta enheten fördelas av den)",
                    )
                    for f in ("board", "board_decision")
                    if not getattr(data, f).strip()
                ]
            )
        if above is not None:
            board = decision = ""
        allocator = s.get(Person, actor.person_id) if actor.person_id else None
        items: list[dict[str, Any]] = [
            {
                "number": n,
                "key": i.key,
                "title": {"sv": catalogue()[i.key].sv, "en": catalogue()[i.key].en},
                "authority": i.authority.strip(),
                "resources": i.resources.strip(),
                "knowledge": i.knowledge.strip(),
            }
            for n, i in enumerate(data.items, 1)
        ]
        position = _position_title(s, unit, manager.id, day)
        content: dict[str, Any] = {
            "unit": {"code": unit.code, "name": unit.name},
            "position": position,
            "manager": {"name": manager.name, "email": manager.email},
            "substitute": (
                {"name": substitute.name, "email": substitute.email} if substitute else None
            ),
            "allocator": (
                {"name": allocator.name, "email": allocator.email} if allocator else None
            ),
            "board": {"name": board, "decision": decision} if above is None else None,
            "items": items,
            "note": data.note.strip(),
            "offered_on": day.isoformat(),
        }
        text = canonical_json(content)
        row = TaskAllocation(
            unit_id=unit.id,
            position_title=position,
            manager_id=manager.id,
            substitute_id=substitute.id if substitute else None,
            allocator_id=actor.person_id,
            allocator_unit_id=above.unit_id if above else None,
            board=board,
            board_decision=decision,
            state=rules.OFFERED,
            content=text,
            digest=hashlib.sha256(text.encode()).hexdigest(),
            offered_at=tx.now,
            answer_note="",
            answer_lacking="",
        )
        s.add(row)
        s.flush()
        for item in items:
            s.add(
                AllocationItem(
                    allocation_id=row.id,
                    number=item["number"],
                    key=item["key"],
                    authority=item["authority"],
                    resources=item["resources"],
                    knowledge=item["knowledge"],
                )
            )
        superseded = []
        earlier = s.scalars(
            select(TaskAllocation)
            .where(
                TaskAllocation.unit_id == unit.id,
                TaskAllocation.state.in_(LIVE),
                TaskAllocation.id != row.id,
            )
            .order_by(TaskAllocation.id)
        )
        for old in earlier:
            old.state = rules.next_state(old.state, "supersede")
            old.superseded_at, old.superseded_by_id = tx.now, row.id
            superseded.append(old.id)
            tx.record(
                chain(unit.id),
                "allocation.superseded",
                "allocation",
                old.id,
                actor,
                unit_id=unit.id,
                data={"by": row.id},
            )
        tx.record(
            chain(unit.id),
            "allocation.offered",
            "allocation",
            row.id,
            actor,
            unit_id=unit.id,
            data={
                "manager": manager.email,
                "items": [i.key for i in data.items],
                "digest": row.digest,
                "board": board or None,
                "board_decision": decision or None,
                "substitute": substitute.email if substitute else None,
            },
        )
        s.flush()
        held = holds.hold_for(
            tx, actor, unit.id, manager.id, enabled=app.settings.allocation_hold_new_managers
        )
        return Offered(row.id, tuple(superseded), held)

    return app.run(work)


# --- answering ----------------------------------------------------------------------------
def _load(s: Session, allocation_id: int, *, lock: bool = False) -> TaskAllocation:
    stmt = select(TaskAllocation).where(TaskAllocation.id == allocation_id)
    row = s.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound("allocation", allocation_id)
    return row


def _require_own(row: TaskAllocation, actor: Actor) -> None:
    if actor.person_id != row.manager_id:
        raise NotPermitted(
            "only the manager it is allocated to accepts or returns it (signing it)",
            "bara chefen som fördelningen gäller accepterar eller returnerar den (och "
            "skriver under)",
        )


@dataclass(frozen=True)
class Answered:
    id: int
    state: str
    released: int = 0  # open tasks that came to the manager on acceptance


def accept(app: App, actor: Actor, allocation_id: int) -> Answered:
    """The manager accepts and signs the allocation; the unit's open tasks the manager
    above held for them come to them now."""

    def work(tx: Tx) -> Answered:
        s = tx.session
        row = _load(s, allocation_id, lock=True)
        require_visible(s, actor, row, local_date(tx.now))
        _require_own(row, actor)
        row.state = rules.next_state(row.state, "accept")
        row.answered_at = tx.now
        tx.record(
            chain(row.unit_id),
            "allocation.accepted",
            "allocation",
            row.id,
            actor,
            unit_id=row.unit_id,
            data={"digest": row.digest},
        )
        released = holds.release(tx, actor, row.unit_id, row.manager_id)
        return Answered(row.id, row.state, released)

    return app.run(work)


def return_offer(
    app: App, actor: Actor, allocation_id: int, lacking: Sequence[str], reason: str
) -> Answered:
    """The manager returns the offered allocation in writing: what is lacking and why.
    The manager above then offers a new one (which supersedes this)."""
    errors = rules.lacking_errors(lacking, reason)
    if errors:
        raise InvalidInput(errors)

    def work(tx: Tx) -> Answered:
        s = tx.session
        row = _load(s, allocation_id, lock=True)
        require_visible(s, actor, row, local_date(tx.now))
        _require_own(row, actor)
        row.state = rules.next_state(row.state, "return")
        row.answered_at = tx.now
        row.answer_lacking, row.answer_note = rules.joined(lacking), reason.strip()
        tx.record(
            chain(row.unit_id),
            "allocation.returned",
            "allocation",
            row.id,
            actor,
            unit_id=row.unit_id,
            data={"lacking": row.answer_lacking, "reason": row.answer_note},
        )
        return Answered(row.id, row.state)

    return app.run(work)


# --- seeing -------------------------------------------------------------------------------
def may_see(s: Session, actor: Actor, row: TaskAllocation, day: date, org: OrgSnapshot) -> bool:
    if actor.person_id is None or actor.person_id in (row.manager_id, row.substitute_id):
        return True
    auth = queries.authority(s, actor.person_id, day)
    return access.may_oversee(auth, org, row.unit_id)


def require_visible(s: Session, actor: Actor, row: TaskAllocation, day: date) -> None:
    org = queries.ancestry_snapshot(s, [row.unit_id], day)
    if not may_see(s, actor, row, day, org):
        raise NotFound("allocation", row.id)


@dataclass
class ReturnView:
    id: int
    item: str  # the SAM task's key
    task_id: int | None  # the one case returned (None: the whole task)
    new_task_id: int | None
    lacking: tuple[str, ...]
    reason: str
    returned_by: str
    returned_at: datetime
    state: str
    outcome: str | None
    decision_note: str
    to_person: str
    decided_by: str
    decided_at: datetime | None
    may_decide: bool = False


@dataclass
class AllocationView:
    id: int
    unit_id: int
    unit_code: str
    unit_name: str
    state: str
    content: dict[str, Any]
    digest: str
    manager: tuple[str, str]
    allocator: tuple[str, str] | None
    board: str
    board_decision: str
    offered_at: datetime
    answered_at: datetime | None
    answer_lacking: tuple[str, ...]
    answer_note: str
    superseded_at: datetime | None
    superseded_by_id: int | None
    returns: list[ReturnView] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)
    earlier: list[dict[str, Any]] = field(default_factory=list)
    may_answer: bool = False
    may_offer: bool = False

    @property
    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.content.get("items", [])
        return items


def _names(s: Session, ids: Sequence[int | None]) -> dict[int, tuple[str, str]]:
    return queries.person_names(s, [i for i in ids if i is not None])


def show(app: App, actor: Actor, allocation_id: int) -> AllocationView:
    """One allocation: its signed text, both signatures, its returns with their outcome,
    the tasks held for its manager, and the unit's earlier allocations."""
    with app.read() as s:
        day = local_date(app.clock.now())
        row = _load(s, allocation_id)
        require_visible(s, actor, row, day)
        return _view(app, s, actor, row, day)


def _view(app: App, s: Session, actor: Actor, row: TaskAllocation, day: date) -> AllocationView:
    unit = s.get_one(OrgUnit, row.unit_id)
    rets = list(
        s.scalars(
            select(AllocationReturn)
            .where(AllocationReturn.allocation_id == row.id)
            .order_by(AllocationReturn.id)
        )
    )
    names = _names(
        s,
        [row.manager_id, row.allocator_id]
        + [r.returned_by for r in rets]
        + [r.decided_by for r in rets]
        + [r.to_person_id for r in rets],
    )
    items = {
        i.id: i.key
        for i in s.scalars(select(AllocationItem).where(AllocationItem.allocation_id == row.id))
    }
    above = allocator_of(s, row.unit_id, day)
    returns = [return_view(r, names, items, may_decide(s, actor, r, day)) for r in rets]
    earlier = [
        {
            "id": e.id,
            "state": e.state,
            "offered_at": e.offered_at,
            "answered_at": e.answered_at,
            "manager": names.get(e.manager_id) or _names(s, [e.manager_id]).get(e.manager_id),
        }
        for e in s.scalars(
            select(TaskAllocation)
            .where(TaskAllocation.unit_id == row.unit_id, TaskAllocation.id != row.id)
            .order_by(TaskAllocation.id.desc())
        )
    ]
    may_offer = True
    try:
        _require_allocator(s, actor, row.unit_id, above, day)
    except NotPermitted:
        may_offer = False
    return AllocationView(
        id=row.id,
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        state=row.state,
        content=json.loads(row.content),
        digest=row.digest,
        manager=names.get(row.manager_id, ("", "")),
        allocator=names.get(row.allocator_id) if row.allocator_id else None,
        board=row.board,
        board_decision=row.board_decision,
        offered_at=row.offered_at,
        answered_at=row.answered_at,
        answer_lacking=tuple(x for x in row.answer_lacking.split(",") if x),
        answer_note=row.answer_note,
        superseded_at=row.superseded_at,
        superseded_by_id=row.superseded_by_id,
        returns=returns,
        held=_titled(app, s, holds.held_for_unit(s, row.unit_id))
        if row.state == rules.OFFERED
        else [],
        earlier=earlier,
        may_answer=row.state == rules.OFFERED and actor.person_id == row.manager_id,
        may_offer=may_offer,
    )


def _titled(app: App, s: Session, held: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each held task with its title (the template version it runs)."""
    from engine.db.models import Cycle, Task
    from engine.workflow import templates

    for h in held:
        tid = s.scalar(
            select(Cycle.template_id)
            .join(Task, Task.cycle_id == Cycle.id)
            .where(Task.id == h["task_id"])
        )
        title = templates.by_id(app, s, tid).task(h["key"]).title if tid else None
        h["title_sv"] = title.sv if title else h["key"]
        h["title_en"] = title.en if title else h["key"]
    return held


def return_view(
    r: AllocationReturn, names: dict[int, tuple[str, str]], items: dict[int, str], decide: bool
) -> ReturnView:
    def name(pid: int | None) -> str:
        return names.get(pid, ("", ""))[0] if pid is not None else ""

    return ReturnView(
        id=r.id,
        item=items.get(r.item_id or 0, ""),
        task_id=r.task_id,
        new_task_id=r.new_task_id,
        lacking=tuple(x for x in r.lacking.split(",") if x),
        reason=r.reason,
        returned_by=name(r.returned_by),
        returned_at=r.returned_at,
        state=r.state,
        outcome=r.outcome,
        decision_note=r.decision_note,
        to_person=name(r.to_person_id),
        decided_by=name(r.decided_by),
        decided_at=r.decided_at,
        may_decide=decide,
    )


def may_decide(s: Session, actor: Actor, r: AllocationReturn, day: date) -> bool:
    """The allocator decides a return: whoever holds (or acts for) the manager's role of
    the unit above it went to."""
    if r.state != "open":
        return False
    if actor.person_id is None:
        return True
    for role in (Role.MANAGER, Role.DIRECTOR):
        addr = Address(role, r.to_unit_id)
        if queries.acting_on(s, actor.person_id, day, assignee=None, address=addr)[0]:
            return True
    return False


# --- the chain ----------------------------------------------------------------------------
@dataclass
class ChainRow:
    depth: int
    unit_id: int
    code: str
    name: str
    first_line: bool  # no unit below: a first-line manager's
    managers: list[str]
    allocation_id: int | None
    state: str | None  # of the unit's current allocation; None: none
    manager: str
    allocated_by: str  # the manager above, or the board with its decision
    accepted_at: datetime | None
    items: list[str]
    open_returns: int

    @property
    def missing(self) -> bool:
        return self.state != rules.ACCEPTED


@dataclass
class AllocationChain:
    board: str
    rows: list[ChainRow]

    @property
    def missing(self) -> list[ChainRow]:
        return [r for r in self.rows if r.missing]


def show_chain(app: App, actor: Actor, root: str | None = None) -> AllocationChain:
    """The allocation chain from the board down to every first-line manager, of the units
    the person oversees (below ``root`` if given)."""
    with app.read() as s:
        day = local_date(app.clock.now())
        org = queries.org_snapshot(s, day, with_names=True)
        top = [_unit(s, root).id] if root else org.children(None)
        if actor.person_id is not None:
            auth = queries.authority(s, actor.person_id, day)
            seen = [u for t in top for u in org.subtree(t) if access.may_oversee(auth, org, u)]
        else:
            seen = [u for t in top for u in org.subtree(t)]
        if root and not seen:
            raise NotFound("unit", root)
        return AllocationChain(app.settings.allocation_board, chain_rows(s, org, seen, day))


def chain_rows(s: Session, org: OrgSnapshot, unit_ids: Sequence[int], day: date) -> list[ChainRow]:
    """One row per unit in tree order (depth first), each with its current allocation."""
    wanted = set(unit_ids)
    units = {u.id: u for u in s.scalars(select(OrgUnit).where(OrgUnit.id.in_(sorted(wanted))))}
    current: dict[int, TaskAllocation] = {}
    for a in s.scalars(
        select(TaskAllocation)
        .where(TaskAllocation.unit_id.in_(sorted(wanted)), TaskAllocation.state.in_(LIVE))
        .order_by(TaskAllocation.id)
    ):
        current[a.unit_id] = a
    open_returns: dict[int, int] = {}
    for r in s.scalars(select(AllocationReturn).where(AllocationReturn.state == "open")):
        if r.unit_id in wanted:
            open_returns[r.unit_id] = open_returns.get(r.unit_id, 0) + 1
    managers = queries.holders_of(s, [Address(Role.MANAGER, u) for u in wanted], day)
    names = _names(
        s,
        [*(p for ps in managers.values() for p in ps)]
        + [a.manager_id for a in current.values()]
        + [a.allocator_id for a in current.values()],
    )
    children: dict[int | None, list[int]] = {}
    for u, p in org.parents.items():
        children.setdefault(p, []).append(u)
    rows: list[ChainRow] = []

    def walk(u: int, depth: int) -> None:
        kids = sorted(children.get(u, []), key=lambda k: org.names.get(k, ""))
        if u in wanted and u in units:
            a = current.get(u)
            by = ""
            if a is not None:
                by = (
                    f"{a.board} ({a.board_decision})"
                    if a.allocator_unit_id is None
                    else names.get(a.allocator_id or 0, ("", ""))[0]
                )
            rows.append(
                ChainRow(
                    depth=depth,
                    unit_id=u,
                    code=units[u].code,
                    name=units[u].name,
                    first_line=not kids,
                    managers=[
                        names.get(p, ("", ""))[0]
                        for p in managers.get(Address(Role.MANAGER, u), [])
                    ],
                    allocation_id=a.id if a else None,
                    state=a.state if a else None,
                    manager=names.get(a.manager_id, ("", ""))[0] if a else "",
                    allocated_by=by,
                    accepted_at=a.answered_at if a and a.state == rules.ACCEPTED else None,
                    items=[i["key"] for i in json.loads(a.content)["items"]] if a else [],
                    open_returns=open_returns.get(u, 0),
                )
            )
        for k in kids:
            walk(k, depth + 1 if u in wanted else depth)

    for top in sorted(children.get(None, []), key=lambda k: org.names.get(k, "")):
        walk(top, 0)
    return rows


def chain_table(found: AllocationChain, lang: str = "sv") -> list[list[Any]]:
    """The chain as a table: its headings, then one row per unit (CSV and XLSX share it)."""
    from forms.labels import label

    sv = lang == "sv"
    out: list[list[Any]] = [
        [
            "nivå",
            "enhet",
            "namn",
            "första linjen",
            "chef",
            "fördelad av",
            "status",
            "accepterad",
            "uppgifter",
            "öppna returneringar",
        ]
        if sv
        else [
            "depth",
            "unit",
            "name",
            "first line",
            "manager",
            "allocated by",
            "state",
            "accepted",
            "tasks",
            "open returns",
        ]
    ]
    for r in found.rows:
        out.append(
            [
                r.depth,
                r.code,
                r.name,
                ("ja" if sv else "yes") if r.first_line else "",
                r.manager or ", ".join(r.managers),
                r.allocated_by,
                label("alloc_state", r.state or "none", lang),
                r.accepted_at.date().isoformat() if r.accepted_at else "",
                ", ".join(catalogue()[k].title(lang) for k in r.items if k in catalogue()),
                r.open_returns,
            ]
        )
    return out


def chain_csv(found: AllocationChain, lang: str = "sv") -> str:
    """The chain as CSV (semicolon-separated, as Swedish spreadsheets read it)."""
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(chain_table(found, lang))
    return buf.getvalue()


def chain_xlsx(found: AllocationChain, lang: str = "sv") -> bytes:
    """The chain as a workbook (one sheet, headings in bold, the board's name above)."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Uppgiftsfördelning" if lang == "sv" else "Task allocation")
    bold = Font(bold=True)
    table = chain_table(found, lang)
    sheet.append([("Styrelse/nämnd: " if lang == "sv" else "Board: ") + found.board])
    heads = []
    for h in table[0]:
        c = WriteOnlyCell(sheet, value=h)
        c.font = bold
        heads.append(c)
    sheet.append(heads)
    for row in table[1:]:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def list_mine(app: App, actor: Actor) -> dict[str, list[AllocationView]]:
    """The person's own allocations (offered to them or accepted), and those they made
    that are not yet answered or have open returns."""
    with app.read() as s:
        day = local_date(app.clock.now())
        if actor.person_id is None:
            return {"mine": [], "made": []}
        mine = [
            _view(app, s, actor, a, day)
            for a in s.scalars(
                select(TaskAllocation)
                .where(TaskAllocation.manager_id == actor.person_id, TaskAllocation.state.in_(LIVE))
                .order_by(TaskAllocation.id.desc())
            )
        ]
        made = [
            _view(app, s, actor, a, day)
            for a in s.scalars(
                select(TaskAllocation)
                .where(
                    TaskAllocation.allocator_id == actor.person_id,
                    TaskAllocation.state.in_(LIVE),
                    TaskAllocation.manager_id != actor.person_id,
                )
                .order_by(TaskAllocation.id.desc())
            )
        ]
        return {"mine": mine, "made": made}


def current_for(s: Session, unit_id: int) -> TaskAllocation | None:
    return s.scalar(
        select(TaskAllocation)
        .where(TaskAllocation.unit_id == unit_id, TaskAllocation.state.in_(LIVE))
        .order_by(TaskAllocation.id.desc())
        .limit(1)
    )


def offer_from(data: Any) -> OfferIn:
    """An offer from plain data (a JSON file, a form): every field of the wrong type named."""
    if not isinstance(data, dict):
        raise InvalidInput.field("offer", "an object", "ett objekt")
    errors: list[FieldError] = []

    def text(value: Any, path: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            errors.append(FieldError(path, "text", "text"))
            return ""
        return value

    raw = data.get("items", [])
    if not isinstance(raw, list):
        errors.append(FieldError("items", "a list of tasks", "en lista med uppgifter"))
        raw = []
    if len(raw) > rules.MAX_ITEMS:
        raise InvalidInput.field(
            "items", f"at most {rules.MAX_ITEMS} tasks", f"högst {rules.MAX_ITEMS} uppgifter"
        )
    items = []
    for n, it in enumerate(raw):
        if not isinstance(it, dict):
            errors.append(FieldError(f"items[{n}]", "an object", "ett objekt"))
            continue
        items.append(
            ItemIn(*(text(it.get(f), f"items[{n}].{f}")
                     for f in ("key", "authority", "resources", "knowledge")))
        )  # fmt: skip
    fields = {
        f: text(data.get(f), f)
        for f in ("unit", "manager", "substitute", "board", "board_decision", "note")
    }
    if errors:
        raise InvalidInput(errors)
    return OfferIn(items=items, **fields)


CHAIN_TEMPLATE = "alloc/chain.html"
CHAIN_TITLE = {"sv": "Uppgiftsfördelning", "en": "Task allocation"}


def chain_document(found: AllocationChain, now: datetime) -> dict[str, Any]:
    """The chain as a document (HTML, PDF with its JSON attached): the heading
    ``forms.exports.case_docs`` reads, and one row a unit from the board down."""
    from engine.domain.evidence import digest, normalised

    top = found.rows[0] if found.rows else None
    data = normalised(
        {
            "head": {
                "unit": {"code": top.code if top else "", "name": top.name if top else ""},
                "reference": now.date().isoformat(),
            },
            "board": found.board,
            "as_of": now.isoformat(),
            "rows": [
                {
                    "depth": r.depth,
                    "code": r.code,
                    "name": r.name,
                    "first_line": r.first_line,
                    "manager": r.manager or ", ".join(r.managers),
                    "allocated_by": r.allocated_by,
                    "state": r.state or "none",
                    "accepted_at": r.accepted_at.isoformat() if r.accepted_at else None,
                    "items": [
                        {"sv": catalogue()[k].sv, "en": catalogue()[k].en}
                        for k in r.items
                        if k in catalogue()
                    ],
                    "open_returns": r.open_returns,
                }
                for r in found.rows
            ],
        }
    )
    return {"kind": "samflow.allocation_chain", "format": 1, "digest": digest(data), "data": data}


@dataclass(frozen=True)
class Allocatable:
    code: str
    name: str
    board: bool  # the top: the board allocates (HR or a director records it)
    managers: tuple[tuple[str, str], ...]  # (name, e-mail) of who heads it today


def allocatable(app: App, actor: Actor) -> list[Allocatable]:
    """The units whose manager the person allocates to: those right below where they are
    the manager above, and (HR or a director) the top of the tree for the board."""
    if actor.person_id is None:
        return []
    with app.read() as s:
        day = local_date(app.clock.now())
        org = queries.org_snapshot(s, day, with_names=True)
        rights = org_rights.admin_rights(s, actor.person_id, day)
        mine = []
        for u in org.parents:
            above = taskgen.route("parent.manager", u, org)
            if above is None:
                if rights.may_change_unit(u):
                    mine.append((u, True))
            elif actor.person_id in org.holders_of(above):
                mine.append((u, False))
        codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
        out = []
        for u, board in mine:
            heads = org.holders_of(Address(Role.MANAGER, u)) or org.holders_of(
                Address(Role.DIRECTOR, u)
            )
            names = queries.person_names(s, heads)
            out.append(
                Allocatable(codes[u], org.names.get(u, ""), board,
                            tuple(names[p] for p in heads if p in names))
            )  # fmt: skip
        return sorted(out, key=lambda a: (not a.board, a.name))
