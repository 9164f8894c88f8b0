"""A manager role imported with a start date in the future is held for on its first day by
the daily sweep (its sweep step ``allocation.starting_managers``), as the import holds for
a role in force: the unit's open tasks go to the manager above until the new manager's
allocation is accepted; audited; run again it holds nothing more; all starting managers in
a fixed number of statements; nothing before the day, nothing for an accepted allocation,
nothing when holding is switched off. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from engine.alloc import allocations, holds
from engine.context import Actor, App
from engine.db.models import AuditEvent, Task
from engine.db.models.duties.alloc import AllocationHold
from engine.domain.clock import FrozenClock
from engine.org import admin as org
from engine.workflow import sweeps
from tests.alloc.scenario import offer, whole_chain
from tests.alloc.test_import_holds import _statements
from tests.conftest import START, make_app
from tests.factories import Org, build_org, people_csv, units_csv

STEP = "allocation.starting_managers:held"
LATER_U1 = "ny1@x.se,Nora Ny,manager,U1,2027-03-01,"
LATER_U2 = "ny2@x.se,Nils Ny,manager,U2,2027-03-01,"


def _later(*new: str) -> str:
    """U1 (and U2) get a new manager from 2027-03-01; the old one ends the day before."""
    text = people_csv(extra=new)
    if LATER_U1 in new:
        text = text.replace(
            "Maja Chef,manager,U1,2020-01-01,", "Maja Chef,manager,U1,2020-01-01,2027-02-28"
        )
    if LATER_U2 in new:
        text = text.replace(
            "Mats Chef,manager,U2,2020-01-01,", "Mats Chef,manager,U2,2020-01-01,2027-02-28"
        )
    return text


def _imported(app: App, *new: str) -> tuple[Org, set[int]]:
    o = build_org(app)
    whole_chain(o)
    o.start()
    report = org.import_org(app, Actor.system("import"), units_csv(), _later(*new))
    assert report.tasks_held == 0  # not a manager yet on the import's day
    return o, _open_manager_tasks(app, o, "U1")


def _open_manager_tasks(app: App, o: Org, unit: str) -> set[int]:
    with app.read() as s:
        return set(
            s.scalars(
                select(Task.id).where(
                    Task.status == "open",
                    Task.role == "manager",
                    Task.role_unit_id == o.units[unit],
                    Task.assignee_id.is_(None),
                )
            )
        )


def _to(clock: FrozenClock, day: datetime) -> None:
    clock.advance(day - clock.now())


def _held(app: App) -> int:
    with app.read() as s:
        return int(s.scalar(select(func.count()).where(AllocationHold.released_at.is_(None))) or 0)


def test_a_later_manager_is_held_for_by_the_sweep_on_the_first_day(
    app: App, clock: FrozenClock
) -> None:
    o, tasks = _imported(app, LATER_U1)
    assert tasks
    start = clock.now().replace(year=2027, month=3, day=1, hour=6)
    _to(clock, start - timedelta(days=1))
    assert sweeps.sweep(app).steps.get(STEP, 0) == 0  # the day before: still Maja's
    assert _held(app) == 0
    _to(clock, start)
    report = sweeps.sweep(app)
    open_now = tasks & _open_manager_tasks(app, o, "U1") | {
        t for t in tasks if _holder(app, t) is not None
    }
    assert report.steps[STEP] == len(open_now) > 0
    mine = {i.task_id for i in o.inbox("ny1@x.se")}
    assert not open_now & mine  # not the new manager's yet ...
    assert open_now <= {i.task_id for i in o.inbox("dep@x.se")}  # ... the one above's
    with app.read() as s:
        events = list(
            s.execute(
                select(AuditEvent.action, AuditEvent.actor_label).where(
                    AuditEvent.action.in_(["task.held_for_allocation", "allocation.tasks_held"])
                )
            ).tuples()
        )
    assert sorted({a for a, _ in events}) == ["allocation.tasks_held", "task.held_for_allocation"]
    assert {who for _, who in events} == {"sweep"}
    assert sum(1 for a, _ in events if a == "task.held_for_allocation") == len(open_now)
    # idempotent: again the same day, and the next day, nothing more is held or recorded
    assert sweeps.sweep(app).steps.get(STEP, 0) == 0
    clock.advance(timedelta(days=1))
    assert sweeps.sweep(app).steps.get(STEP, 0) == 0
    with app.read() as s:
        again = s.scalar(
            select(func.count()).where(AuditEvent.action == "task.held_for_allocation")
        )
    assert again == len(open_now) and _held(app) == len(open_now)


def _holder(app: App, task_id: int) -> int | None:
    with app.read() as s:
        return s.scalar(select(Task.assignee_id).where(Task.id == task_id))


def test_an_accepted_allocation_or_holding_off_holds_nothing(app: App, clock: FrozenClock) -> None:
    o, tasks = _imported(app, LATER_U1)
    _to(clock, clock.now().replace(year=2027, month=3, day=1, hour=6))
    off = App(
        app.db, app.clock, app.settings.model_copy(update={"allocation_hold_new_managers": False})
    )
    assert sweeps.sweep(off).steps.get(STEP, 0) == 0 and _held(app) == 0
    allocations.accept(app, o.actor("ny1@x.se"), offer(o, "dep@x.se", "U1"))  # held, released
    assert sweeps.sweep(app).steps.get(STEP, 0) == 0 and _held(app) == 0
    assert tasks & {i.task_id for i in o.inbox("ny1@x.se")}


def test_many_starting_managers_take_as_many_statements_as_one(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """A region's import starts thousands of managers on one day: one read of the roles
    and ``hold_many``'s bulk statements, not a round per unit (counted for one starting
    manager and for two, each in an organisation of its own)."""
    counts = []
    for new in ((LATER_U1,), (LATER_U1, LATER_U2)):
        path = tmp_path / f"{len(new)}.db"
        shutil.copy(sqlite_template, path)
        clock = FrozenClock(START)
        app = make_app(f"sqlite:///{path}", clock)
        try:
            o, _tasks = _imported(app, *new)
            _to(clock, clock.now().replace(year=2027, month=3, day=1, hour=6))
            with _statements(app) as seen:
                held = holds.starting_managers(app)["held"]
            assert held > 0
            for unit in ("U1", "U2")[: len(new)]:
                assert _open_manager_tasks(app, o, unit) == set()
            counts.append(len(seen))
        finally:
            app.db.dispose()
    assert counts[0] == counts[1], counts
