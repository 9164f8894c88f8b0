import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine.audit import log as audit
from engine.context import App
from tests.factories import SURVEY, build_org
from tests.tampering import unprotected_audit


def test_log_verifies_after_real_work(app: App) -> None:
    o = build_org(app)
    o.start()
    o.complete("m1@x.se", "employee_survey", SURVEY)
    result = audit.verify(app)
    with app.read() as s:
        stored = s.scalar(text("SELECT count(*) FROM audit_event"))
        chains = s.scalar(text("SELECT count(*) FROM audit_chain"))
    assert result.ok and (result.events, result.chains) == (stored, chains)
    assert chains == 5  # the organisation and one chain per started cycle (4 units)


def test_database_refuses_to_change_or_delete_events(app: App) -> None:
    build_org(app)
    for sql in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), app.db.engine.begin() as c:
            c.execute(text(sql))
    assert audit.verify(app).ok


def test_altered_event_is_named(app: App) -> None:
    o = build_org(app)
    o.start()
    o.complete("m1@x.se", "employee_survey", SURVEY)
    with unprotected_audit(app), app.db.engine.begin() as c:
        target = c.execute(
            text("SELECT id, chain, seq FROM audit_event WHERE action = 'task.completed'")
        ).one()
        c.execute(
            text("UPDATE audit_event SET data = replace(data, '15', '16') WHERE id = :i"),
            {"i": target.id},
        )
    result = audit.verify(app)
    assert result.breaks is not None
    assert [(b.chain, b.seq, b.event_id, b.kind) for b in result.breaks] == [
        (target.chain, target.seq, target.id, "altered")
    ]


def test_removed_events_are_named(app: App) -> None:
    o = build_org(app)
    o.start()
    o.complete("m1@x.se", "employee_survey", SURVEY)
    with unprotected_audit(app), app.db.engine.begin() as c:
        last = c.execute(
            text("SELECT chain, seq FROM audit_event WHERE action = 'task.completed'")
        ).one()
        c.execute(
            text("DELETE FROM audit_event WHERE chain = :c AND seq = :s"),
            {"c": last.chain, "s": last.seq},
        )
        c.execute(text("DELETE FROM audit_event WHERE chain = 'org' AND seq = 3"))
    result = audit.verify(app)
    assert result.breaks is not None
    found = {(b.chain, b.seq, b.kind) for b in result.breaks}
    assert found == {(last.chain, last.seq, "removed"), ("org", 3, "removed")}
