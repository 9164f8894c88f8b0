"""Task allocation end to end through the use cases, on SQLite and PostgreSQL: offered by
the manager above (the board at the top), accepted and signed by both or returned; a new
allocation supersedes the old; the chain from the board to every first-line manager; and
every refusal naming its reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.alloc import allocations, holds, returns
from engine.alloc.allocations import ItemIn
from engine.context import Actor, App
from engine.db.models import AuditEvent
from engine.domain.clock import FrozenClock
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted
from engine.views import detail
from tests.alloc.scenario import BOARD, ITEMS, offer, whole_chain
from tests.factories import build_org


def _events(app: App, unit_id: int) -> list[str]:
    with app.read() as s:
        return list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.chain == f"alloc:{unit_id}")
                .order_by(AuditEvent.seq)
            )
        )


def test_offer_accept_supersede_and_the_chain(app: App) -> None:
    o = build_org(app)
    ids = whole_chain(o)
    u1 = allocations.show(app, o.actor("m1@x.se"), ids["U1"])
    assert u1.state == "accepted" and u1.manager == ("Maja Chef", "m1@x.se")
    assert u1.allocator == ("Dag Avdelningschef", "dep@x.se")
    assert [i["key"] for i in u1.items] == ["investigation", "measures"]
    assert u1.content["substitute"]["email"] == "dep@x.se"
    assert len(u1.digest) == 64 and u1.answered_at is not None
    top = allocations.show(app, o.actor("hr@x.se"), ids["ADM"])
    assert top.allocator == ("Hugo HR", "hr@x.se") and top.board == "Socialnämnden"
    assert top.manager[1] == "dir@x.se"  # ADM has no manager: its director heads it
    # the chain from the board down to every first-line manager
    chain = allocations.show_chain(app, o.actor("hr@x.se"))
    assert [(r.code, r.depth, r.first_line, r.state) for r in chain.rows] == [
        ("ADM", 0, False, "accepted"),
        ("DEP", 1, False, "accepted"),
        ("U1", 2, True, "accepted"),
        ("U2", 2, True, "accepted"),
    ]
    assert chain.rows[0].allocated_by == "Socialnämnden (SN 2027-01-05 § 4)"
    assert chain.missing == []
    csv = allocations.chain_csv(chain, "sv")
    assert "U1;Enhet 1;ja;Maja Chef;Dag Avdelningschef;Accepterad" in csv
    # a new allocation supersedes the old one, which stays readable
    new = offer(o, "dep@x.se", "U1", items=ITEMS[:1])
    old = allocations.show(app, o.actor("m1@x.se"), ids["U1"])
    assert old.state == "superseded" and old.superseded_by_id == new
    assert [i["key"] for i in old.items] == ["investigation", "measures"]
    assert allocations.show_chain(app, o.actor("hr@x.se")).rows[2].state == "offered"
    assert _events(app, o.units["U1"]) == [
        "allocation.offered",
        "allocation.accepted",
        "allocation.superseded",
        "allocation.offered",
    ]


def test_a_returned_offer_names_what_is_lacking(app: App) -> None:
    o = build_org(app)
    first = offer(o, "dep@x.se", "U2")
    with pytest.raises(InvalidInput) as e:
        allocations.return_offer(app, o.actor("m2@x.se"), first, [], " ")
    assert {x.path for x in e.value.errors} == {"lacking", "reason"}
    allocations.return_offer(app, o.actor("m2@x.se"), first, ["resources"], "Ingen budget")
    v = allocations.show(app, o.actor("dep@x.se"), first)
    assert (v.state, v.answer_lacking, v.answer_note) == (
        "returned",
        ("resources",),
        "Ingen budget",
    )
    with pytest.raises(Conflict):
        allocations.accept(app, o.actor("m2@x.se"), first)
    again = offer(o, "dep@x.se", "U2")
    allocations.accept(app, o.actor("m2@x.se"), again)
    assert allocations.show(app, o.actor("m2@x.se"), first).state == "superseded"


def test_refusals(app: App) -> None:
    o = build_org(app)
    with pytest.raises(NotPermitted):  # only the manager above allocates
        offer(o, "m1@x.se", "U2")
    with pytest.raises(NotPermitted):  # HR is not the manager above a unit
        offer(o, "hr@x.se", "U1")
    with pytest.raises(InvalidInput) as e:  # the top: the board and its decision
        offer(o, "hr@x.se", "ADM")
    assert {x.path for x in e.value.errors} == {"board", "board_decision"}
    with pytest.raises(NotPermitted):  # the board's decision is recorded by HR
        offer(o, "dep@x.se", "ADM", **BOARD)
    with pytest.raises(InvalidInput) as e:
        offer(o, "dep@x.se", "U1", items=(ItemIn("nope", "x"), ItemIn("measures", "")))
    assert [x.path for x in e.value.errors] == ["items[0].key", "items[1].authority"]
    with pytest.raises(InvalidInput) as e:
        offer(o, "dep@x.se", "U1", items=())
    assert e.value.errors[0].path == "items"
    with pytest.raises(InvalidInput) as e:
        offer(o, "dep@x.se", "U1", manager="m2@x.se")
    assert e.value.errors[0].path == "manager"
    made = offer(o, "dep@x.se", "U1")
    with pytest.raises(NotPermitted):  # the manager above does not sign for the manager
        allocations.accept(app, o.actor("dep@x.se"), made)
    with pytest.raises(NotFound):  # someone who may not see it: "not found"
        allocations.show(app, o.actor("m2@x.se"), made)
    with pytest.raises(NotFound):
        allocations.accept(app, o.actor("so2@x.se"), made)
    allocations.accept(app, o.actor("m1@x.se"), made)
    with pytest.raises(Conflict):
        allocations.accept(app, o.actor("m1@x.se"), made)


def test_returning_one_case_goes_to_the_allocator_who_gives_resources(app: App) -> None:
    o = build_org(app)
    ids = whole_chain(o)
    o.start()
    cycle = o.cycle_of("U1")
    survey = o.task("m1@x.se", "employee_survey", cycle)
    with pytest.raises(InvalidInput) as e:
        returns.return_case(app, o.actor("m1@x.se"), survey.task_id, ["time"], "x")
    assert e.value.errors[0].path == "lacking"
    done = returns.return_case(
        app, o.actor("m1@x.se"), survey.task_id, ["resources", "knowledge"], "Ingen tid"
    )
    assert done.allocation_id == ids["U1"]
    new_task = done.tasks[0][1]
    assert new_task in {i.task_id for i in o.inbox("dep@x.se")}
    assert survey.task_id not in {i.task_id for i in o.inbox("m1@x.se")}
    # the parent sees the reason on the task itself, and what is lacking
    d = detail.task_detail(app, o.actor("dep@x.se"), new_task)
    assert d.returned is not None and d.returned.reason == "Ingen tid"
    assert returns.return_of_task(app, new_task) == {
        "id": done.return_id,
        "allocation_id": ids["U1"],
        "lacking": ["resources", "knowledge"],
        "state": "open",
        "outcome": None,
        "note": "",
    }
    v = allocations.show(app, o.actor("dep@x.se"), ids["U1"])
    assert [(r.item, r.lacking, r.may_decide) for r in v.returns] == [
        ("investigation", ("resources", "knowledge"), True)
    ]
    with pytest.raises(NotPermitted):  # the manager who returned it does not decide
        returns.decide(app, o.actor("m1@x.se"), done.return_id, "taken_back")
    with pytest.raises(InvalidInput) as e:
        returns.decide(app, o.actor("dep@x.se"), done.return_id, "resources")
    assert e.value.errors[0].path == "note"
    returns.decide(app, o.actor("dep@x.se"), done.return_id, "resources", "Fyra timmar till")
    assert new_task in {i.task_id for i in o.inbox("m1@x.se")}
    assert new_task not in {i.task_id for i in o.inbox("dep@x.se")}
    v = allocations.show(app, o.actor("m1@x.se"), ids["U1"])
    assert (v.returns[0].outcome, v.returns[0].decision_note) == ("resources", "Fyra timmar till")
    with pytest.raises(Conflict):
        returns.decide(app, o.actor("dep@x.se"), done.return_id, "taken_back")
    assert _events(app, o.units["U1"])[-2:] == [
        "allocation.task_returned",
        "allocation.return_decided",
    ]


def test_returning_the_whole_task_moves_its_cases_and_measures_elsewhere(app: App) -> None:
    from tests.factories import drive_to

    o = build_org(app)
    ids = whole_chain(o)
    o.start()
    cycle = o.cycle_of("U1")
    drive_to(o, cycle, "follow_up")  # the plan's measures are the manager's to follow up
    with pytest.raises(Conflict):  # an allocation not accepted: returned whole, not a task
        returns.return_item(
            app, o.actor("m2@x.se"), offer(o, "dep@x.se", "U2"), "measures", ["authority"], "x"
        )
    follow = [i.task_id for i in o.inbox("m1@x.se") if i.key == "measure_follow_up"]
    done = returns.return_item(
        app, o.actor("m1@x.se"), ids["U1"], "measures", ["authority"], "Får inte besluta"
    )
    assert done.allocation_id == ids["U1"]
    with pytest.raises(Conflict):  # one open return of a task at a time
        returns.return_item(app, o.actor("m1@x.se"), ids["U1"], "measures", ["authority"], "x")
    with pytest.raises(InvalidInput) as e:
        returns.decide(app, o.actor("dep@x.se"), done.return_id, "elsewhere")
    assert e.value.errors[0].path == "to"
    returns.decide(app, o.actor("dep@x.se"), done.return_id, "elsewhere", to_email="m2@x.se")
    v = allocations.show(app, o.actor("dep@x.se"), ids["U1"])
    assert (v.returns[0].outcome, v.returns[0].to_person) == ("elsewhere", "Mats Chef")
    # the measures went with the task: the plan names the new holder
    from engine.views import cycle as cycle_views

    plan = cycle_views.cycle_view(app, cycle).plan
    holders = {m.holder for it in plan for m in it.measures if m.status != "done"}
    assert holders == {"Mats Chef"}, holders
    assert follow and len(done.tasks) == len(follow)
    mats = {i.task_id for i in o.inbox("m2@x.se")}
    assert {new for _, new in done.tasks} <= mats  # the cases went with the decision
    assert not {new for _, new in done.tasks} & {i.task_id for i in o.inbox("dep@x.se")}


def test_a_new_manager_gets_the_open_tasks_once_the_allocation_is_accepted(
    app: App, clock: FrozenClock
) -> None:
    from engine.org import admin as org
    from tests.factories import people_csv, units_csv

    o = build_org(app)
    whole_chain(o)
    o.start()
    before = {i.task_id for i in o.inbox("m2@x.se") if i.key == "employee_survey"}
    assert before
    clock.advance(timedelta(days=2))
    people = people_csv(
        u2_manager="m2@x.se", extra=("ny@x.se,Nina Ny,manager,U2,2027-01-12,",)
    ).replace(
        "m2@x.se,Mats Chef,manager,U2,2020-01-01,",
        "m2@x.se,Mats Chef,manager,U2,2020-01-01,2027-01-11",
    )
    # the import itself holds them, in its transaction: the survey, the absence review and
    # the safety round (the manager leads it: sam-annual v2)
    report = org.import_org(app, Actor.system("test"), units_csv(), people)
    assert report.tasks_held == len(before) + 2
    assert holds.sync(app, o.actor("hr@x.se")) == 0  # nothing left for sync to do
    assert not before & {i.task_id for i in o.inbox("ny@x.se")}
    assert before <= {i.task_id for i in o.inbox("dep@x.se")}  # visibly with the one above
    (task,) = before
    d = detail.task_detail(app, o.actor("dep@x.se"), task)
    assert (
        d.held
        == {
            "holder": "Dag Avdelningschef",
            "manager": "Nina Ny",
            "unit": "Enhet 2",
            "held_at": d.held["held_at"],
        }
        if d.held
        else False
    )
    made = offer(o, "dep@x.se", "U2")
    assert allocations.show(app, o.actor("dep@x.se"), made).held[0]["manager"] == "Nina Ny"
    assert allocations.accept(app, o.actor("ny@x.se"), made).released == len(before) + 2
    assert before <= {i.task_id for i in o.inbox("ny@x.se")}
    assert not before & {i.task_id for i in o.inbox("dep@x.se")}


@pytest.mark.parametrize("mode", ["list", "hold"])
def test_the_year_start_lists_managers_without_an_accepted_allocation(app: App, mode: str) -> None:
    o = build_org(app)
    ids = {"U1": offer(o, "dep@x.se", "U1")}
    allocations.accept(app, o.actor("m1@x.se"), ids["U1"])
    app.settings = app.settings.model_copy(update={"allocation_year_start": mode})
    report = o.start()
    lacking = {u.code: (u.managers, u.held_back) for u in report.unallocated}
    held = mode == "hold"
    assert lacking == {
        "ADM": (("Dora Direktör",), held),
        "DEP": (("Dag Avdelningschef",), held),
        "U2": (("Mats Chef",), held),
    }
    assert len(report.started) == (1 if held else 4)


def test_the_evidence_package_carries_the_chain_and_verifies(app: App) -> None:
    from engine.evidence import package as evidence
    from engine.evidence import verify as evidence_verify
    from forms.exports.evidence_docs import evidence_html

    o = build_org(app)
    ids = whole_chain(o)
    o.start()
    survey = o.task("m1@x.se", "employee_survey", o.cycle_of("U1"))
    returns.return_case(app, o.actor("m1@x.se"), survey.task_id, ["resources"], "Ingen tid")
    built = evidence.build(app, o.actor("hr@x.se"), evidence.Scope("unit", "U1", 2027))
    units = built.data["allocation"]["units"]
    assert [u["unit"] for u in units] == ["ADM", "DEP", "U1"]  # from the board down
    top, _, u1 = (u["allocations"][0] for u in units)
    assert top["board"] == {"name": "Socialnämnden", "decision": "SN 2027-01-05 § 4"}
    assert u1["ref"] == f"allocation:{ids['U1']}" and u1["state"] == "accepted"
    assert u1["manager"]["name"] == "Maja Chef" and len(u1["digest"]) == 64
    assert u1["returns"][0]["lacking"] == "resources" and u1["returns"][0]["outcome"] is None
    html = evidence_html(built.document("test"))
    assert "Uppgiftsfördelning: kedjan från styrelsen" in html and "Ingen tid" in html
    report = evidence_verify.verify(app, o.actor("hr@x.se"), built.document("test"))
    assert report.matches, report.differences
