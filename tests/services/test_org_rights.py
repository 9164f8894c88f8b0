"""Administrative rights are scoped to the units they touch (issue 8, "Critical"): the
reproducers of the probe, each on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from engine.context import App
from engine.db.models import AuditEvent, OrgUnit, RoleAssignment, Substitute
from engine.domain.errors import (
    Conflict,
    ImportNotPermitted,
    InvalidInput,
    NotFound,
    NotPermitted,
)
from engine.evidence import jobs as evidence_jobs
from engine.evidence import package as evidence
from engine.org import admin as org
from engine.org import pending as org_pending
from engine.org import view as orgview
from engine.org import visibility
from engine.views import detail as views
from engine.views import job_files
from engine.workflow import tasks
from engine.workflow.batch import org_import as org_import_job
from tests.factories import Org
from tests.rights_org import PEOPLE, ROLES, SYSTEM, UNITS, build, renamed, without

JAN, FEB = date(2027, 1, 1), date(2027, 2, 1)


def sees(app: App, o: Org, email: str) -> set[int]:
    """Every unit the person sees (the subtrees of their scope)."""
    from engine.db import queries
    from engine.domain.clock import local_date

    with app.read() as s:
        scope = visibility.scope_of(s, o.actor(email), app)
        tree = queries.org_snapshot(s, local_date(app.clock.now()))
        return {u for r in scope.roots if r in tree.parents for u in tree.subtree(r)}


def events(app: App, action: str) -> int:
    with app.read() as s:
        return s.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def current_roles(app: App) -> int:
    with app.read() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(RoleAssignment)
                .where(RoleAssignment.valid_to.is_(None))
            )
            or 0
        )


# --- 1. org import ------------------------------------------------------------------------
def test_department_director_cannot_take_over_by_import(app: App) -> None:
    """The probe: the whole organisation posted by a department's director, another
    department's unit renamed and themself added as director at the top unit."""
    o = build(app)
    before = sees(app, o, "dir1@x.se")
    units = renamed(UNITS, "U3", "Kapad enhet")
    people = PEOPLE + "dir1@x.se,Dina Avdelningsdirektör,director,ADM,2027-01-01,\n"
    with pytest.raises(ImportNotPermitted) as err:
        org.import_org(app, o.actor("dir1@x.se"), units, people)
    where = {(r.file, r.line, r.field) for r in err.value.rows}
    assert ("units.csv", 7, "name") in where  # U3, renamed
    assert ("people.csv", 16, "unit_code") in where  # director at ADM: outside
    with app.read() as s:
        assert s.scalar(select(OrgUnit.name).where(OrgUnit.code == "U3")) == "Enhet 3"
    assert sees(app, o, "dir1@x.se") == before
    with pytest.raises(ImportNotPermitted):  # a preview says the same, before anything
        org.import_org(app, o.actor("dir1@x.se"), units, people, dry_run=True)


def test_no_role_at_or_above_ones_own_level(app: App) -> None:
    o = build(app)
    peer = PEOPLE + "m2@x.se,Mats Chef,director,DEP,2027-01-01,\n"
    with pytest.raises(ImportNotPermitted) as err:
        org.import_org(app, o.actor("dir1@x.se"), UNITS, peer)
    assert [(r.line, r.field) for r in err.value.rows] == [(16, "role")]
    hr_peer = PEOPLE + "m2@x.se,Mats Chef,hr,ADM,2027-01-01,\n"
    with pytest.raises(ImportNotPermitted):  # HR at the top names no other HR there
        org.import_org(app, o.actor("hr@x.se"), UNITS, hr_peer)
    below = PEOPLE + "m1@x.se,Maja Chef,director,U1,2027-01-01,\n"
    report = org.import_org(app, o.actor("dir1@x.se"), UNITS, below)
    assert report.roles_added == [("m1@x.se", "director", "U1")]


def test_units_move_and_appear_only_inside_the_subtree(app: App) -> None:
    o = build(app)
    moved_in = UNITS.replace("U3,Enhet 3,DEP2", "U3,Enhet 3,DEP")
    with pytest.raises(ImportNotPermitted) as err:
        org.import_org(app, o.actor("dir1@x.se"), moved_in, PEOPLE)
    assert [(r.line, r.field) for r in err.value.rows] == [(7, "parent_code")]
    moved_out = UNITS.replace("U2,Enhet 2,DEP", "U2,Enhet 2,DEP2")
    with pytest.raises(ImportNotPermitted):
        org.import_org(app, o.actor("dir1@x.se"), moved_out, PEOPLE)
    new_top = UNITS + "NY,Ny förvaltning,,administration,1\n"
    with pytest.raises(ImportNotPermitted):
        org.import_org(app, o.actor("dir1@x.se"), new_top, PEOPLE)
    inside = UNITS + "U1A,Enhet 1A,U1,unit,3\nU1B,Enhet 1B,U1A,unit,2\n"
    report = org.import_org(app, o.actor("dir1@x.se"), inside, PEOPLE)
    assert report.units_created == ["U1A", "U1B"]


def test_a_people_file_that_leaves_people_out_ends_only_roles_in_reach(app: App) -> None:
    """The probe: one run from a department director's account ended nearly every role."""
    o = build(app)
    mine = without(
        PEOPLE,
        "dir@x.se",
        "hr@x.se",
        "hr2@x.se",
        "hso@x.se",
        "dep2@x.se",
        "m3@x.se",
        "so3@x.se",
    )
    report = org.import_org(app, o.actor("dir1@x.se"), UNITS, mine)
    assert report.roles_ended == [] and report.roles_kept == 7
    assert current_roles(app) == ROLES


def test_mass_ending_waits_for_a_second_hr_person(app: App) -> None:
    o = build(app)
    fewer = without(PEOPLE, "m1@x.se", "so1@x.se", "emp@x.se")  # 3 of 11 in reach
    report = org.import_org(app, o.actor("hr@x.se"), UNITS, fewer)
    assert not report.applied and report.held is not None
    assert len(report.roles_ended) == 3  # what it would do
    assert current_roles(app) == ROLES and events(app, "org.import_held") == 1
    again = org.import_org(app, o.actor("hr@x.se"), UNITS, fewer)
    assert again.held == report.held  # the same files: the same held import
    [held] = org_pending.pending(app, o.actor("hr2@x.se"))
    assert held.may_confirm and held.roles_ending == 3
    assert held.roles_in_reach == ROLES - 3  # not the HR and director roles at ADM
    assert org_pending.pending(app, o.actor("dir1@x.se")) == []  # not HR over it all
    with pytest.raises(NotPermitted):  # not by the same person
        org.confirm_import(app, o.actor("hr@x.se"), held.id, held.content_hash)
    with pytest.raises(NotFound):
        org.confirm_import(app, o.actor("dir1@x.se"), held.id, held.content_hash)
    with pytest.raises(InvalidInput):
        org.confirm_import(app, o.actor("hr2@x.se"), held.id, "0" * 64)
    done = org.confirm_import(app, o.actor("hr2@x.se"), held.id, held.content_hash)
    assert done.applied and len(done.roles_ended) == 3
    assert current_roles(app) == ROLES - 3 and events(app, "org.import_confirmed") == 1
    with pytest.raises(Conflict):
        org.confirm_import(app, o.actor("hr2@x.se"), held.id, held.content_hash)


def test_a_held_import_can_be_refused_and_a_stale_one_is_not_applied(app: App) -> None:
    o = build(app)
    fewer = without(PEOPLE, "m1@x.se", "so1@x.se", "emp@x.se")
    first = org.import_org(app, o.actor("hr@x.se"), UNITS, fewer).held
    assert first is not None
    org_pending.refuse(app, o.actor("hr2@x.se"), first, "fel fil")
    assert events(app, "org.import_refused") == 1 and current_roles(app) == ROLES
    second = org.import_org(app, o.actor("hr@x.se"), UNITS, fewer + "\n").held
    assert second is not None and second != first
    [held] = org_pending.pending(app, o.actor("hr2@x.se"))
    org.import_org(app, SYSTEM, UNITS, without(PEOPLE, "emp@x.se"))  # the org moves on
    with pytest.raises(Conflict):
        org.confirm_import(app, o.actor("hr2@x.se"), held.id, held.content_hash)
    assert current_roles(app) == ROLES - 1


# --- 2. substitutes -----------------------------------------------------------------------
def test_nobody_makes_themself_substitute_for_someone_above(app: App) -> None:
    """The probe: a department's director made themself substitute for the top director,
    then exported the top unit's audit log."""
    o = build(app)
    before = sees(app, o, "dir1@x.se")
    for principal in ("dir@x.se", "hr@x.se", "m3@x.se", "dep2@x.se"):
        with pytest.raises(NotPermitted):
            org.set_substitute(app, o.actor("dir1@x.se"), "dir1@x.se", principal, JAN, FEB)
    with pytest.raises(NotPermitted):  # HR at the top is not above the director there
        org.set_substitute(app, o.actor("hr@x.se"), "hr@x.se", "dir@x.se", JAN, FEB)
    assert sees(app, o, "dir1@x.se") == before
    # within one's own part: fine; and anyone sets their own substitute
    org.set_substitute(app, o.actor("dir1@x.se"), "m2@x.se", "m1@x.se", JAN, FEB)
    org.set_substitute(app, o.actor("dir@x.se"), "dir1@x.se", "dir@x.se", JAN, FEB)
    assert o.units["U3"] in sees(app, o, "dir1@x.se")  # granted from above


def test_the_line_above_must_cover_every_role_of_the_absent(app: App) -> None:
    o = build(app)
    extra = PEOPLE + "m1@x.se,Maja Chef,safety_rep,U3,2020-01-01,\n"
    org.import_org(app, SYSTEM, UNITS, extra)
    with pytest.raises(NotPermitted):  # m1 is also a safety rep in the other department
        org.set_substitute(app, o.actor("dep@x.se"), "m2@x.se", "m1@x.se", JAN, FEB)
    org.set_substitute(app, o.actor("dir@x.se"), "m2@x.se", "m1@x.se", JAN, FEB)


def test_others_substitutions_are_ended_and_listed_within_scope(app: App) -> None:
    o = build(app)
    theirs = org.set_substitute(
        app, o.actor("dep2@x.se"), "so3@x.se", "m3@x.se", JAN, FEB, "föräldraledig"
    )
    ours = org.set_substitute(app, o.actor("dep@x.se"), "m2@x.se", "m1@x.se", JAN, FEB)
    listed = {r.id for r in orgview.substitutes(app, o.actor("dir1@x.se"))}
    assert listed == {ours.id}
    assert {r.id for r in orgview.substitutes(app, o.actor("hr@x.se"))} == {theirs.id, ours.id}
    assert {r.id for r in orgview.substitutes(app, o.actor("m3@x.se"))} == {theirs.id}
    assert orgview.substitutes(app, o.actor("emp@x.se")) == []
    with pytest.raises(NotFound):
        org.end_substitute(app, o.actor("dir1@x.se"), theirs.id)
    org.end_substitute(app, o.actor("so3@x.se"), theirs.id)  # the substitute steps down
    with app.read() as s:
        assert s.get(Substitute, theirs.id).ended_at is not None  # type: ignore[union-attr]


# --- 3. jobs ------------------------------------------------------------------------------
def test_a_job_is_seen_by_its_starter_or_rights_over_its_units(app: App) -> None:
    """The probe: another department's director downloaded an evidence PDF that HR had
    made for a different subtree."""
    o = build(app)
    scope = evidence.Scope("subtree", "DEP2", 2027)
    job = evidence_jobs.request(app, o.actor("hr@x.se"), scope, "sv", "thread")
    job_files.store(app, job, "underlag.pdf", "application/pdf", b"%PDF-1 x")
    for stranger in ("dir1@x.se", "dep@x.se", "m1@x.se", "m3@x.se"):
        with pytest.raises(NotFound):
            views.job(app, o.actor(stranger), job)
        with pytest.raises(NotFound):
            job_files.fetch(app, o.actor(stranger), job)
    for reader in ("hr@x.se", "hr2@x.se", "dir@x.se", "dep2@x.se", "hso@x.se"):
        assert job_files.fetch(app, o.actor(reader), job)[1] == b"%PDF-1 x"
    from engine.workflow import yearstart

    year = yearstart.request_start(app, o.actor("dir1@x.se"), 2028, None, "DEP", "thread")
    assert views.job(app, o.actor("dir1@x.se"), year).kind == "start_year"
    assert views.job(app, o.actor("hr2@x.se"), year).kind == "start_year"
    for stranger in ("dep@x.se", "dep2@x.se", "hso@x.se"):
        with pytest.raises(NotFound):
            views.job(app, o.actor(stranger), year)
    whole = yearstart.request_start(app, o.actor("hr@x.se"), 2028, None, None, "thread")
    with pytest.raises(NotFound):
        views.job(app, o.actor("dir1@x.se"), whole)
    assert views.job(app, o.actor("dir@x.se"), whole).id == whole


# --- 4. lists and searches ----------------------------------------------------------------
def test_bulk_approve_tells_a_stranger_only_not_found(app: App) -> None:
    """The probe: bulk approve said "task 230 is completed" about a task the person could
    not see."""
    o = build(app)
    o.start()
    task = o.task("m3@x.se", "employee_survey").task_id
    missing = task + 10_000
    result = tasks.bulk_approve(app, o.actor("m1@x.se"), [task, missing])
    got, none = result.outcomes
    assert (got.code, none.code) == ("not_found", "not_found")
    assert got.message_en == f"task {task} not found"
    assert none.message_en == f"task {missing} not found"
    own = tasks.bulk_approve(app, o.actor("m3@x.se"), [task]).outcomes[0]
    assert own.code == "conflict"  # visible: the real reason (not an approval)


def test_people_search_is_limited_to_what_the_searcher_needs(app: App) -> None:
    """The probe: an employee listed every person (name, e-mail) through the search."""
    o = build(app)

    def found(email: str, q: str = "@x.se") -> set[str]:
        return {e for _, e in orgview.find_people(app, o.actor(email), q, limit=100)}

    assert found("emp@x.se") == {"m1@x.se", "so1@x.se", "emp@x.se"}
    assert found("dep@x.se") == {
        "dep@x.se", "dir1@x.se", "m1@x.se", "so1@x.se", "emp@x.se", "m2@x.se", "so2@x.se",
    }  # fmt: skip
    assert "m3@x.se" not in found("dir1@x.se")
    assert len(found("hr@x.se")) == ROLES
    org.import_org(app, SYSTEM, UNITS, PEOPLE + "ny@x.se,Ny Person,,,,\n")
    assert "ny@x.se" in found("hr@x.se") and "ny@x.se" not in found("dir1@x.se")


def test_the_system_still_imports_anything(app: App) -> None:
    o = build(app)
    report = org.import_org(app, SYSTEM, UNITS, without(PEOPLE, "m1@x.se", "so1@x.se"))
    assert report.applied and len(report.roles_ended) == 2 and report.held is None
    assert o.units["U1"] and current_roles(app) == ROLES - 2


def test_a_batched_import_is_held_to_the_same_rights(app: App) -> None:
    """A large import takes the batched path (``org_import_job``): it must refuse, end and
    hold exactly as the one-transaction import does, before any batch is written."""
    o = build(app)
    units = renamed(UNITS, "U3", "Kapad enhet")
    people = PEOPLE + "dir1@x.se,Dina Avdelningsdirektör,director,ADM,2027-01-01,\n"
    for queue in (False, True):
        with pytest.raises(ImportNotPermitted):
            if queue:
                org_import_job.request(app, o.actor("dir1@x.se"), units, people, "thread")
            else:
                org_import_job.apply_in_batches(app, o.actor("dir1@x.se"), units, people)
    with app.read() as s:
        assert s.scalar(select(OrgUnit.name).where(OrgUnit.code == "U3")) == "Enhet 3"
    mine = without(PEOPLE, "dir@x.se", "hr@x.se", "hr2@x.se", "hso@x.se", "dep2@x.se")
    mine = without(mine, "m3@x.se", "so3@x.se")
    report = org_import_job.apply_in_batches(app, o.actor("dir1@x.se"), UNITS, mine, batch_rows=2)
    assert report.roles_ended == [] and current_roles(app) == ROLES
    fewer = without(PEOPLE, "m1@x.se", "so1@x.se", "emp@x.se")
    held = org_import_job.request(app, o.actor("hr@x.se"), UNITS, fewer, "thread")
    assert held.job_id is None and held.held is not None and held.held.held is not None
    assert current_roles(app) == ROLES and events(app, "org.import_held") == 1
    batched = org_import_job.apply_in_batches(app, o.actor("hr@x.se"), UNITS, fewer)
    assert batched.held == held.held.held and not batched.applied
