"""Verifying the audit log in several processes finds what one process finds."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from engine.audit import log as audit
from engine.context import App, no_progress
from engine.db.audit_store import chain_part, raw_batches
from engine.domain.errors import InvalidInput
from engine.settings import Settings
from tests.factories import SURVEY, build_org
from tests.tampering import unprotected_audit


def test_parts_cover_every_event_once_and_keep_chains_whole(app: App) -> None:
    o = build_org(app)
    o.start()
    with app.read() as s:
        everything = [r for b in raw_batches(s, batch=7) for r in b]
        parts = [[r for b in raw_batches(s, batch=7, part=(i, 3)) for r in b] for i in range(3)]
    assert sorted(r[0] for p in parts for r in p) == sorted(r[0] for r in everything)
    for i, rows in enumerate(parts):
        assert all(chain_part(r[1], 3) == i for r in rows)


def test_two_processes_name_the_same_break_as_one(app: App) -> None:
    o = build_org(app)
    o.start()
    o.complete("m1@x.se", "employee_survey", SURVEY)
    with app.read() as s:
        total = s.scalar(text("SELECT count(*) FROM audit_event"))
    clean = audit._verify_parallel(app.settings.database_url, 2, total, no_progress)
    assert clean.ok and (clean.events, clean.chains) == (total, audit.verify(app).chains)
    with unprotected_audit(app), app.db.engine.begin() as c:
        c.execute(
            text(
                "UPDATE audit_event SET data = replace(data, '15', '16') "
                "WHERE action = 'task.completed'"
            )
        )
    one = audit.verify(app, workers=1)
    two = audit._verify_parallel(app.settings.database_url, 2, total, no_progress)
    assert not one.ok and two.breaks == one.breaks and two.events == one.events


def test_ranges_stitched_find_what_one_pass_finds(app: App) -> None:
    """The log cut into id ranges at every point: a removed event, an altered one and a
    clean chain come out the same as one pass over the whole log."""
    o = build_org(app)
    o.start()
    o.complete("m1@x.se", "employee_survey", SURVEY)
    with app.read() as s:
        total = s.scalar(text("SELECT count(*) FROM audit_event"))
        chain, seq = s.execute(
            text(
                "SELECT chain, max(seq) FROM audit_event WHERE chain <> 'org' "
                "GROUP BY chain ORDER BY 2 DESC"
            )
        ).first() or ("", 0)
    for n in (2, 3, 7):
        clean = audit._verify_parallel(app.settings.database_url, n, total, no_progress)
        assert clean.ok and clean.events == total
    with unprotected_audit(app), app.db.engine.begin() as c:
        c.execute(
            text("DELETE FROM audit_event WHERE chain = :c AND seq = :s"),
            {"c": chain, "s": seq // 2},
        )
        c.execute(text("UPDATE audit_event SET actor_label = 'x' WHERE chain = 'org' AND seq = 2"))
    one = audit.verify(app, workers=1)
    assert {b.kind for b in one.breaks or []} == {"removed", "altered"}
    for n in (2, 3, 7):
        many = audit._verify_parallel(app.settings.database_url, n, total, no_progress)
        assert many.breaks == one.breaks and many.events == one.events
        assert many.chains == one.chains


def test_the_default_verifies_in_one_process_per_core_up_to_four(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings.from_env({}).audit_verify_workers == 0  # 0: chosen by the machine
    for cores, chosen in ((1, 1), (2, 2), (3, 3), (16, 4)):
        monkeypatch.setattr(audit.os, "sched_getaffinity", lambda _pid, n=cores: set(range(n)))
        assert audit.auto_workers() == chosen


def test_a_negative_number_of_verify_processes_is_refused() -> None:
    with pytest.raises(InvalidInput) as e:
        Settings.from_env({"SAMFLOW_AUDIT_VERIFY_WORKERS": "-1"})
    assert "AUDIT_VERIFY_WORKERS" in str(e.value)
