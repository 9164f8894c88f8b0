"""Evidence packages made as background jobs: the request is refused before it is queued,
the made file is kept for whoever may see the job, and old files are dropped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.context import App
from engine.domain.clock import FrozenClock
from engine.domain.errors import InvalidInput, NotFound, NotPermitted
from engine.evidence import jobs as evidence_jobs
from engine.evidence import package as evidence
from engine.views import job_files
from engine.workflow.batch import jobs
from tests.factories import build_org

ADM = evidence.Scope("subtree", "ADM", 2027)


def test_request_checks_first(app: App) -> None:
    o = build_org(app)
    with pytest.raises(NotPermitted):
        evidence_jobs.request(app, o.actor("m1@x.se"), ADM, "sv", "thread")
    with pytest.raises(NotFound):
        evidence_jobs.request(app, o.actor("hr@x.se"), evidence.Scope("unit", "X", 2027), "sv", "t")
    with pytest.raises(InvalidInput):
        evidence_jobs.request(app, o.actor("hr@x.se"), ADM, "de", "thread")
    assert evidence_jobs.check(app, o.actor("hr@x.se"), ADM) == 4
    assert evidence_jobs.check(app, o.actor("m1@x.se"), evidence.Scope("unit", "U1", 2027)) == 1
    job_id = evidence_jobs.request(app, o.actor("hr@x.se"), ADM, "en", "thread")
    order = evidence_jobs.order_of(jobs.get(app, job_id))
    assert (order.scope, order.lang) == (ADM, "en")
    with pytest.raises(InvalidInput):  # the year's runner does not run it
        jobs.run(app, job_id)


def test_files_are_kept_for_the_job_and_then_dropped(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    first = evidence_jobs.request(app, o.actor("hr@x.se"), ADM, "sv", "thread")
    info = job_files.store(app, first, "a.pdf", "application/pdf", b"%PDF-1 a")
    assert (info.size, info.filename) == (8, "a.pdf") and len(info.sha256) == 64
    got, content = job_files.fetch(app, o.actor("dir@x.se"), first)  # HR and directors see jobs
    assert content == b"%PDF-1 a" and got == info
    with pytest.raises(NotFound):
        job_files.fetch(app, o.actor("m1@x.se"), first)  # not the person's job
    clock.advance(job_files.KEEP + timedelta(hours=1))
    second = evidence_jobs.request(app, o.actor("hr@x.se"), ADM, "sv", "thread")
    job_files.store(app, second, "b.pdf", "application/pdf", b"%PDF-1 b")
    with pytest.raises(NotFound):
        job_files.fetch(app, o.actor("hr@x.se"), first)
    assert job_files.fetch(app, o.actor("hr@x.se"), second)[1] == b"%PDF-1 b"
