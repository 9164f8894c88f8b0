"""A task returned up the line shows the person who receives it why: who returned it,
when, and the reason they wrote (the page of the new task, not only the old one's)."""

from __future__ import annotations

from engine.workflow import tasks
from tests.api.conftest import Web


def test_the_returned_task_shows_its_reason_to_whoever_receives_it(web: Web) -> None:
    o = web.org
    survey = o.task("m1@x.se", "employee_survey")
    tasks.return_task(web.engine, o.actor("m1@x.se"), survey.task_id, "Saknar befogenhet att köpa")
    u1 = o.cycle_of("U1")
    received = [i for i in o.inbox("dep@x.se") if i.key == "employee_survey" and i.cycle_id == u1]
    assert len(received) == 1
    page = web.browser("dep@x.se").get(f"/tasks/{received[0].task_id}")
    assert page.status_code == 200
    notice = page.text[page.text.index('id="returned-title"') :]
    assert "Saknar befogenhet att köpa" in notice[:600]
    assert "Maja Chef returnerade den" in notice[:600]
    english = web.browser("dep@x.se", new=False).get(f"/tasks/{received[0].task_id}?lang=en")
    assert "Maja Chef returned it on" in english.text
