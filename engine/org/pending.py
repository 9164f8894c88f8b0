"""Imports held for a second HR person's confirmation (see ``org.import_org``).

Who sees a held import: the person who asked for it, and HR whose rights reach every unit
it changes. Who confirms it: one of those HR people, never the one who asked (nor someone
standing in for them). Who refuses it: the one who asked (withdrawing it) or such an HR
person. Every step is an audit event in the ``org`` chain: ``org.import_held``,
``org.import_confirmed``, ``org.import_refused``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.models.people.org import PendingImport
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted
from engine.domain.workflow.states import Role
from engine.org.authorize import ImportPlan
from engine.org.rights import admin_rights

ORG_CHAIN = "org"
HR_ONLY = (Role.HR,)


def content_hash(units_csv: str, people_csv: str) -> str:
    """What a confirmation names: the two files exactly as held."""
    digest = hashlib.sha256(units_csv.encode("utf-8"))
    digest.update(b"\0")
    digest.update(people_csv.encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class PendingView:
    id: int
    content_hash: str
    units_file: str
    people_file: str
    requested_by: str  # name
    requested_email: str
    requested_at: datetime
    roles_in_reach: int
    roles_ending: int
    ending: list[tuple[str, str, str]]  # the first 50 (e-mail, role, unit code)
    mine: bool
    may_confirm: bool


@dataclass(frozen=True)
class Held:
    """A held import as the confirmation needs it."""

    id: int
    content_hash: str
    units_csv: str
    people_csv: str
    units_file: str
    people_file: str
    requested_by: int
    ending: list[tuple[str, str, str]]


def hold(
    app: App,
    actor: Actor,
    units_csv: str,
    people_csv: str,
    files: tuple[str, str],
    plan: ImportPlan,
) -> int:
    """Keep the import for confirmation; the same files held again by the same person are
    the same held import."""
    assert actor.person_id is not None
    digest = content_hash(units_csv, people_csv)

    def work(tx: Tx) -> int:
        found = tx.session.scalar(
            select(PendingImport.id).where(
                PendingImport.status == "pending",
                PendingImport.content_hash == digest,
                PendingImport.requested_by == actor.person_id,
            )
        )
        if found is not None:
            return found
        row = PendingImport(
            content_hash=digest,
            units_file=files[0][:255],
            people_file=files[1][:255],
            units_csv=units_csv,
            people_csv=people_csv,
            status="pending",
            roles_in_reach=plan.roles_in_reach,
            roles_ending=len(plan.ending),
            ending=json.dumps([list(e) for e in plan.ending_labels]),
            touched_units=json.dumps(sorted(u for u in plan.touched_units if u > 0)),
            requested_by=actor.person_id,
            requested_at=tx.now,
            reason="",
        )
        tx.session.add(row)
        tx.session.flush()
        tx.record(
            ORG_CHAIN,
            "org.import_held",
            "pending_import",
            row.id,
            actor,
            data={
                "content_hash": digest,
                "roles_in_reach": plan.roles_in_reach,
                "roles_ending": len(plan.ending),
                "confirm_percent": app.settings.org_import_confirm_percent,
            },
        )
        return row.id

    return app.run(work)


def _may_confirm(s: Session, actor: Actor, row: PendingImport, now: datetime) -> bool:
    if actor.person_id is None or actor.person_id == row.requested_by:
        return False
    rights = admin_rights(
        s, actor.person_id, local_date(now), roles=HR_ONLY, not_for=row.requested_by
    )
    units = json.loads(row.touched_units)
    return bool(rights.roots) and all(rights.may_change_unit(int(u)) for u in units)


def pending(app: App, actor: Actor) -> list[PendingView]:
    """The held imports the person may see, oldest first."""
    now = app.clock.now()
    with app.read() as s:
        rows = list(
            s.scalars(
                select(PendingImport)
                .where(PendingImport.status == "pending")
                .order_by(PendingImport.id)
                .limit(200)
            )
        )
        seen = [r for r in rows if _may_see_now(s, actor, r, now)]
        names = queries.person_names(s, [r.requested_by for r in seen])
        return [
            PendingView(
                r.id,
                r.content_hash,
                r.units_file,
                r.people_file,
                names[r.requested_by][0],
                names[r.requested_by][1],
                r.requested_at,
                r.roles_in_reach,
                r.roles_ending,
                [(e[0], e[1], e[2]) for e in json.loads(r.ending)[:50]],
                r.requested_by == actor.person_id,
                _may_confirm(s, actor, r, now),
            )
            for r in seen
        ]


def _may_see_now(s: Session, actor: Actor, row: PendingImport, now: datetime) -> bool:
    if actor.person_id is None or actor.person_id == row.requested_by:
        return True
    rights = admin_rights(s, actor.person_id, local_date(now), roles=HR_ONLY)
    units = json.loads(row.touched_units)
    return bool(rights.roots) and all(rights.may_change_unit(int(u)) for u in units)


def for_confirmation(app: App, actor: Actor, pending_id: int, digest: str) -> Held:
    """The held import, if this person may confirm it and names its content."""
    now = app.clock.now()
    with app.read() as s:
        row = _visible(s, actor, pending_id, now)
        if actor.person_id == row.requested_by:
            raise NotPermitted(
                "a second HR person must confirm this import; you asked for it",
                "en annan HR-person måste bekräfta importen; du begärde den själv",
            )
        if not _may_confirm(s, actor, row, now):
            raise NotPermitted(
                "only HR over every unit the import changes may confirm it",
                "bara HR över alla enheter som importen ändrar får bekräfta den",
            )
        if digest.strip().lower() != row.content_hash:
            raise InvalidInput.field(
                "content_hash",
                "the files held are not the ones named; look at the held import again",
                "de väntande filerna är inte de som angavs; titta på importen igen",
            )
        ending = [(e[0], e[1], e[2]) for e in json.loads(row.ending)]
        return Held(
            row.id,
            row.content_hash,
            row.units_csv,
            row.people_csv,
            row.units_file,
            row.people_file,
            row.requested_by,
            ending,
        )


def _visible(s: Session, actor: Actor, pending_id: int, now: datetime) -> PendingImport:
    row = s.get(PendingImport, pending_id)
    if row is None or not _may_see_now(s, actor, row, now):
        raise NotFound("pending import", pending_id)
    if row.status != "pending":
        raise Conflict(
            f"the import was already {row.status}", f"importen är redan {_SV[row.status]}"
        )
    return row


_SV = {"confirmed": "bekräftad", "refused": "avvisad", "pending": "väntande"}


def mark_confirmed(tx: Tx, actor: Actor, held: Held) -> None:
    """In the import's own transaction: the held import is confirmed (once)."""
    row = tx.session.get(PendingImport, held.id, with_for_update=True)
    if row is None or row.status != "pending":
        raise Conflict("the import was already decided", "importen är redan avgjord")
    row.status, row.decided_by, row.decided_at = "confirmed", actor.person_id, tx.now
    tx.record(
        ORG_CHAIN,
        "org.import_confirmed",
        "pending_import",
        row.id,
        actor,
        data={"content_hash": row.content_hash, "requested_by": row.requested_by},
    )


def refuse(app: App, actor: Actor, pending_id: int, reason: str = "") -> None:
    """Refuse a held import (or withdraw one's own); it is kept, marked refused."""

    def work(tx: Tx) -> None:
        row = _visible(tx.session, actor, pending_id, tx.now)
        row.status, row.decided_by, row.decided_at = "refused", actor.person_id, tx.now
        row.reason = reason[:4000]
        tx.record(
            ORG_CHAIN,
            "org.import_refused",
            "pending_import",
            row.id,
            actor,
            data={
                "content_hash": row.content_hash,
                "reason": row.reason,
                "withdrawn": actor.person_id == row.requested_by,
            },
        )

    app.run(work)
