import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from engine.context import App
from engine.db.models import AuditEvent, Measure, Task
from engine.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
    StaleVersion,
    TaskNotOpen,
)
from engine.views import cycle as cycle_views
from engine.workflow import sweeps, tasks
from tests.conftest import make_app
from tests.factories import APPROVE, SURVEY, build_org, drive_to


def test_someone_else_cannot_complete_and_nothing_changes(app: App) -> None:
    o = build_org(app)
    o.start()
    item = o.task("m1@x.se", "employee_survey")
    for email in ("m2@x.se", "so1@x.se", "dir@x.se"):
        with pytest.raises(NotPermitted):
            tasks.complete_task(app, o.actor(email), item.task_id, SURVEY)
    with pytest.raises(NotFound):
        tasks.complete_task(app, o.actor("m1@x.se"), 999_999, SURVEY)
    with app.read() as s:
        assert s.get(Task, item.task_id).status == "open"  # type: ignore[union-attr]
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "task.completed")
            )
            == 0
        )


def test_form_errors_name_the_field_and_keep_the_task_open(app: App) -> None:
    o = build_org(app)
    o.start()
    item = o.task("m1@x.se", "employee_survey")
    with pytest.raises(InvalidInput) as err:
        tasks.complete_task(
            app,
            o.actor("m1@x.se"),
            item.task_id,
            {"survey_name": "", "invited": -1, "answered": 3, "bogus": 1},
        )
    assert sorted(e.path for e in err.value.errors) == ["bogus", "invited", "survey_name"]
    assert "får inte vara tomt" in err.value.message("sv")


def test_optimistic_lock_one_wins_the_other_gets_a_conflict(app: App) -> None:
    o = build_org(app)
    o.start()
    item = o.task("m1@x.se", "employee_survey")
    first = tasks.complete_task(
        app, o.actor("m1@x.se"), item.task_id, SURVEY, expected_version=item.version
    )
    assert first.version == item.version + 1
    with pytest.raises(StaleVersion):
        tasks.complete_task(
            app, o.actor("m1@x.se"), item.task_id, SURVEY, expected_version=item.version
        )
    with pytest.raises(TaskNotOpen):
        tasks.complete_task(app, o.actor("m1@x.se"), item.task_id, SURVEY)


def test_two_people_completing_at_once_one_wins(app: App, db_url: str, clock) -> None:
    o = build_org(app, extra=("co@x.se,Co Chef,manager,U1,2020-01-01,",))
    o.start()
    item = o.task("m1@x.se", "employee_survey")
    results: list[object] = []
    barrier = threading.Barrier(2)

    def attempt(email: str) -> None:
        other = make_app(db_url, clock)  # its own engine and connections, like another server
        barrier.wait()
        try:
            results.append(tasks.complete_task(other, o.actor(email), item.task_id, SURVEY))
        except (TaskNotOpen, StaleVersion) as exc:
            results.append(exc)
        finally:
            other.db.dispose()

    threads = [threading.Thread(target=attempt, args=(e,)) for e in ("m1@x.se", "co@x.se")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [r for r in results if isinstance(r, tasks.TaskResult)]
    losses = [r for r in results if isinstance(r, (TaskNotOpen, StaleVersion))]
    assert len(wins) == 1 and len(losses) == 1
    with app.read() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "task.completed")
            )
            == 1
        )


def test_claim_release_and_claimed_task_is_yours_alone(app: App) -> None:
    o = build_org(app, extra=("co@x.se,Co Chef,manager,U1,2020-01-01,",))
    o.start()
    item = o.task("m1@x.se", "employee_survey")
    tasks.claim_task(app, o.actor("co@x.se"), item.task_id)
    assert item.task_id not in [i.task_id for i in o.inbox("m1@x.se")]
    with pytest.raises(Conflict):
        tasks.claim_task(app, o.actor("m1@x.se"), item.task_id)
    with pytest.raises(NotPermitted):
        tasks.complete_task(app, o.actor("m1@x.se"), item.task_id, SURVEY)
    tasks.release_task(app, o.actor("co@x.se"), item.task_id)
    assert item.task_id in [i.task_id for i in o.inbox("m1@x.se")]


def test_delegate_by_holder_and_by_line_above(app: App) -> None:
    o = build_org(app)
    o.start()
    item = o.task("m1@x.se", "employee_survey")
    with pytest.raises(NotPermitted):
        tasks.delegate_task(app, o.actor("m2@x.se"), item.task_id, "m2@x.se")
    tasks.delegate_task(app, o.actor("m1@x.se"), item.task_id, "so1@x.se", "Du har enkäten")
    assert o.task("so1@x.se", "employee_survey").why == "assigned"
    tasks.delegate_task(app, o.actor("dep@x.se"), item.task_id, "m1@x.se", "Tillbaka")
    with pytest.raises(NotFound):
        tasks.delegate_task(app, o.actor("dep@x.se"), item.task_id, "nobody@x.se")
    tasks.complete_task(app, o.actor("m1@x.se"), item.task_id, SURVEY)
    with pytest.raises(TaskNotOpen):
        tasks.delegate_task(app, o.actor("dep@x.se"), item.task_id, "so1@x.se")


def test_return_goes_up_the_line_with_reason_and_measures_follow(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "follow_up")
    item = o.task("m1@x.se", "measure_follow_up", cid)
    with pytest.raises(InvalidInput):
        tasks.return_task(app, o.actor("m1@x.se"), item.task_id, "  ")
    result = tasks.return_task(app, o.actor("m1@x.se"), item.task_id, "Saknar budget för taklyft")
    assert any("moved with it" in n for n in result.notes)
    moved = o.task("dep@x.se", "measure_follow_up", cid)
    assert moved.due_at == item.due_at
    with app.read() as s:
        returned = s.get(Task, item.task_id)
        assert returned is not None and returned.status == "returned"
        assert returned.reason == "Saknar budget för taklyft"
        m = s.scalars(select(Measure).where(Measure.cycle_id == cid)).one()
        assert (m.responsible_role, m.responsible_unit_id) == ("manager", o.units["DEP"])
    # the department manager cannot return it further to nobody: the director is above
    tasks.return_task(app, o.actor("dep@x.se"), moved.task_id, "Förvaltningen äger budgeten")
    assert o.task("dir@x.se", "measure_follow_up", cid)


def test_escalation_holder_extends_and_the_ladder_starts_over(app: App, clock) -> None:
    o = build_org(app)
    o.start()
    item = o.task("m1@x.se", "employee_survey")
    clock.set(item.due_at + timedelta(days=1))
    assert sweeps.sweep(app).escalated >= 1
    escalated = [i for i in o.inbox("dep@x.se") if i.task_id == item.task_id]
    assert escalated and escalated[0].why == "escalated"
    with pytest.raises(NotPermitted):
        tasks.extend_due(app, o.actor("m1@x.se"), item.task_id, date(2027, 4, 30), "Vill")
    with pytest.raises(InvalidInput):
        tasks.extend_due(app, o.actor("dep@x.se"), item.task_id, date(2027, 1, 1), "Dåtid")
    tasks.extend_due(
        app, o.actor("dep@x.se"), item.task_id, date(2027, 4, 30), "Enkätleverantören försenad"
    )
    assert item.task_id not in [i.task_id for i in o.inbox("dep@x.se")]
    with app.read() as s:
        t = s.get(Task, item.task_id)
        assert t is not None and (t.escalation_level, t.reminders_sent) == (0, 0)


def test_bulk_approve_reports_each_task(app: App) -> None:
    o = build_org(app)
    o.start()
    c1, c2 = o.cycle_of("U1"), o.cycle_of("U2")
    drive_to(o, c1, "cooperation")
    drive_to(o, c2, "cooperation", manager="m2@x.se", safety_rep="so2@x.se")
    mine = [i.task_id for i in o.inbox("m1@x.se") if i.form_key == "approval"]
    other = [i.task_id for i in o.inbox("m2@x.se") if i.form_key == "approval"]
    survey = [i.task_id for i in o.inbox("m1@x.se") if i.form_key != "approval"]
    result = tasks.bulk_approve(app, o.actor("m1@x.se"), mine + other + survey[:1])
    assert [(x.task_id, x.ok) for x in result.outcomes][: len(mine)] == [(t, True) for t in mine]
    assert {x.code for x in result.outcomes if not x.ok} <= {"not_found", "conflict"}
    assert {x.code for x in result.outcomes if x.task_id in other} == {"not_found"}  # unseen
    assert result.approved == len(mine)


def test_rejected_plan_keeps_earlier_approval_on_record(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "cooperation")
    o.complete("m1@x.se", "approve_manager", APPROVE, cid)
    o.complete("so1@x.se", "approve_safety_rep", {"decision": "reject", "comment": "Nej"}, cid)
    view = cycle_views.cycle_view(app, cid)
    coop = next(s for s in view.stages if s.key == "cooperation")
    assert [t.status for t in coop.tasks] == ["completed", "completed"]
    assert coop.tasks[1].data["decision"] == "reject"
