from datetime import timedelta

from sqlalchemy import select

from engine.context import App
from engine.db.models import AuditEvent, Task
from engine.domain.clock import as_utc
from engine.workflow import sweeps
from tests.factories import build_org

D = timedelta(days=1)


def events(app: App, task_id: int) -> list[tuple[str, str]]:
    with app.read() as s:
        return [
            (e.action, e.data)
            for e in s.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.subject_type == "task",
                    AuditEvent.subject_id == str(task_id),
                    AuditEvent.action.in_(("task.reminded", "task.escalated")),
                )
                .order_by(AuditEvent.id)
            )
        ]


def test_reminders_then_escalation_up_the_line_each_once(app: App, clock) -> None:
    o = build_org(app)
    o.start()
    item = o.task("m1@x.se", "employee_survey")
    due = item.due_at
    for at in (
        due - 20 * D,
        due - 14 * D,
        due - 13 * D,
        due - 3 * D,
        due - 3 * D,
        due + D,
        due + D,
        due + 14 * D,
        due + 40 * D,
    ):
        clock.set(at)
        sweeps.sweep(app)
    assert [a for a, _ in events(app, item.task_id)] == [
        "task.reminded",
        "task.reminded",
        "task.escalated",
        "task.escalated",
    ]
    assert '"to":"manager@' in events(app, item.task_id)[2][1]
    assert '"to":"director@' in events(app, item.task_id)[3][1]
    assert [i.why for i in o.inbox("dir@x.se") if i.task_id == item.task_id] == ["escalated"]
    with app.read() as s:
        task = s.get(Task, item.task_id)
        assert task is not None and task.next_check_at is None  # ladder done: off the sweep


def test_sweeping_twice_does_nothing_twice(app: App, clock) -> None:
    o = build_org(app)
    o.start()
    clock.set(o.task("m1@x.se", "employee_survey").due_at + 2 * D)
    first = sweeps.sweep(app)
    assert first.escalated > 0
    again = sweeps.sweep(app)
    assert (again.escalated, again.reminded, again.checked) == (0, 0, 0)


def test_top_unit_escalates_straight_to_the_director(app: App, clock) -> None:
    o = build_org(app)
    o.start()
    adm = o.cycle_of("ADM")
    item = o.task("dir@x.se", "employee_survey", adm)  # the director heads the top unit
    clock.set(item.due_at + D)
    report = sweeps.sweep(app)
    assert (item.task_id, 1, f"director@{o.units['ADM']}") in report.escalations


def test_department_task_escalates_to_the_manager_above(app: App, clock) -> None:
    o = build_org(app)
    o.start()
    dep_cycle = o.cycle_of("DEP")
    item = o.task("dep@x.se", "employee_survey", dep_cycle)
    clock.set(item.due_at + D)
    report = sweeps.sweep(app)
    assert (item.task_id, 1, f"director@{o.units['ADM']}") in report.escalations


def test_a_sweep_far_past_the_deadline_takes_the_ladder_in_order(app: App, clock) -> None:
    """A task found 20 days late (the ladder: the manager above at once, the director after
    14 days) goes to the manager above first, however late; the director gets it only
    after the manager above has had it the ladder's 14 days."""
    o = build_org(app)
    o.start()
    item = o.task("m1@x.se", "employee_survey")
    clock.set(item.due_at + 20 * D)
    sweeps.sweep(app)
    sweeps.sweep(app)
    assert [(a, '"to":"manager@' in d) for a, d in events(app, item.task_id)] == [
        ("task.escalated", True)
    ]
    assert [i.why for i in o.inbox("dep@x.se") if i.task_id == item.task_id] == ["escalated"]
    assert not [i for i in o.inbox("dir@x.se") if i.task_id == item.task_id]
    clock.set(item.due_at + 33 * D)
    sweeps.sweep(app)
    assert len(events(app, item.task_id)) == 1
    clock.set(item.due_at + 34 * D)
    sweeps.sweep(app)
    assert '"to":"director@' in events(app, item.task_id)[1][1]


def _due_now(app: App) -> list[int]:
    """The open tasks due for a look now, in the order the sweep takes them."""
    now = app.clock.now()
    with app.read() as s:
        rows = s.execute(
            select(Task.id, Task.next_check_at).where(
                Task.status == "open", Task.next_check_at.is_not(None)
            )
        ).all()
    return [i for at, i in sorted((as_utc(at), i) for i, at in rows) if at <= as_utc(now)]


def _steps(app: App) -> list[tuple[str, str, str]]:
    with app.read() as s:
        return [
            (e.subject_id, e.action, e.data)
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.in_(("task.reminded", "task.escalated")))
                .order_by(AuditEvent.id)
            )
        ]


def test_a_sweep_in_small_batches_takes_the_due_tasks_in_order_each_once(app: App, clock) -> None:
    """Batches of two: each batch the next due tasks by (next check, id), every due task
    stepped once and written (its batch's update finds it), in that order."""
    o = build_org(app)
    o.start()
    clock.set(o.task("m1@x.se", "employee_survey").due_at + 2 * D)
    due = _due_now(app)
    assert len(due) > 4
    report = sweeps.sweep(app, batch=2)
    assert report.batches > 2 and report.checked == len(due)
    steps = _steps(app)
    assert [int(i) for i, _, _ in steps] == due
    assert report.escalated + report.reminded == len(due)
    with app.read() as s:
        versions = dict(s.execute(select(Task.id, Task.version).where(Task.id.in_(due))).all())
    assert set(versions.values()) == {2}
    assert sweeps.sweep(app, batch=2).checked == 0


def test_a_task_changed_after_it_was_read_is_left_for_the_next_sweep(
    app: App, clock, monkeypatch
) -> None:
    """The version guard: a task whose version moved between the read and the write gets
    no step and no event in that sweep; the next sweep takes it."""
    from engine.db import queries

    o = build_org(app)
    o.start()
    clock.set(o.task("m1@x.se", "employee_survey").due_at + 2 * D)
    due = _due_now(app)
    changed = due[len(due) // 2]
    read = queries.due_for_check

    def read_then_change(session, now, limit):  # type: ignore[no-untyped-def]
        rows = read(session, now, limit)
        session.execute(Task.__table__.update().where(Task.id == changed).values(version=7))
        return rows

    monkeypatch.setattr(queries, "due_for_check", read_then_change)
    first = sweeps.sweep(app, max_batches=1)
    assert first.checked == len(due)
    assert first.escalated + first.reminded == len(due) - 1
    assert changed not in [int(i) for i, _, _ in _steps(app)]
    monkeypatch.setattr(queries, "due_for_check", read)
    second = sweeps.sweep(app)
    assert (second.checked, second.escalated + second.reminded) == (1, 1)
    assert [int(i) for i, _, _ in _steps(app)][-1] == changed


def test_each_escalation_event_names_its_own_target_and_deadline(app: App, clock) -> None:
    """The events' texts are made once per distinct (level, target, rule, deadline) and
    shared: every task's event still names the place it went to and its own deadline."""
    import json

    o = build_org(app)
    o.start()
    clock.set(o.task("m1@x.se", "employee_survey").due_at + 2 * D)
    report = sweeps.sweep(app)
    assert report.escalated > 2
    with app.read() as s:
        tasks = {
            str(i): (f"{role}@{unit}", as_utc(due).isoformat())
            for i, role, unit, due in s.execute(
                select(Task.id, Task.escalation_role, Task.escalation_unit_id, Task.due_at)
            )
        }
    seen = set()
    for task_id, action, data in _steps(app):
        if action == "task.escalated":
            d = json.loads(data)
            assert (d["to"], d["due_at"]) == tasks[task_id]
            assert data == json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            seen.add(d["to"])
    assert len(seen) > 1
