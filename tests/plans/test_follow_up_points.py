"""Several follow-up points per measure (issue 11, part 4): each point the plan names gets
its follow-up task in turn (an uppföljning, then an utvärdering), one after the other, and
none is made up for a measure that names none."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from engine.context import App
from engine.db.models import Measure, Task
from engine.domain.clock import FrozenClock, local_date
from engine.plans import importer as plan_import
from engine.views import cycle as cycle_views
from engine.workflow import tasks
from tests.evidence.test_plan_document import PLAN, at_plan
from tests.factories import APPROVE, plan

KART = "Kartlägga arbetsuppgifter\nmed hela gruppen"


def _follow_ups(app: App, cid: int, what: str) -> list[tuple[int, str, date]]:
    with app.read() as s:
        return [
            (t.id, t.status, local_date(t.due_at))
            for t in s.scalars(
                select(Task)
                .join(Measure, Measure.id == Task.measure_id)
                .where(Task.cycle_id == cid, Task.key == "measure_follow_up", Measure.what == what)
                .order_by(Task.id)
            )
        ]


def test_each_follow_up_point_gets_its_task_in_turn(app: App, clock: FrozenClock) -> None:
    o, cid = at_plan(app, clock)  # imported 2027-11-15, after its statuses
    plan_import.import_plan(app, o.actor("m1@x.se"), cid, "plan.csv", PLAN.encode())
    risk = cycle_views.cycle_view(app, cid).risks[0].id
    o.complete("m1@x.se", "action_plan", plan(risk_id=risk), cid)
    o.sign_off("m1@x.se", cid, "action_plan")
    o.complete("m1@x.se", "approve_manager", APPROVE, cid)
    o.complete("so1@x.se", "approve_safety_rep", APPROVE, cid)
    o.sign_off("m1@x.se", cid, "cooperation")
    # "mars 2027", "hösten 2027" and an evaluation "Q4 2027": the first one now; each
    # next one after the later of today and the point just followed up
    ((first, _, due),) = _follow_ups(app, cid, KART)
    assert due == date(2027, 3, 31)
    step = {"status": "done", "effect": "Tydligare prioriteringar", "effect_ok": True}
    tasks.complete_task(app, o.actor("m1@x.se"), first, step)
    (_, done, _), (second, state, due) = _follow_ups(app, cid, KART)
    assert (done, state, due) == ("completed", "open", date(2027, 11, 30))
    tasks.complete_task(app, o.actor("m1@x.se"), second, step)
    last = _follow_ups(app, cid, KART)[-1]
    assert last[1:] == ("open", date(2027, 12, 31))  # the evaluation
    tasks.complete_task(app, o.actor("m1@x.se"), last[0], step)
    assert [s for _, s, _ in _follow_ups(app, cid, KART)] == ["completed"] * 3  # no more
    # a measure with no point has no follow-up task at all
    assert _follow_ups(app, cid, "Larmrutin") == []
