"""Issue 13, the inbox's use cases: titles that tell tasks apart, claim only where several
could take a task, escalation counts that agree with the rows (and the overview with the
follow-up report), comments, the once-a-day nudge through the outbox, saved views."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.context import App
from engine.db.models import AuditEvent
from engine.db.models.workflow.notify import Notification
from engine.domain.clock import FrozenClock
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted
from engine.notify import notices
from engine.reports import followup, overview
from engine.rounds import rounds as safety_rounds
from engine.views import cycle as cycle_views
from engine.views import inbox as reports
from engine.views import saved_views
from engine.workflow import conversation, sweeps, tasks
from tests.factories import build_org, drive_to

D = timedelta(days=1)


def _actions(app: App, action: str) -> list[str]:
    with app.read() as s:
        return list(s.scalars(select(AuditEvent.data).where(AuditEvent.action == action)))


def test_titles_claim_and_counts_that_agree(sqlite_app: App, clock: FrozenClock) -> None:
    app = sqlite_app
    o = build_org(app, extra=("dina@x.se,Dina Ställföreträdare,deputy,U2,2020-01-01,",))
    o.start()
    u1 = o.cycle_of("U1")
    drive_to(o, u1, "follow_up")
    box = reports.inbox(app, o.actor("m1@x.se"))
    follow = [i for i in box.items if i.key == "measure_follow_up"]
    assert follow and all(i.subject.startswith("1.") for i in follow)
    titles = [i.full_title("sv") for i in follow]
    assert len(set(titles)) == len(titles)  # no two rows read the same
    assert all(t.startswith("Följ upp åtgärd: 1.") for t in titles)
    # U1's manager is the only one who could take U1's tasks: no claim offered
    assert not any(i.may_claim for i in box.items)
    # U2 has a deputy too: its manager's role tasks may be claimed by either
    u2 = reports.inbox(app, o.actor("m2@x.se")).items
    assert u2 and all(i.may_claim for i in u2 if not i.claimed and i.why == "role")
    # approvals are ticked only by whoever holds them
    assert all(not i.may_approve for i in u2)

    # far past the deadlines: the tasks climb to the line above, then the director
    clock.advance(90 * D)
    for _ in range(4):  # one rung per sweep, each after the ladder's gap (manager above first)
        sweeps.sweep(app)
        clock.advance(10 * D)
    mine = reports.inbox(app, o.actor("m2@x.se"))
    assert mine.escalated == sum(1 for i in mine.items if i.escalated_to_me) == 0
    assert mine.escalated_up == sum(1 for i in mine.items if i.escalated_up) > 0
    boss = reports.inbox(app, o.actor("dir@x.se"))
    assert boss.escalated == sum(1 for i in boss.items if i.escalated_to_me) > 0
    esc = [i for i in boss.items if i.escalated_to_me]
    assert all(i.may_steer and i.days_overdue > 0 for i in esc)
    # a reminder goes to someone else: not to the director's own tasks that climbed to him
    assert {i.may_nudge for i in esc if i.holder == "Dora Direktör"} == {False}
    assert {i.may_nudge for i in esc if i.holder != "Dora Direktör"} == {True}
    assert all(not i.may_approve for i in esc)  # the director cannot approve for them
    assert any(i.holder == "Mats Chef" for i in esc)
    # one definition of "escalated" on the overview and in the follow-up report
    director = o.actor("dir@x.se")
    ov = overview.department_overview(app, director, 2027)
    report = followup.build(app, director, 2027)
    assert ov.total.escalated == report.total.escalations > 0
    assert cycle_views.year_overview(app, 2027).escalated_tasks == ov.total.escalated

    # sort and group through the same model the page uses
    grouped = reports.inbox(app, director, group="unit", sort="unit")
    names = [g.items[0].unit_name for g in grouped.groups]
    assert names == sorted(names) and len(names) == len(set(names))
    buckets = reports.inbox(app, director, group="deadline").groups
    assert [g.key for g in buckets] == [b for b in reports.BUCKETS if b in {g.key for g in buckets}]


def test_comments_and_the_daily_nudge(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    o.start()
    task = o.task("m1@x.se", "employee_survey").task_id
    conversation.add_comment(app, o.actor("so1@x.se"), task, "  Enkäten går ut på måndag ")
    seen = conversation.comments(app, o.actor("m1@x.se"), task)
    assert [(c.name, c.body) for c in seen] == [("Sven Skyddsombud", "Enkäten går ut på måndag")]
    assert conversation.comments(app, o.actor("dir@x.se"), task)  # the line above sees it
    for stranger in ("m2@x.se",):
        with pytest.raises(NotFound):
            conversation.comments(app, o.actor(stranger), task)
        with pytest.raises(NotFound):
            conversation.add_comment(app, o.actor(stranger), task, "hej")
    with pytest.raises(InvalidInput):
        conversation.add_comment(app, o.actor("m1@x.se"), task, "   ")
    with pytest.raises(InvalidInput):
        conversation.add_comment(app, o.actor("m1@x.se"), task, "x" * 4001)
    assert len(_actions(app, "task.commented")) == 1

    with pytest.raises(NotPermitted):  # the holder does not nudge herself
        conversation.nudge(app, o.actor("m1@x.se"), task)
    with pytest.raises(NotFound):
        conversation.nudge(app, o.actor("m2@x.se"), task)
    notices.expand_events(app, clock.now())  # what the start of the year said is mailed
    conversation.nudge(app, o.actor("dep@x.se"), task)
    with pytest.raises(Conflict):  # once a day per task, whoever asks
        conversation.nudge(app, o.actor("dir@x.se"), task)
    assert notices.expand_events(app, clock.now())[0] == 1  # the holder's reminder mail
    with app.read() as s:
        rows = list(s.execute(select(Notification.kind, Notification.task_id)))
    assert ("reminded", task) in [tuple(r) for r in rows]
    clock.advance(D)
    conversation.nudge(app, o.actor("dir@x.se"), task)  # a new day
    assert len([d for d in _actions(app, "task.reminded") if '"nudge":true' in d]) == 2


def test_saved_views_are_kept_and_shared_within_a_unit(app: App) -> None:
    o = build_org(app)
    m1 = o.actor("m1@x.se")
    own = saved_views.save(app, m1, "Försenat", {"overdue": "1", "sort": "kind"}, None)
    shared = saved_views.save(app, m1, "Enhetens", {"group": "cycle", "sort": "due"}, o.units["U1"])
    assert [v.query for v in saved_views.visible(app, m1)] == ["group=cycle", "sort=kind&overdue=1"]
    assert [v.id for v in saved_views.visible(app, o.actor("so1@x.se"))] == [shared]
    assert saved_views.visible(app, o.actor("m2@x.se")) == []
    with pytest.raises(InvalidInput):  # shared only where she holds a role
        saved_views.save(app, m1, "U2", {}, o.units["U2"])
    with pytest.raises(InvalidInput):
        saved_views.save(app, m1, "Fel", {"sort": "DROP TABLE"}, None)
    with pytest.raises(InvalidInput):
        saved_views.save(app, m1, " ", {}, None)
    with pytest.raises(NotFound):  # only the owner removes it
        saved_views.remove(app, o.actor("so1@x.se"), shared)
    saved_views.remove(app, m1, own)
    assert [v.id for v in saved_views.visible(app, m1)] == [shared]
    assert len(_actions(app, "view.saved")) == 2 and len(_actions(app, "view.removed")) == 1


def test_only_a_managers_task_is_returned_up_the_line(sqlite_app: App) -> None:
    o = build_org(sqlite_app)
    o.start()
    plan = {"unit": "U1", "checklist": "general", "planned_on": "2027-01-20"}
    opened = safety_rounds.plan(sqlite_app, o.actor("m1@x.se"), plan)
    rounds = o.task("so1@x.se", "take_part", opened.cycle_id).task_id
    with pytest.raises(NotPermitted):  # a safety representative's own task
        tasks.return_task(sqlite_app, o.actor("so1@x.se"), rounds, "Saknar kunskap")
    survey = o.task("m1@x.se", "employee_survey").task_id
    tasks.return_task(sqlite_app, o.actor("m1@x.se"), survey, "Saknar budget")
