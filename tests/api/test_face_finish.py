"""Issue 13's last gaps: the cycle page lists what is missing once and offers the sign-off
only when nothing is; bulk approval is offered only on what the person may approve (an
approval escalated to the manager above is hers to steer, not to approve)."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.workflow import sweeps
from tests.api.conftest import Web
from tests.factories import drive_to


def test_cycle_page_lists_what_is_missing_once_and_offers_sign_off_only_when_done(
    web: Web,
) -> None:
    """Nothing done: one list of the missing steps (each a link to its task), no button.
    All done: no list, the button."""
    from tests.factories import SAFETY_ROUND, SURVEY

    cycle = web.org.cycle_of("U1")
    client = web.browser("m1@x.se")
    page = client.get(f"/cycles/{cycle}").text
    checklist = page.split('id="checklist-title"', 1)[1].split("</section>", 1)[0]
    missing = re.findall(r"<li>(.*?)</li>", checklist, re.S)
    assert len(missing) == 2 and all('href="/tasks/' in m for m in missing), missing
    assert page.count("obligatoriskt steg") == 2  # once each, not a second list
    assert "Signera steget" not in page and "visas när listan är tom" in page
    web.org.complete("m1@x.se", "employee_survey", SURVEY, cycle)
    web.org.complete("m1@x.se", "safety_round", SAFETY_ROUND, cycle)
    done = client.get(f"/cycles/{cycle}").text
    assert "Alla villkor för att signera är uppfyllda" in done and "Signera steget" in done
    assert 'class="checklist missing"' not in done


def test_bulk_approval_is_offered_only_on_ones_own_approvals(web: Web) -> None:
    o, cycle = web.org, web.org.cycle_of("U1")
    drive_to(o, cycle, "cooperation")
    approval = o.task("m1@x.se", "approve_manager", cycle)
    web.clock.set(approval.due_at + timedelta(days=2))
    sweeps.sweep(web.engine)  # escalated to the manager above, still the manager's to give
    above = web.browser("dep@x.se").get("/inbox").text
    assert f'/tasks/{approval.task_id}"' in above  # she sees it, escalated to her
    assert f'name="task_ids" value="{approval.task_id}"' not in above
    own = web.browser("m1@x.se").get("/inbox").text
    assert f'name="task_ids" value="{approval.task_id}"' in own
