"""Large organisation imports, applied in batches of short transactions (job ``org_import``).

``org.import_org`` applies a whole import in one transaction: right for a few thousand rows,
but 100,000 units held SQLite's write lock for minutes and every other writer failed with
"database is locked". Above ``SAMFLOW_ORG_IMPORT_JOB_ROWS`` rows the doors use this module:

1. ``request`` validates both files completely and checks every change against the
   importer's rights (``org.prepare_import``) *before* anything is written (a bad row: 422,
   a change outside their rights: 403, nothing queued). An import that ends too many roles
   is held for a second HR person, exactly as ``org.import_org`` holds it. Otherwise the
   files are kept with a queued job (``job_store``, as input only: never offered for
   download) and its id returned.
2. ``run`` (the job runner) applies the import through ``apply_in_batches``: units (parents
   first), people, roles added or changed, roles the file no longer lists ended; each batch
   of ``SAMFLOW_ORG_IMPORT_BATCH_ROWS`` rows is one transaction with its audit events, so
   other requests get the database between batches. The job shows its progress. Rights
   are checked again when the job runs (the organisation may have changed while it was
   queued); only the roles that check allows the importer to end are ended.

A crash mid-way leaves a prefix of the batches committed, each whole. Running the job (or
the same import) again is idempotent: matched by code and e-mail, what is already there is
unchanged and records nothing, and the rest is applied. The audit events are those of
``org.import_org``, one per change.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select

from engine.context import Actor, App, Progress, Tx, no_progress
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.bulk import paused_gc
from engine.db.models import OrgUnit, Person, RoleAssignment
from engine.db.models.workflow.files import JobFile
from engine.domain.clock import local_date
from engine.domain.errors import SamflowError
from engine.domain.imports.org import PersonRoleRow, UnitRow
from engine.org import admin as org
from engine.org import changes
from engine.org import pending as org_pending
from engine.org.admin import ORG_CHAIN, ImportReport, PreparedImport
from engine.org.authorize import require_some_rights
from engine.workflow.batch import job_store, jobs

log = logging.getLogger("samflow.org_import")

KIND = "org_import"
INPUT = "input/org-import.json"  # a job's input file: never offered as a download

RoleKey = tuple[int, str, int]  # person, role, unit


@dataclass(frozen=True)
class Requested:
    """What ``request`` did: queued a job, or held the import for a second HR person."""

    job_id: int | None = None
    held: ImportReport | None = None


def rows_in(units_csv: str, people_csv: str) -> int:
    """Lines of both files (a cheap measure, before parsing), to choose the job path."""
    return units_csv.count("\n") + people_csv.count("\n")


def needs_job(app: App, units_csv: str, people_csv: str) -> bool:
    return rows_in(units_csv, people_csv) > app.settings.org_import_job_rows


def still_an_administrator(app: App, tx: Tx, actor: Actor) -> None:
    """Each batch: the importer still administers some units. The whole import was checked
    change by change (``org.prepare_import``) before the first batch; re-checking every row
    in every batch would make a large import quadratic."""
    if not actor.is_system:
        require_some_rights(org._rights(tx.session, actor, app))


def _held(app: App, actor: Actor, prepared: PreparedImport) -> ImportReport:
    """Hold an import that ends too many roles, as ``org.import_org`` does (nothing applied;
    the roles it would end are listed)."""
    report = ImportReport(applied=False, roles_kept=prepared.plan.kept_outside)
    report.roles_ended = list(prepared.plan.ending_labels)
    files = (prepared.files.units, prepared.files.people)
    held = org_pending.hold(
        app, actor, prepared.units_csv, prepared.people_csv, files, prepared.plan
    )
    report.held = held
    return report


# --- the job --------------------------------------------------------------------------------
def request(
    app: App,
    actor: Actor,
    units_csv: str,
    people_csv: str,
    runner: str,
    *,
    units_file: str = "units.csv",
    people_file: str = "people.csv",
) -> Requested:
    """Validate everything and check rights now; hold the import for a second HR person
    when it ends too many roles, else queue it as a job."""
    with paused_gc():  # checking every row first: all of them live until it is done
        prepared = org.prepare_import(
            app, actor, units_csv, people_csv, units_file=units_file, people_file=people_file
        )
    if prepared.needs_confirmation(app, actor):
        return Requested(held=_held(app, actor, prepared))
    params = {"units": len(prepared.unit_rows), "people_rows": len(prepared.people_rows)}
    job_id = jobs.create(app, actor, KIND, params | {"files": [units_file, people_file]}, runner)
    content = json.dumps(
        {"units": units_csv, "people": people_csv, "files": [units_file, people_file]}
    ).encode()
    job_store.store(app, job_id, INPUT, "application/json", content)
    return Requested(job_id=job_id)


def run(app: App, job_id: int) -> jobs.JobView:
    """Apply a queued import in batches; the job row holds progress and the outcome."""
    _, actor = jobs.begin(app, job_id)
    try:
        with app.read() as s:
            stored = s.scalar(select(JobFile.content).where(JobFile.job_id == job_id))
        if stored is None:
            raise RuntimeError("the import's files are gone; import again")
        files = json.loads(stored)
        units_file, people_file = files["files"]
        with jobs.heartbeat(app, job_id):
            report = apply_in_batches(
                app,
                actor,
                files["units"],
                files["people"],
                units_file=units_file,
                people_file=people_file,
                progress=jobs.progress_sink(app, job_id),
            )
    except SamflowError as exc:
        return jobs.fail(app, job_id, exc.message("en"))
    except Exception as exc:
        log.exception("organisation import job %s failed", job_id)
        return jobs.fail(app, job_id, f"{type(exc).__name__}: {exc}")
    with app.db.write() as s:  # applied: the input is not needed again
        s.execute(delete(JobFile).where(JobFile.job_id == job_id))
    return jobs.finish(app, job_id, summary(report))


def summary(report: ImportReport) -> dict[str, Any]:
    """Counts, and the first few of each list (the audit log has every change)."""
    out: dict[str, Any] = {"changes": report.changes}
    for name, value in report.__dict__.items():
        if isinstance(value, list):
            out[name] = len(value)
            out[f"{name}_first"] = [list(v) if isinstance(v, tuple) else v for v in value[:20]]
        else:
            out[name] = value
    return out


# --- applying in batches --------------------------------------------------------------------
def apply_in_batches(
    app: App,
    actor: Actor,
    units_csv: str,
    people_csv: str,
    *,
    units_file: str = "units.csv",
    people_file: str = "people.csv",
    batch_rows: int | None = None,
    progress: Progress = no_progress,
    on_batch: Callable[[str, float], None] | None = None,
) -> ImportReport:
    """Validate all and check every change against the importer's rights (nothing is written
    if any row is bad or outside their rights; an import that ends too many roles is held,
    as by ``org.import_org``), then apply in batches, each one transaction with its audit
    events. ``on_batch(phase, seconds)`` hears how long each batch's transaction took (the
    write lock on SQLite)."""
    size = batch_rows or app.settings.org_import_batch_rows
    pause = app.settings.org_import_pause_ms / 1000
    with paused_gc():  # checking every row first: all of them live until it is done
        prepared = org.prepare_import(
            app, actor, units_csv, people_csv, units_file=units_file, people_file=people_file
        )
    if prepared.needs_confirmation(app, actor):
        return _held(app, actor, prepared)
    parsed_units, parsed_people = prepared.unit_rows, prepared.people_rows
    report = ImportReport(applied=True, roles_kept=prepared.plan.kept_outside)
    names = org.person_changes(parsed_people)
    roles = [r for r in parsed_people if r.role is not None and r.unit_code is not None]
    with app.read() as s:
        in_file = {r.code for r in parsed_units}
        report.units_not_in_file = sorted(
            c for c in s.scalars(select(OrgUnit.code)) if c not in in_file
        )
    total = len(parsed_units) + len(names) + len(roles)
    done = [0]

    Step = Callable[[Tx, list[Any], ImportReport], None]

    def batches(phase: str, items: Sequence[Any], step: Step) -> None:
        for batch in chunks(list(items), size):
            started = time.perf_counter()

            def work(tx: Tx, rows: list[Any] = list(batch)) -> ImportReport:  # noqa: B006
                still_an_administrator(app, tx, actor)
                part = ImportReport()  # a retried transaction starts from a clean part
                step(tx, rows, part)
                return part

            _merge(report, app.run(work))
            if on_batch is not None:
                on_batch(phase, time.perf_counter() - started)
            time.sleep(pause)  # let writers waiting for the database in (see settings)
            done[0] += len(batch) if phase != "ended" else 0
            progress(done[0], total, phase)

    batches("units", _parents_first(parsed_units), lambda tx, b, r: _units(tx, actor, b, r))
    batches("people", sorted(names.items()), lambda tx, b, r: _people(tx, actor, b, r))
    batches("roles", roles, lambda tx, b, r: _roles(app, tx, actor, b, r))
    ending = _roles_to_end(app, prepared.plan.ending)
    batches("ended", ending, lambda tx, b, r: _end_roles(tx, actor, b, r))
    progress(total, total, "done")
    return report


def _merge(report: ImportReport, part: ImportReport) -> None:
    for name, value in part.__dict__.items():
        if isinstance(value, list):
            getattr(report, name).extend(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            setattr(report, name, getattr(report, name) + value)


def _parents_first(rows: list[UnitRow]) -> list[UnitRow]:
    """Units ordered so that a unit's parent from the file comes before it (the file's
    order otherwise): each batch then links to parents already written."""
    by_code = {r.code: r for r in rows}
    depth: dict[str, int] = {}
    for row in rows:
        chain, code = [], row.code
        while code in by_code and code not in depth:
            chain.append(code)
            code = by_code[code].parent_code or ""
        base = depth.get(code, -1)
        for c in reversed(chain):
            base += 1
            depth[c] = base
    return sorted(rows, key=lambda r: depth[r.code])


def _units(tx: Tx, actor: Actor, rows: list[UnitRow], report: ImportReport) -> None:
    s = tx.session
    wanted = {r.code for r in rows} | {r.parent_code for r in rows if r.parent_code}
    existing = {u.code: u for u in s.scalars(select(OrgUnit).where(OrgUnit.code.in_(wanted)))}
    created: set[str] = set()
    for row in rows:
        if row.code not in existing:
            unit = org.new_unit(row, tx.now)
            s.add(unit)
            existing[row.code] = unit
            created.add(row.code)
    s.flush()
    for row in rows:
        unit = existing[row.code]
        new = {
            "name": row.name,
            "level": row.level,
            "headcount": row.headcount,
            "parent_id": existing[row.parent_code].id if row.parent_code else None,
            "active": True,
        }
        old = {k: getattr(unit, k) for k in new}
        is_new = row.code in created
        if old == new and not is_new:
            report.units_unchanged += 1
            continue
        for k, v in new.items():
            setattr(unit, k, v)
        unit.updated_at = tx.now
        (report.units_created if is_new else report.units_updated).append(row.code)
        changed = new if is_new else {k: v for k, v in new.items() if old[k] != v}
        action = "unit.created" if is_new else "unit.updated"
        data = {"code": row.code, **changed}
        tx.record(ORG_CHAIN, action, "unit", unit.id, actor, unit_id=unit.id, data=data)
    s.flush()


def _people(
    tx: Tx,
    actor: Actor,
    rows: list[tuple[str, tuple[str, str | None]]],
    report: ImportReport,
) -> None:
    s = tx.session
    emails = [e for e, _ in rows]
    existing = {p.email: p for p in s.scalars(select(Person).where(Person.email.in_(emails)))}
    touched: list[tuple[str, Person]] = []
    for email, (name, number) in rows:
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
            report.people_created.append(email)
            touched.append(("person.created", person))
        elif org.apply_person(person, name, number, tx.now):
            report.people_updated.append(email)
            touched.append(("person.updated", person))
        else:
            report.people_unchanged += 1
    s.flush()
    for action, p in touched:
        tx.record(ORG_CHAIN, action, "person", p.id, actor, data=org.person_data(p))


def _current(tx: Tx, person_ids: Iterable[int], today: date) -> dict[RoleKey, RoleAssignment]:
    """The imported roles in force of these people (as ``org.import_org`` reads them)."""
    out: dict[RoleKey, RoleAssignment] = {}
    for ra in tx.session.scalars(
        select(RoleAssignment)
        .where(
            RoleAssignment.source == "import",
            RoleAssignment.person_id.in_(sorted(set(person_ids))),
            (RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to >= today),
        )
        .order_by(RoleAssignment.id)
    ):
        if ra.valid_to is None or ra.valid_to >= ra.valid_from:
            out[(ra.person_id, ra.role, ra.unit_id)] = ra
    return out


def _roles(app: App, tx: Tx, actor: Actor, rows: list[PersonRoleRow], report: ImportReport) -> None:
    """A batch of role rows, written as the one-transaction import writes them
    (``org.admin.add_and_change_roles``), against only its own people's current roles; the
    batch's new managers are heard of in its transaction (``org.changes``: their units'
    open tasks held until their allocation is accepted)."""
    s = tx.session
    units = queries.pairs(
        s, select(OrgUnit.code, OrgUnit.id).where(OrgUnit.code.in_({r.unit_code for r in rows}))
    )
    people = queries.pairs(
        s, select(Person.email, Person.id).where(Person.email.in_({r.email for r in rows}))
    )
    current = _current(tx, people.values(), local_date(tx.now))
    assigned: list[dict[str, Any]] = []
    org.add_and_change_roles(tx, actor, rows, people, units, current, report, assigned)
    report.tasks_held += changes.new_managers(app, tx, actor, assigned)
    s.flush()


def _roles_to_end(app: App, ending: frozenset[RoleKey]) -> list[int]:
    """The ids of the imported roles in force that the authorized plan ends: those the file
    no longer lists *and* the importer administers (``org_authorize``); ended in batches
    afterwards. Roles outside the importer's reach are never among them."""
    with app.read() as s:
        today = local_date(app.clock.now())
        found = s.execute(
            select(RoleAssignment.id, RoleAssignment.person_id, RoleAssignment.role)
            .add_columns(RoleAssignment.unit_id, RoleAssignment.valid_from, RoleAssignment.valid_to)
            .where(
                RoleAssignment.source == "import",
                (RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to >= today),
            )
            .order_by(RoleAssignment.id)
        )
        latest: dict[RoleKey, int] = {}
        for rid, person, role, unit, start, end in found:
            if end is None or end >= start:
                latest[(person, role, unit)] = rid
    return sorted(rid for key, rid in latest.items() if key in ending)


def _end_roles(tx: Tx, actor: Actor, ids: list[int], report: ImportReport) -> None:
    s = tx.session
    today = local_date(tx.now)
    ended = today - timedelta(days=1)
    found = list(s.scalars(select(RoleAssignment).where(RoleAssignment.id.in_(ids))))
    emails = queries.pairs(
        s, select(Person.id, Person.email).where(Person.id.in_({r.person_id for r in found}))
    )
    codes = queries.pairs(
        s, select(OrgUnit.id, OrgUnit.code).where(OrgUnit.id.in_({r.unit_id for r in found}))
    )
    for ra in found:
        if ra.valid_to is not None and ra.valid_to < today:
            continue  # ended meanwhile (a second run): nothing to do
        ra.valid_to = ended if ra.valid_from <= ended else ra.valid_from - timedelta(days=1)
        who, where = emails.get(ra.person_id, str(ra.person_id)), codes.get(ra.unit_id, "")
        report.roles_ended.append((who, ra.role, where or str(ra.unit_id)))
        data = {"role": ra.role, "valid_to": ra.valid_to}
        tx.record(
            ORG_CHAIN, "role.ended", "person", ra.person_id, actor, unit_id=ra.unit_id, data=data
        )
    s.flush()
