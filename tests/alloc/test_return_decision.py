"""The allocator's decision on a returned task is a task in their inbox
(allocation-return.yaml): opened with the return, in its transaction, with a due date,
reminders and escalation like every task; completing it decides (the cases move as decided,
the case closes); deciding on the allocation's page completes it; the returning manager
sees the outcome on the task they returned. Through the use cases on SQLite and PostgreSQL,
the API and the pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.alloc import returns
from engine.context import App
from engine.db.models import Cycle, Task
from engine.db.models.duties.alloc import AllocationReturn
from engine.domain.clock import FrozenClock
from engine.domain.errors import InvalidInput, NotFound, NotPermitted, TaskNotOpen
from engine.views import detail
from engine.workflow import sweeps, tasks
from tests.alloc.scenario import whole_chain
from tests.api.conftest import Web, _close, csrf_of, make_web
from tests.factories import Org, build_org


def _returned(o: Org) -> tuple[int, returns.ReturnedOut]:
    whole_chain(o)
    o.start()
    survey = o.task("m1@x.se", "employee_survey", o.cycle_of("U1"))
    done = returns.return_case(
        o.app, o.actor("m1@x.se"), survey.task_id, ["resources"], "Ingen tid för enkäten"
    )
    return survey.task_id, done


def _decision(app: App, return_id: int) -> Task:
    with app.read() as s:
        cycle = s.scalar(
            select(AllocationReturn.decision_cycle_id).where(AllocationReturn.id == return_id)
        )
        task = s.scalar(select(Task).where(Task.cycle_id == cycle))
    assert task is not None
    return task


def _cycle_status(app: App, cycle_id: int) -> str:
    with app.read() as s:
        return str(s.scalar(select(Cycle.status).where(Cycle.id == cycle_id)))


def test_the_decision_is_a_task_in_the_allocators_inbox(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    old, done = _returned(o)
    decision = _decision(app, done.return_id)
    mine = {i.task_id: i for i in o.inbox("dep@x.se")}
    assert decision.id in mine and mine[decision.id].key == "decide_return"
    assert decision.due_at.date() == (clock.now() + timedelta(days=14)).date()
    assert decision.id not in {i.task_id for i in o.inbox("m1@x.se")}
    # its page shows the return: who, what is lacking, why, the case now with the allocator
    d = detail.task_detail(app, o.actor("dep@x.se"), decision.id)
    assert d.allocation_return is not None
    ar = d.allocation_return
    assert (ar["by"], ar["lacking"], ar["reason"]) == (
        "Maja Chef",
        ["resources"],
        "Ingen tid för enkäten",
    )
    assert [c[0] for c in ar["cases"]] == [done.tasks[0][1]]
    assert ar["what_sv"] == "Undersöka arbetsförhållandena och bedöma riskerna"
    # the returned case links to it; the returner's own task says it waits
    case = detail.task_detail(app, o.actor("dep@x.se"), done.tasks[0][1])
    assert case.returned is not None and case.returned.decision_task_id == decision.id
    mine_now = detail.task_detail(app, o.actor("m1@x.se"), old)
    assert mine_now.returned_outcome is not None
    assert mine_now.returned_outcome["outcome"] is None
    # refusals: the form names what the outcome needs; the returner does not decide
    with pytest.raises(InvalidInput) as e:
        tasks.complete_task(app, o.actor("dep@x.se"), decision.id, {"outcome": "resources"})
    assert e.value.errors[0].path == "note"
    with pytest.raises(InvalidInput) as e:
        tasks.complete_task(app, o.actor("dep@x.se"), decision.id, {"outcome": "elsewhere"})
    assert e.value.errors[0].path == "to"
    with pytest.raises((NotPermitted, NotFound)):
        tasks.complete_task(app, o.actor("m1@x.se"), decision.id, {"outcome": "taken_back"})
    # completing it decides: the case goes back to the manager, the decision case closes
    tasks.complete_task(
        app, o.actor("dep@x.se"), decision.id, {"outcome": "resources", "note": "Fyra timmar"}
    )
    assert returns.return_of_task(app, done.tasks[0][1])["outcome"] == "resources"  # type: ignore[index]
    assert done.tasks[0][1] in {i.task_id for i in o.inbox("m1@x.se")}
    assert _cycle_status(app, decision.cycle_id) == "completed"
    seen = detail.task_detail(app, o.actor("m1@x.se"), old).returned_outcome
    assert seen is not None
    assert (seen["outcome"], seen["note"], seen["decided_by"]) == (
        "resources",
        "Fyra timmar",
        "Dag Avdelningschef",
    )


def test_deciding_on_the_allocation_page_closes_the_task(app: App) -> None:
    o = build_org(app)
    _old, done = _returned(o)
    decision = _decision(app, done.return_id)
    returns.decide(app, o.actor("dep@x.se"), done.return_id, "taken_back")
    with app.read() as s:
        t = s.get_one(Task, decision.id)
        assert (t.status, t.closed_by is not None) == ("completed", True)
    assert _cycle_status(app, decision.cycle_id) == "completed"
    assert decision.id not in {i.task_id for i in o.inbox("dep@x.se")}
    with pytest.raises(TaskNotOpen):
        tasks.complete_task(app, o.actor("dep@x.se"), decision.id, {"outcome": "taken_back"})


def test_an_undecided_return_is_reminded_and_escalated(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    _old, done = _returned(o)
    decision = _decision(app, done.return_id)
    clock.advance(timedelta(days=15))
    sweeps.sweep(app)
    with app.read() as s:
        assert s.get_one(Task, decision.id).escalation_level >= 1
    assert decision.id in {i.task_id for i in o.inbox("dir@x.se")}  # up the line


@pytest.fixture
def web(sqlite_url: str, clock: FrozenClock) -> Iterator[Web]:
    w = make_web(sqlite_url, clock)
    yield w
    _close(w)


def _web_return(web: Web) -> tuple[int, int, int]:
    """Through the API: U1's allocation offered and accepted, the survey returned; (the
    returned task, the return, the decision task)."""
    dep, m1 = web.api("dep@x.se"), web.api("m1@x.se")
    item = {"key": "investigation", "authority": "Beslutar om skyddsronder"}
    aid = dep.post("/api/allocations", json={"unit": "U1", "items": [item]}).json()["id"]
    assert m1.post(f"/api/allocations/{aid}/accept").status_code == 200
    survey = next(i for i in m1.get("/api/inbox").json()["items"] if i["key"] == "employee_survey")
    r = m1.post(f"/api/tasks/{survey['task_id']}/return",
                json={"reason": "Ingen tid", "lacking": ["knowledge"]})  # fmt: skip
    assert r.status_code == 200, r.text
    ret = dep.get(f"/api/allocations/{aid}").json()["returns"][0]
    decision = next(i for i in dep.get("/api/inbox").json()["items"] if i["key"] == "decide_return")
    return survey["task_id"], ret["id"], decision["task_id"]


def test_the_api_completes_the_decision_task(web: Web) -> None:
    old, rid, decision = _web_return(web)
    dep = web.api("dep@x.se")
    bad = dep.post(f"/api/tasks/{decision}/complete", json={"data": {"outcome": "elsewhere"}})
    assert bad.status_code == 422 and "to" in bad.text, bad.text
    other = web.api("m2@x.se").post(
        f"/api/tasks/{decision}/complete", json={"data": {"outcome": "taken_back"}}
    )
    assert other.status_code == 404
    ok = dep.post(f"/api/tasks/{decision}/complete", json={"data": {"outcome": "taken_back"}})
    assert ok.status_code == 200, ok.text
    again = dep.post(f"/api/allocations/returns/{rid}/decide", json={"outcome": "taken_back"})
    assert again.status_code in (403, 409)  # decided already: no second decision
    seen = web.api("m1@x.se").get(f"/api/tasks/{old}")
    assert seen.status_code == 200


def test_the_pages_decide_through_the_task(web: Web) -> None:
    old, _rid, decision = _web_return(web)
    dep, m1 = web.browser("dep@x.se"), web.browser("m1@x.se")
    page = dep.get(f"/tasks/{decision}")
    assert page.status_code == 200
    assert "Returnerad av Maja Chef" in page.text and "Ingen tid" in page.text
    assert "Kunskaper" in page.text and "Jag tar tillbaka uppgiften" in page.text
    done = dep.post(
        f"/tasks/{decision}",
        data={"csrf_token": csrf_of(page.text), "outcome": "resources", "note": "Kurs i BAM"},
        follow_redirects=True,
    )
    assert done.status_code == 200, done.text
    mine = m1.get(f"/tasks/{old}")
    assert "Du returnerade uppgiften" in mine.text and "Kurs i BAM" in mine.text
    en = m1.get(f"/tasks/{old}", params={"lang": "en"})
    assert "You returned the task" in en.text
