"""Who sees what (engine.org.visibility) and the actor-scoped read models."""

from __future__ import annotations

import pytest

from engine.context import App
from engine.domain.errors import NotFound, NotPermitted
from engine.org import view as orgview
from engine.reports import overview
from engine.views import detail as views
from engine.workflow import yearstart
from tests.factories import build_org


def test_scope_follows_roles_and_substitutes(app: App) -> None:
    from datetime import date

    from engine.org import admin as org_service

    o = build_org(app)
    o.start()
    u1, u2 = o.units["U1"], o.units["U2"]
    survey_u2 = next(i.task_id for i in o.inbox("m2@x.se") if i.key == "employee_survey")
    with pytest.raises(NotFound):
        views.task_detail(app, o.actor("m1@x.se"), survey_u2)
    assert views.task_detail(app, o.actor("dep@x.se"), survey_u2).unit_id == u2
    assert views.task_detail(app, o.actor("hso@x.se"), survey_u2).may.work is False
    org_service.set_substitute(
        app, o.actor("m2@x.se"), "m1@x.se", "m2@x.se", date(2027, 1, 1), date(2027, 2, 1)
    )
    detail = views.task_detail(app, o.actor("m1@x.se"), survey_u2)
    assert detail.may.work and detail.may.on_behalf_of == o.actor("m2@x.se").person_id
    assert [u.id for u in orgview.unit_page(app, o.actor("m1@x.se")).children] == [u1, u2]


def test_cycle_detail_and_jobs_are_scoped(app: App) -> None:
    o = build_org(app)
    o.start()
    with pytest.raises(NotFound):
        views.cycle_detail(app, o.actor("m2@x.se"), o.cycle_of("U1"))
    detail = views.cycle_detail(app, o.actor("m1@x.se"), o.cycle_of("U1"))
    assert detail.may_sign_off and not detail.may_cancel
    assert detail.history[0].action == "cycle.started"
    job = yearstart.request_start(app, o.actor("hr@x.se"), 2028, None, "DEP", "thread")
    assert views.job(app, o.actor("dir@x.se"), job).params == {
        "year": 2028,
        "template": "sam-annual",
        "root": "DEP",
    }
    with pytest.raises(NotFound):
        views.job(app, o.actor("m1@x.se"), job)
    with pytest.raises(NotPermitted):
        yearstart.request_start(app, o.actor("dep@x.se"), 2028, None, "U1", "thread")


def test_overview_counts_stages_tasks_and_span(app: App) -> None:
    o = build_org(app)
    o.start()
    view = overview.department_overview(app, o.actor("dir@x.se"), 2027)
    dep = next(r for r in view.rows if r.code == "DEP")
    assert dep.stages == {"survey": 3} and dep.open_tasks == 9 and dep.overdue == 0
    assert (dep.managers, dep.span_median, dep.span_above) == (3, 30, 1)
    assert (view.total.managers, view.total.span_median) == (3, 30)  # 4, 30 and 45 employees
    with pytest.raises(NotFound):
        overview.department_overview(app, o.actor("m1@x.se"), 2027, o.units["U2"])
