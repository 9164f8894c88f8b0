"""Large organisation imports in batches: validated first, applied in short transactions
with their audit events, the same outcome as one transaction, resumable after a crash."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from engine.context import Actor, App
from engine.db.models import AuditEvent, OrgUnit, Person, RoleAssignment
from engine.db.models.workflow.files import JobFile
from engine.domain.errors import ImportInvalid
from engine.org import admin as org
from engine.workflow.batch import jobs
from engine.workflow.batch import org_import as org_import_job

SYSTEM = Actor.system("test")


def files(units: int, *, skip_people: int = 0) -> tuple[str, str]:
    """ADM -> 5 departments -> ``units`` units, each with a manager (the first
    ``skip_people`` managers left out)."""
    u = ["code,name,parent_code,level,headcount", "ADM,Förvaltningen,,administration,5"]
    p = ["email,name,role,unit_code,valid_from,valid_to", "hr@x.se,Hugo HR,hr,ADM,2020-01-01,"]
    for d in range(5):
        u.append(f"D{d},Avdelning {d},ADM,department,4")
    # children listed before their parents: the batches must still link them
    for i in reversed(range(units)):
        u.append(f"U{i},Enhet {i},D{i % 5},unit,{10 + i % 7}")
        if i >= skip_people:
            p.append(f"m{i}@x.se,Chef {i},manager,U{i},2020-01-01,")
    return "\n".join(u) + "\n", "\n".join(p) + "\n"


def state(app: App) -> tuple[object, ...]:
    """Everything the import writes, by code and e-mail (ids differ with the order)."""
    with app.read() as s:
        code = dict(s.execute(select(OrgUnit.id, OrgUnit.code)).tuples().all())
        email = dict(s.execute(select(Person.id, Person.email)).tuples().all())
        units = sorted(
            (u.code, u.name, u.headcount, code.get(u.parent_id or 0))
            for u in s.scalars(select(OrgUnit))
        )
        roles = sorted(
            (email[r.person_id], r.role, code[r.unit_id], r.valid_from, r.valid_to)
            for r in s.scalars(select(RoleAssignment))
        )
        actions = Counter(s.scalars(select(AuditEvent.action).where(AuditEvent.chain == "org")))
    return units, sorted(email.values()), roles, actions


@pytest.fixture(autouse=True)
def no_pause(app: App) -> None:
    """No pause between batches here (the lock test in tests/api measures with it)."""
    app.settings = app.settings.model_copy(
        update={
            "org_import_pause_ms": 0,
        }
    )


def test_batches_give_what_one_transaction_gives(app: App, sqlite_app: App) -> None:
    units_csv, people_csv = files(120)
    batches: list[str] = []
    org_import_job.apply_in_batches(
        app, SYSTEM, units_csv, people_csv, batch_rows=25, on_batch=lambda p, _: batches.append(p)
    )
    org.import_org(sqlite_app, SYSTEM, units_csv, people_csv)
    assert state(app) == state(sqlite_app)
    assert Counter(batches) == {"units": 6, "people": 5, "roles": 5}

    # the second file leaves three managers out and renames a unit: the same again
    units2, people2 = files(120, skip_people=3)
    units2 = units2.replace("U7,Enhet 7,", "U7,Enhet sju,")
    report = org_import_job.apply_in_batches(app, SYSTEM, units2, people2, batch_rows=25)
    org.import_org(sqlite_app, SYSTEM, units2, people2)
    assert state(app) == state(sqlite_app)
    assert (report.units_updated, len(report.roles_ended)) == (["U7"], 3)
    assert sorted(report.roles_ended)[0] == ("m0@x.se", "manager", "U0")


def test_a_bad_row_anywhere_writes_nothing(app: App) -> None:
    units_csv, people_csv = files(60)
    people_csv += "broken-address,Nobody,manager,U1,2020-01-01,\n"
    before = state(app)
    with pytest.raises(ImportInvalid) as bad:
        org_import_job.apply_in_batches(app, SYSTEM, units_csv, people_csv, batch_rows=10)
    assert "email" in bad.value.errors[0].path
    assert state(app) == before


def test_a_crash_mid_way_leaves_whole_batches_and_running_again_finishes(app: App) -> None:
    units_csv, people_csv = files(100)
    seen: list[str] = []

    def crash(phase: str, _: float) -> None:
        seen.append(phase)
        if phase == "people":
            raise RuntimeError("the process died")

    with pytest.raises(RuntimeError):
        org_import_job.apply_in_batches(
            app, SYSTEM, units_csv, people_csv, batch_rows=20, on_batch=crash
        )
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(OrgUnit)) == 106  # all units
        assert s.scalar(select(func.count()).select_from(Person)) == 20  # one batch
    org_import_job.apply_in_batches(app, SYSTEM, units_csv, people_csv, batch_rows=20)
    units, people, roles, actions = state(app)
    assert (len(units), len(people), len(roles)) == (106, 101, 101)
    assert actions == {"unit.created": 106, "person.created": 101, "role.assigned": 101}
    again = org_import_job.apply_in_batches(app, SYSTEM, units_csv, people_csv, batch_rows=20)
    assert again.changes == 0 and state(app)[3] == actions  # idempotent: nothing recorded


def test_the_job_validates_first_then_applies_and_drops_its_input(app: App) -> None:
    units_csv, people_csv = files(40)
    with pytest.raises(ImportInvalid):
        org_import_job.request(app, SYSTEM, units_csv.replace("D1,", ",", 1), people_csv, "x")
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(OrgUnit)) == 0
    job_id = org_import_job.request(app, SYSTEM, units_csv, people_csv, "thread").job_id
    assert job_id is not None
    assert jobs.get(app, job_id).status == "queued"
    done = org_import_job.run(app, job_id)
    assert done.status == "done" and done.percent == 100, done
    assert done.result is not None and done.result["units_created"] == 46
    assert done.result["roles_added"] == 41
    with app.read() as s:  # the input is gone after use
        assert s.scalar(select(func.count()).select_from(JobFile)) == 0
