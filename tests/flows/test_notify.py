"""E-mail notifications through a real SMTP server on loopback (aiosmtpd), on both databases.

The audit log is the outbox: what the engine did (start the year, sweep) becomes mail, each
notification once, to whoever holds the role when the mail goes out.
"""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from engine.context import Actor, App
from engine.db.models import AuditEvent
from engine.db.models.workflow.notify import Notification
from engine.domain.clock import FrozenClock
from engine.notify import notices as notify
from engine.notify.mailer import SmtpMailer
from engine.org import admin as org
from engine.workflow import sweeps
from tests.factories import build_org, people_csv, units_csv
from tests.flows.conftest import Mailbox
from tests.flows.helpers import calendar_of, text_of

# Whoever the year start gives a task: the managers (the manager leads the safety round since
# sam-annual v2; the safety representatives have none until the approvals) and, for the unit
# without a manager, the manager above and the director.
EVERYONE = ["dep@x.se", "dir@x.se", "m1@x.se", "m2@x.se"]


def mailer(box: Mailbox) -> SmtpMailer:
    return SmtpMailer("127.0.0.1", box.port)


def rows(app: App, **where: object) -> list[Notification]:
    with app.read() as s:
        return list(s.scalars(select(Notification).filter_by(**where)))


def test_new_tasks_are_mailed_once_with_due_dates_links_and_calendar(
    app: App, mailbox: Mailbox
) -> None:
    o = build_org(app)
    o.start()
    report = notify.send_pending(app, mailer(mailbox))
    assert mailbox.recipients() == EVERYONE  # one mail each, however many new tasks
    [msg] = mailbox.to("m1@x.se")
    assert msg["To"] == "Maja Chef <m1@x.se>" and msg["From"] == "samflow <samflow@sam.example.se>"
    assert msg["Subject"] == "3 nya uppgifter i arbetsmiljöarbetet"
    text = text_of(msg)
    assert text.startswith("Hej Maja Chef!") and "----- In English -----" in text
    assert "Senast 2027-03-15" in text and "Due 2027-03-15" in text and "Senast 2027-03-31" in text
    ids = {
        o.task("m1@x.se", "employee_survey").task_id,
        o.task("m1@x.se", "safety_round").task_id,
        o.task("m1@x.se", "absence_review").task_id,
    }
    for task_id in ids:
        assert f"https://sam.example.se/tasks/{task_id}" in text
    events = calendar_of(msg)
    assert {e["UID"][1] for e in events} == {f"samflow-task-{i}@sam.example.se" for i in ids}
    assert sorted(e["DTSTART"] for e in events) == [
        ({"VALUE": "DATE"}, "20270315"),
        ({"VALUE": "DATE"}, "20270331"),
        ({"VALUE": "DATE"}, "20270331"),
    ]
    with app.read() as s:
        created = s.scalar(
            select(func.count()).where(AuditEvent.action == "task.created").select_from(AuditEvent)
        )
    assert report.mails == 4 and report.notifications == created == 12
    assert {r.status for r in rows(app)} == {"sent"}

    again = notify.send_pending(app, mailer(mailbox))
    assert (again.mails, len(mailbox.messages), len(rows(app))) == (0, 4, 12)


def test_reminders_and_escalations_go_to_who_holds_the_role_when_mailed(
    app: App, clock: FrozenClock, mailbox: Mailbox
) -> None:
    o = build_org(app)
    o.start()
    notify.send_pending(app, mailer(mailbox))
    mailbox.messages.clear()

    clock.set(datetime(2027, 3, 2, 8, tzinfo=UTC))  # 14 days before the survey is due
    assert sweeps.sweep(app).reminded == 4
    # U1 gets a new manager between the sweep and the mail: she gets the reminder.
    people = people_csv(u1_manager="nina@x.se")
    org.import_org(app, Actor.system("test"), units_csv(), people)
    notify.send_pending(app, mailer(mailbox))
    assert mailbox.recipients() == ["dep@x.se", "dir@x.se", "m2@x.se", "nina@x.se"]
    [reminder] = mailbox.to("nina@x.se")
    assert reminder["Subject"] == (
        "Påminnelse: Medarbetarenkät (HME) – resultat – Enhet 1, senast 2027-03-15"
    )
    mailbox.messages.clear()

    clock.set(datetime(2027, 3, 17, 8, tzinfo=UTC))  # the survey is overdue
    assert sweeps.sweep(app).escalated == 4
    notify.send_pending(app, mailer(mailbox))
    # U1 and U2 climb to the department's manager; DEP and ADM to the director.
    assert mailbox.recipients() == ["dep@x.se", "dir@x.se"]
    [up] = mailbox.to("dep@x.se")
    assert up["Subject"] == "2 försenade uppgifter har eskalerats till dig"
    text = text_of(up)
    assert "Enhet 1" in text and "Enhet 2" in text and "försenad 2 dagar" in text
    assert "(2 days overdue), escalated to you" in text
    assert len(calendar_of(up)) == 2

    assert notify.send_pending(app, mailer(mailbox)).mails == 0


def test_weekly_digest_is_one_mail_per_person_once_a_week(
    app: App, clock: FrozenClock, mailbox: Mailbox
) -> None:
    o = build_org(app)
    o.start()
    first = notify.send_digest(app, mailer(mailbox))
    assert first.mails == 4 and mailbox.recipients() == EVERYONE
    [msg] = mailbox.to("m1@x.se")
    assert msg["Subject"] == "Veckosammanställning 2027-W01: 3 öppna uppgifter i arbetsmiljöarbetet"
    assert len(calendar_of(msg)) == 3
    text = text_of(msg)
    assert text.index("Medarbetarenkät") < text.index("sjukfrånvaro")  # earliest due first

    assert notify.send_digest(app, mailer(mailbox)).mails == 0  # same week: nothing
    clock.advance(timedelta(days=7))
    assert notify.send_digest(app, mailer(mailbox)).mails == 4
    assert {r.digest_week for r in rows(app)} == {"2027-W01", "2027-W02"}


def test_a_refused_address_is_kept_and_a_server_that_is_down_is_tried_again(
    app: App, mailbox: Mailbox
) -> None:
    o = build_org(app)
    o.start()
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    down = notify.send_pending(app, SmtpMailer("127.0.0.1", closed, timeout=5))
    assert down.failed and down.mails == 0
    assert {r.status for r in rows(app)} == {"pending"} and len(rows(app)) == 12

    mailbox.refuse = {"m1@x.se"}
    report = notify.send_pending(app, mailer(mailbox))
    assert report.mails == 3 and report.refused == ["m1@x.se"] and report.failed is None
    refused = rows(app, email="m1@x.se")  # her three new tasks, in one refused mail
    assert len(refused) == 3
    assert all(r.status == "refused" and r.error and "550" in r.error for r in refused)
    assert notify.send_pending(app, mailer(mailbox)).mails == 0  # refused is not retried


def test_two_notifiers_at_once_send_each_mail_once(app: App, mailbox: Mailbox) -> None:
    o = build_org(app)
    o.start()
    barrier = threading.Barrier(2)
    reports = []

    def run() -> None:
        barrier.wait()
        reports.append(notify.send_pending(app, mailer(mailbox)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(mailbox.recipients()) == EVERYONE
    assert sum(r.mails for r in reports) == 4
    assert len(rows(app)) == 12


@pytest.mark.parametrize("mailbox", ["login"], indirect=True)
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_the_mailer_logs_in_when_told_to(app: App, mailbox: Mailbox) -> None:
    build_org(app).start()
    anonymous = SmtpMailer("127.0.0.1", mailbox.port)
    refused = notify.send_pending(app, anonymous)
    assert refused.failed and "530" in refused.failed and mailbox.messages == []
    told = app.settings.model_copy(
        update={"smtp_user": "sam", "smtp_password": SecretStr("hemligt")}
    )
    right = SmtpMailer.from_settings(told)
    assert right is not None and notify.send_pending(app, right).mails == 4
