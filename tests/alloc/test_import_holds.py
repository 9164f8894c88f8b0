"""The organisation import itself holds a new manager's open tasks with the manager above
until the new manager's allocation is accepted (as ``samflow allocation sync`` does): in the
import's transaction, audited, on both the one-transaction and the batched path, in a
number of statements that does not grow with the number of units; switched off by
``SAMFLOW_ALLOCATION_HOLD_NEW_MANAGERS=false``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from engine.alloc import allocations, holds
from engine.context import Actor, App
from engine.db.models import AuditEvent, Person
from engine.db.models.duties.alloc import AllocationHold
from engine.domain.clock import FrozenClock
from engine.org import admin as org
from engine.views import detail
from engine.workflow.batch import org_import
from tests.alloc.scenario import offer, whole_chain
from tests.factories import Org, build_org, people_csv, units_csv

NEW_U1 = "ny1@x.se,Nora Ny,manager,U1,2027-01-12,"
NEW_U2 = "ny2@x.se,Nils Ny,manager,U2,2027-01-12,"


def _replaced(*new: str) -> str:
    """People where U1 and/or U2 get a new manager from 2027-01-12 (the old one ends)."""
    text = people_csv(extra=new)
    if NEW_U1 in new:
        text = text.replace(
            "Maja Chef,manager,U1,2020-01-01,", "Maja Chef,manager,U1,2020-01-01,2027-01-11"
        )
    if NEW_U2 in new:
        text = text.replace(
            "Mats Chef,manager,U2,2020-01-01,", "Mats Chef,manager,U2,2020-01-01,2027-01-11"
        )
    return text


def _started(app: App, clock: FrozenClock) -> tuple[Org, dict[str, set[int]]]:
    o = build_org(app)
    whole_chain(o)
    o.start()
    before = {email: {i.task_id for i in o.inbox(email)} for email in ("m1@x.se", "m2@x.se")}
    clock.advance(timedelta(days=2))  # 2027-01-12: the import's day
    return o, before


def _pid(app: App, email: str) -> int:
    with app.read() as s:
        found = s.scalar(select(Person.id).where(Person.email == email))
    assert found is not None
    return found


def test_an_import_holds_the_new_managers_tasks_in_its_transaction(
    app: App, clock: FrozenClock
) -> None:
    o, before = _started(app, clock)
    report = org.import_org(app, Actor.system("import"), units_csv(), _replaced(NEW_U1, NEW_U2))
    held = before["m1@x.se"] | before["m2@x.se"]
    assert report.tasks_held == len(held) > 0
    assert not held & {i.task_id for i in o.inbox("ny1@x.se")}
    assert not held & {i.task_id for i in o.inbox("ny2@x.se")}
    assert held <= {i.task_id for i in o.inbox("dep@x.se")}  # visibly with the one above
    d = detail.task_detail(app, o.actor("dep@x.se"), min(before["m1@x.se"]))
    assert d.held is not None and (d.held["manager"], d.held["holder"]) == (
        "Nora Ny",
        "Dag Avdelningschef",
    )
    with app.read() as s:
        actions = list(
            s.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.action.in_(["task.held_for_allocation", "allocation.tasks_held"])
                )
            )
        )
        labels = set(
            s.scalars(
                select(AuditEvent.actor_label).where(
                    AuditEvent.action == "task.held_for_allocation"
                )
            )
        )
    assert actions.count("task.held_for_allocation") == len(held)
    assert actions.count("allocation.tasks_held") == 2  # one per unit
    assert labels == {"import"}  # recorded as the import's own doing
    # importing the same again holds nothing more
    again = org.import_org(app, Actor.system("import"), units_csv(), _replaced(NEW_U1, NEW_U2))
    assert again.tasks_held == 0
    # accepting the allocation releases them to the new manager
    made = offer(o, "dep@x.se", "U1")
    assert allocations.accept(app, o.actor("ny1@x.se"), made).released == len(before["m1@x.se"])
    assert before["m1@x.se"] <= {i.task_id for i in o.inbox("ny1@x.se")}


def test_the_batched_import_holds_them_too(app: App, clock: FrozenClock) -> None:
    o, before = _started(app, clock)
    report = org_import.apply_in_batches(
        app, Actor.system("import"), units_csv(), _replaced(NEW_U1), batch_rows=3
    )
    assert report.tasks_held == len(before["m1@x.se"])
    assert before["m1@x.se"] <= {i.task_id for i in o.inbox("dep@x.se")}
    assert not before["m1@x.se"] & {i.task_id for i in o.inbox("ny1@x.se")}
    assert org_import.summary(report)["tasks_held"] == len(before["m1@x.se"])


def test_holding_switched_off_leaves_routing_alone(app: App, clock: FrozenClock) -> None:
    o, before = _started(app, clock)
    off = App(
        app.db,
        app.clock,
        app.settings.model_copy(update={"allocation_hold_new_managers": False}),
    )
    report = org.import_org(off, Actor.system("import"), units_csv(), _replaced(NEW_U1))
    assert report.tasks_held == 0
    assert before["m1@x.se"] <= {i.task_id for i in o.inbox("ny1@x.se")}


def test_a_manager_starting_later_is_not_held_for_yet(app: App, clock: FrozenClock) -> None:
    o, before = _started(app, clock)
    later = people_csv(extra=("ny1@x.se,Nora Ny,manager,U1,2027-03-01,",))
    assert org.import_org(app, Actor.system("import"), units_csv(), later).tasks_held == 0
    assert before["m1@x.se"] <= {i.task_id for i in o.inbox("m1@x.se")}


@contextmanager
def _statements(app: App) -> Iterator[list[str]]:
    seen: list[str] = []
    engine: Any = app.db.engine

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_holding_many_units_takes_as_many_statements_as_one(app: App, clock: FrozenClock) -> None:
    """A region's import gives thousands of units a manager: the holds are read and written
    in bulk, not one round of queries per unit."""
    o, before = _started(app, clock)
    # the new managers' roles, without the import's own holding (switched off) ...
    off = App(
        app.db, app.clock, app.settings.model_copy(update={"allocation_hold_new_managers": False})
    )
    org.import_org(off, Actor.system("import"), units_csv(), _replaced(NEW_U1, NEW_U2))
    one = [(o.units["U1"], _pid(app, "ny1@x.se"))]
    both = [*one, (o.units["U2"], _pid(app, "ny2@x.se"))]

    def statements(pairs: list[tuple[int, int]]) -> int:
        with _statements(app) as seen:
            app.preview(lambda tx: holds.hold_many(tx, Actor.system("t"), pairs))
        return len([s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])

    assert statements(one) == statements(both)
    # ... and held for real, both units in one go
    held = app.run(lambda tx: holds.hold_many(tx, Actor.system("t"), both))
    assert held == len(before["m1@x.se"] | before["m2@x.se"])
    with app.read() as s:
        assert len(list(s.scalars(select(AllocationHold.id)))) == held
