"""Use cases for the organisation: import, substitutes, span of control.

Rights: an import changes only what the importer administers (``org_authorize``); a
substitute is set by the one away or by someone whose rights cover all they do
(``org_rights``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Progress, Tx, no_progress
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.bulk import paused_gc
from engine.db.models import OrgUnit, Person, RoleAssignment, Substitute, table
from engine.domain.clock import local_date
from engine.domain.errors import (
    Conflict,
    ImportInvalid,
    InvalidInput,
    NotFound,
    NotPermitted,
    RowError,
)
from engine.domain.imports.org import PersonRoleRow, UnitRow, parse_people, parse_units
from engine.domain.org import SpanOfControl, span_of_control
from engine.domain.workflow.states import Role
from engine.org import changes, visibility
from engine.org import pending as org_pending
from engine.org import rights as org_rights
from engine.org.authorize import Files, ImportPlan, authorize
from engine.org.rights import AdminRights, BothRights, Rights, admin_rights

ORG_CHAIN = "org"


@dataclass
class ImportReport:
    """What an import changes (a preview when ``applied`` is False)."""

    applied: bool = False
    units_created: list[str] = field(default_factory=list)
    units_updated: list[str] = field(default_factory=list)
    units_unchanged: int = 0
    units_not_in_file: list[str] = field(default_factory=list)
    people_created: list[str] = field(default_factory=list)
    people_updated: list[str] = field(default_factory=list)
    people_unchanged: int = 0
    roles_added: list[tuple[str, str, str]] = field(default_factory=list)
    roles_updated: list[tuple[str, str, str]] = field(default_factory=list)
    roles_ended: list[tuple[str, str, str]] = field(default_factory=list)
    roles_unchanged: int = 0
    roles_kept: int = 0  # left out of the file, but outside the importer's reach: kept
    tasks_held: int = 0  # open tasks held by the manager above for new managers (engine.alloc)
    held: int | None = None  # the held import waiting for a second HR person

    @property
    def changes(self) -> int:
        return (
            len(self.units_created)
            + len(self.units_updated)
            + len(self.people_created)
            + len(self.people_updated)
            + len(self.roles_added)
            + len(self.roles_updated)
            + len(self.roles_ended)
        )


@dataclass(frozen=True)
class PreparedImport:
    """Two files read, checked and authorized: nothing written yet."""

    unit_rows: list[UnitRow]
    people_rows: list[PersonRoleRow]
    plan: ImportPlan
    files: Files
    units_csv: str
    people_csv: str

    def needs_confirmation(self, app: App, actor: Actor) -> bool:
        """A person's import that ends too many roles waits for a second HR person."""
        return not actor.is_system and self.plan.needs_confirmation(
            app.settings.org_import_confirm_percent
        )


def prepare_import(
    app: App,
    actor: Actor,
    units_csv: str,
    people_csv: str,
    *,
    units_file: str = "units.csv",
    people_file: str = "people.csv",
) -> PreparedImport:
    """Validate both files completely and check every change against the person's rights
    (``org_authorize``), writing nothing. Raises ImportInvalid or ImportNotPermitted naming
    every bad row. A job runner calls this before it starts the work."""
    files = Files(units_file, people_file)
    unit_rows, people_rows = _parse(app, units_csv, people_csv, files)
    with app.read() as s:
        employee_numbers_free(s, people_rows, files.people)
        plan = authorize(s, _rights(s, actor, app), unit_rows, people_rows, _day(app), files)
    return PreparedImport(unit_rows, people_rows, plan, files, units_csv, people_csv)


def import_org(
    app: App,
    actor: Actor,
    units_csv: str,
    people_csv: str,
    *,
    units_file: str = "units.csv",
    people_file: str = "people.csv",
    dry_run: bool = False,
    progress: Progress = no_progress,
) -> ImportReport:
    """Validate and authorize both files completely, then apply them in one transaction
    (or not at all).

    Units and people are matched by code and e-mail, so importing again updates instead of
    duplicating. The people file is the whole truth about the imported roles within the
    importer's reach: a role it no longer lists is ended (valid to yesterday), never
    deleted; roles outside their reach are kept. An import that would end more than
    ``org_import_confirm_percent`` of the roles in reach is held (``report.held``) until a
    second HR person confirms it (``confirm_import``).
    """
    with paused_gc():  # every row, ORM state and audit record lives until the commit
        prepared = prepare_import(
            app, actor, units_csv, people_csv, units_file=units_file, people_file=people_file
        )
        progress(0, 3, "validated")
        held = not dry_run and prepared.needs_confirmation(app, actor)
        work = _import_work(app, actor, prepared, lambda s: _rights(s, actor, app), progress)
        if not (dry_run or held):
            return app.run(work)
        report = app.preview(work)
    report.applied = False
    if held:
        files = (prepared.files.units, prepared.files.people)
        report.held = org_pending.hold(app, actor, units_csv, people_csv, files, prepared.plan)
    return report


def confirm_import(app: App, actor: Actor, pending_id: int, content_hash: str) -> ImportReport:
    """A second HR person applies a held import, exactly as held: both the one who asked
    and the one confirming must have the rights for every change, and the roles it ends
    must still be those it was held with (else it is refused: import again)."""
    held = org_pending.for_confirmation(app, actor, pending_id, content_hash)
    files = Files(held.units_file, held.people_file)
    unit_rows, people_rows = _parse(app, held.units_csv, held.people_csv, files)

    def rights_of(s: Session) -> Rights:
        day = _day(app)
        first = admin_rights(s, held.requested_by, day)
        second = admin_rights(
            s,
            actor.person_id,
            day,
            roles=(Role.HR,),
            parents=first.parents,
            not_for=held.requested_by,
        )
        return BothRights(first, second)

    with app.read() as s:
        plan = authorize(s, rights_of(s), unit_rows, people_rows, _day(app), files)
    prepared = PreparedImport(unit_rows, people_rows, plan, files, held.units_csv, held.people_csv)

    def check(tx: Tx, plan: ImportPlan) -> None:
        if sorted(plan.ending_labels) != sorted(held.ending):
            raise Conflict(
                "the organisation has changed since the import was held; import it again",
                "organisationen har ändrats sedan importen hölls; importera den igen",
            )
        org_pending.mark_confirmed(tx, actor, held)

    return app.run(_import_work(app, actor, prepared, rights_of, no_progress, check))


def _import_work(
    app: App,
    actor: Actor,
    prepared: PreparedImport,
    rights_of: Callable[[Session], Rights],
    progress: Progress,
    check: Callable[[Tx, ImportPlan], None] | None = None,
) -> Callable[[Tx], ImportReport]:
    """The import as one unit of work: authorized again inside its own transaction (the
    organisation may have changed since ``prepare_import``), then applied."""

    def work(tx: Tx) -> ImportReport:
        plan = authorize(
            tx.session,
            rights_of(tx.session),
            prepared.unit_rows,
            prepared.people_rows,
            local_date(tx.now),
            prepared.files,
        )
        if check is not None:
            check(tx, plan)
        report = ImportReport(applied=True, roles_kept=plan.kept_outside)
        codes = _apply_units(tx, actor, prepared.unit_rows, report)
        progress(1, 3, "units")
        emails = _apply_people(tx, actor, prepared.people_rows, report)
        progress(2, 3, "people")
        assigned: list[dict[str, Any]] = []
        _apply_roles(tx, actor, prepared.people_rows, codes, emails, report, plan.ending, assigned)
        report.tasks_held += changes.new_managers(app, tx, actor, assigned)
        progress(3, 3, "roles")
        return report

    return work


def _parse(
    app: App, units_csv: str, people_csv: str, files: Files
) -> tuple[list[UnitRow], list[PersonRoleRow]]:
    with app.read() as session:
        known = frozenset(session.scalars(select(OrgUnit.code)))
    unit_rows = parse_units(units_csv, files.units, known)
    people_rows = parse_people(
        people_csv, files.people, known | frozenset(r.code for r in unit_rows)
    )
    return unit_rows, people_rows


def employee_numbers_free(s: Session, rows: list[PersonRoleRow], file: str) -> None:
    """No employee number in the file belongs in samflow to a person with another e-mail
    (unique where given); raises ImportInvalid naming every such row."""
    wanted = {r.employee_number: r for r in rows if r.employee_number}
    errors = []
    for batch in chunks(sorted(wanted)):
        for number, email in s.execute(
            select(Person.employee_number, Person.email).where(Person.employee_number.in_(batch))
        ):
            row = wanted[number]
            if email != row.email:
                errors.append(
                    RowError(
                        file,
                        row.line,
                        "employee_number",
                        f"employee number {number!r} belongs to {email} in samflow",
                        f"anställningsnummer {number!r} tillhör {email} i samflow",
                    )
                )
    if errors:
        raise ImportInvalid(sorted(errors, key=lambda e: e.line))


def person_changes(rows: list[PersonRoleRow]) -> dict[str, tuple[str, str | None]]:
    """Each e-mail's name and employee number (None: the file gives none) from the rows."""
    out: dict[str, tuple[str, str | None]] = {}
    for row in rows:
        name, number = out.get(row.email, (row.name, None))
        out[row.email] = (name, number or row.employee_number)
    return out


def apply_person(person: Person, name: str, number: str | None, now: datetime) -> bool:
    """Bring a person in line with the file (name, active, the number if it gives one)."""
    if (
        person.name == name
        and person.active
        and (number is None or person.employee_number == number)
    ):
        return False
    person.name, person.active, person.updated_at = name, True, now
    if number is not None:
        person.employee_number = number
    return True


def person_data(p: Person) -> dict[str, Any]:
    data: dict[str, Any] = {"email": p.email, "name": p.name}
    if p.employee_number:
        data["employee_number"] = p.employee_number
    return data


def _day(app: App) -> date:
    return local_date(app.clock.now())


def _rights(s: Session, actor: Actor, app: App) -> AdminRights:
    return admin_rights(s, actor.person_id, _day(app))


def new_unit(row: UnitRow, now: datetime) -> OrgUnit:
    """A unit an import creates (active; linked to its parent once every unit exists).
    Used by both import paths: one transaction here, batches in engine.workflow.batch."""
    return OrgUnit(
        code=row.code,
        name=row.name,
        level=row.level,
        headcount=row.headcount,
        active=True,
        created_at=now,
        updated_at=now,
    )


def _apply_units(tx: Tx, actor: Actor, rows: list[UnitRow], report: ImportReport) -> dict[str, int]:
    s = tx.session
    existing = {u.code: u for u in s.scalars(select(OrgUnit))}
    in_file = {r.code for r in rows}
    report.units_not_in_file = sorted(c for c in existing if c not in in_file)
    for row in rows:  # parents first is not needed: we link after all exist
        unit = existing.get(row.code)
        if unit is None:
            unit = new_unit(row, tx.now)
            s.add(unit)
            existing[row.code] = unit
            report.units_created.append(row.code)
    s.flush()
    ids = {code: u.id for code, u in existing.items()}
    new_codes = set(report.units_created)  # a set: a list test per row made this quadratic
    for row in rows:
        unit = existing[row.code]
        parent_id = ids[row.parent_code] if row.parent_code else None
        new = {
            "name": row.name,
            "level": row.level,
            "headcount": row.headcount,
            "parent_id": parent_id,
            "active": True,
        }
        old = {k: getattr(unit, k) for k in new}
        created = row.code in new_codes
        if old != new or created:
            for k, v in new.items():
                setattr(unit, k, v)
            unit.updated_at = tx.now
            if not created:
                report.units_updated.append(row.code)
            changed = new if created else {k: v for k, v in new.items() if old[k] != v}
            tx.record(
                ORG_CHAIN,
                "unit.created" if created else "unit.updated",
                "unit",
                unit.id,
                actor,
                unit_id=unit.id,
                data={"code": row.code, **changed},
            )
        else:
            report.units_unchanged += 1
    s.flush()
    return ids


def _apply_people(
    tx: Tx, actor: Actor, rows: list[PersonRoleRow], report: ImportReport
) -> dict[str, int]:
    s = tx.session
    existing = {p.email: p for p in s.scalars(select(Person))}
    for email, (name, number) in person_changes(rows).items():
        person = existing.get(email)
        if person is None:
            person = Person(
                email=email,
                name=name,
                employee_number=number,
                active=True,
                created_at=tx.now,
                updated_at=tx.now,
            )
            s.add(person)
            existing[email] = person
            report.people_created.append(email)
        elif apply_person(person, name, number, tx.now):
            report.people_updated.append(email)
        else:
            report.people_unchanged += 1
    s.flush()
    new_people = set(report.people_created)  # a set, not a list test per person
    for email in report.people_created + report.people_updated:
        p = existing[email]
        action = "person.created" if email in new_people else "person.updated"
        tx.record(ORG_CHAIN, action, "person", p.id, actor, data=person_data(p))
    return {e: p.id for e, p in existing.items()}


def _apply_roles(
    tx: Tx,
    actor: Actor,
    rows: list[PersonRoleRow],
    codes: dict[str, int],
    emails: dict[str, int],
    report: ImportReport,
    ending: frozenset[tuple[int, str, int]],
    assigned: list[dict[str, Any]],
) -> None:
    """Add and change the roles the file lists; end only the ``ending`` ones (those the
    file leaves out within the importer's reach, see ``org_authorize``)."""
    s = tx.session
    today = local_date(tx.now)
    current: dict[tuple[int, str, int], RoleAssignment] = {}
    for ra in s.scalars(
        select(RoleAssignment).where(
            RoleAssignment.source == "import",
            (RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to >= today),
        )
    ):
        if ra.valid_to is None or ra.valid_to >= ra.valid_from:
            current[(ra.person_id, ra.role, ra.unit_id)] = ra
    unit_codes = {v: k for k, v in codes.items()}
    person_emails = {v: k for k, v in emails.items()}
    wanted = add_and_change_roles(tx, actor, rows, emails, codes, current, report, assigned)
    for key, ra in current.items():
        if key in wanted or key not in ending:
            continue
        ended = today - timedelta(days=1)
        ra.valid_to = ended if ra.valid_from <= ended else ra.valid_from - timedelta(days=1)
        report.roles_ended.append(
            (person_emails.get(key[0], str(key[0])), key[1], unit_codes.get(key[2], str(key[2])))
        )
        tx.record(
            ORG_CHAIN,
            "role.ended",
            "person",
            key[0],
            actor,
            unit_id=key[2],
            data={"role": key[1], "valid_to": ra.valid_to},
        )
    s.flush()


def add_and_change_roles(
    tx: Tx,
    actor: Actor,
    rows: list[PersonRoleRow],
    emails: dict[str, int],
    codes: dict[str, int],
    current: dict[tuple[int, str, int], RoleAssignment],
    report: ImportReport,
    assigned: list[dict[str, Any]] | None = None,
) -> set[tuple[int, str, int]]:
    """The roles the rows list, against the imported roles in force (``current``, by person,
    role and unit): new ones inserted (and added to ``assigned``), changed dates updated,
    each with its audit event; the report counts them. Returns the keys the rows name (what
    is not among them may end). The
    one-transaction import and the batched one (``workflow.org_import``) both write roles
    through this."""
    today = local_date(tx.now)
    person_emails = {v: k for k, v in emails.items()}
    wanted: set[tuple[int, str, int]] = set()
    new_rows: list[dict[str, Any]] = []
    for row in rows:
        if row.role is None or row.unit_code is None:
            continue
        key = (emails[row.email], row.role.value, codes[row.unit_code])
        wanted.add(key)
        valid_from = row.valid_from or today
        found = current.get(key)
        if found is None:
            new_rows.append(
                {
                    "person_id": key[0],
                    "role": key[1],
                    "unit_id": key[2],
                    "valid_from": valid_from,
                    "valid_to": row.valid_to,
                    "source": "import",
                    "created_at": tx.now,
                }
            )
            report.roles_added.append((row.email, key[1], row.unit_code))
        elif found.valid_to != row.valid_to or (
            row.valid_from and found.valid_from != row.valid_from
        ):
            before = {"valid_from": found.valid_from, "valid_to": found.valid_to}
            found.valid_from, found.valid_to = valid_from, row.valid_to
            report.roles_updated.append((row.email, key[1], row.unit_code))
            tx.record(
                ORG_CHAIN,
                "role.updated",
                "person",
                key[0],
                actor,
                unit_id=key[2],
                data={
                    "role": key[1],
                    "from": before,
                    "to": {"valid_from": valid_from, "valid_to": row.valid_to},
                },
            )
        else:
            report.roles_unchanged += 1
    if new_rows:
        tx.session.execute(table(RoleAssignment).insert(), new_rows)
        if assigned is not None:
            assigned.extend(new_rows)
        for r in new_rows:
            tx.record(
                ORG_CHAIN,
                "role.assigned",
                "person",
                r["person_id"],
                actor,
                unit_id=r["unit_id"],
                data={
                    "role": r["role"],
                    "email": person_emails[r["person_id"]],
                    "valid_from": r["valid_from"],
                    "valid_to": r["valid_to"],
                },
            )
    return wanted


# --- substitutes --------------------------------------------------------------------------
@dataclass(frozen=True)
class SubstituteOut:
    id: int
    person_email: str
    for_email: str
    valid_from: date
    valid_to: date
    reason: str


def set_substitute(
    app: App,
    actor: Actor,
    person_email: str,
    for_email: str,
    valid_from: date,
    valid_to: date,
    reason: str = "",
) -> SubstituteOut:
    """``person`` acts for ``for_person`` between the dates. Set by the one who will be
    away, by the line above, or by HR."""
    if valid_to < valid_from:
        raise InvalidInput.field(
            "valid_to", "valid_to is before valid_from", "slutdatum ligger före startdatum"
        )

    def work(tx: Tx) -> SubstituteOut:
        s = tx.session
        person = queries.person_by_email(s, person_email)
        principal = queries.person_by_email(s, for_email)
        if person.id == principal.id:
            raise InvalidInput.field(
                "person",
                "a person cannot substitute for themselves",
                "en person kan inte vara ersättare för sig själv",
            )
        _require_may_set_substitute(tx, actor, principal.id)
        row = Substitute(
            person_id=person.id,
            for_person_id=principal.id,
            valid_from=valid_from,
            valid_to=valid_to,
            reason=reason,
            created_by=actor.person_id,
            created_at=tx.now,
        )
        s.add(row)
        s.flush()
        tx.record(
            ORG_CHAIN,
            "substitute.set",
            "substitute",
            row.id,
            actor,
            data={
                "person": person.email,
                "for": principal.email,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "reason": reason,
            },
        )
        return SubstituteOut(row.id, person.email, principal.email, valid_from, valid_to, reason)

    return app.run(work)


def end_substitute(app: App, actor: Actor, substitute_id: int) -> None:
    """By the one away, the substitute, or whoever may set it (same scope); a
    substitution the person may not manage answers not found."""

    def work(tx: Tx) -> None:
        row = tx.session.get(Substitute, substitute_id)
        if row is None or row.ended_at is not None:
            raise NotFound("substitute", substitute_id)
        if actor.person_id != row.person_id:  # the substitute may always step down
            try:
                _require_may_set_substitute(tx, actor, row.for_person_id)
            except NotPermitted:
                raise NotFound("substitute", substitute_id) from None
        row.ended_at = tx.now
        tx.record(ORG_CHAIN, "substitute.ended", "substitute", row.id, actor)

    app.run(work)


def _require_may_set_substitute(
    tx: Tx, actor: Actor, principal_id: int, substitute_id: int | None = None
) -> None:
    """The one who will be away sets their own substitute; anyone else must cover the
    whole of what that person does (``may_arrange_substitute``). Making oneself the
    substitute of someone at or above one's own level is therefore refused too."""
    if actor.person_id is None or actor.person_id == principal_id:
        return
    if may_arrange_substitute(tx.session, actor.person_id, principal_id, local_date(tx.now)):
        return
    raise NotPermitted(
        "you may set substitutes for yourself, or for people wholly below you "
        "(as the line above, HR or a director over all their units)",
        "du får ange ersättare för dig själv, eller för personer helt under dig "
        "(som chef ovanför, HR eller direktör över alla deras enheter)",
    )


def may_arrange_substitute(s: Session, me: int, principal_id: int, day: date) -> bool:
    """Do ``me``'s rights cover every role the principal holds (HR or a director above or
    at those units, strictly above for HR and director roles; or the line above)?"""
    auth = queries.authority(s, me, day)
    parents = org_rights.unit_tree(s)
    roles = org_rights.roles_of(s, [principal_id], day)[principal_id]
    return org_rights.covers_person(auth, parents, visibility.top_units(s), roles)


# --- read models --------------------------------------------------------------------------
def span(app: App, root_code: str | None = None, threshold: int | None = None) -> SpanOfControl:
    with app.read() as s:
        org = queries.org_snapshot(s, local_date(app.clock.now()))
        scope = set(org.subtree(queries.unit_by_code(s, root_code).id if root_code else None))
        heads = queries.pairs(s, select(OrgUnit.id, OrgUnit.headcount))
        rows = [
            (p, a.unit_id, heads.get(a.unit_id, 0))
            for a, people in org.holders.items()
            if a.role == Role.MANAGER and a.unit_id in scope
            for p in people
        ]
    return span_of_control(rows, threshold or app.settings.span_threshold)
