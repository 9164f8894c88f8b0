"""What was mailed to whom: the record that makes every notification go out once.

The audit log is the outbox: task.created / task.reminded / task.escalated events say what
happened; the notifier expands new events into ``Notification`` rows, one per (audit event,
recipient) or (digest week, recipient), and sends the pending ones. The unique keys make a
second notifier (or a retried flow) insert nothing twice; the ``pending`` -> ``sending``
update decides which run sends a mail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        UniqueConstraint("digest_week", "person_id"),
        Index(
            "ix_notification_pending",
            "kind",
            "person_id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_notification_sending",
            "heartbeat_at",
            sqlite_where=text("status = 'sending'"),
            postgresql_where=text("status = 'sending'"),
        ),
        CheckConstraint("(event_id IS NULL) <> (digest_week IS NULL)", name="one_subject"),
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    #: The audit event told of (no foreign key: the log outlives everything), or the ISO
    #: week of a digest (``2027-W03``). Exactly one of the two is set.
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    digest_week: Mapped[str | None] = mapped_column(String(10))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(16))  # created | reminded | escalated | digest
    email: Mapped[str] = mapped_column(String(254))  # the address used, once sent
    task_id: Mapped[int | None]
    #: pending -> sending -> sent | refused | dropped (task closed, person gone)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    #: When a notifier took the row to send it (``sending``); a row left ``sending`` longer
    #: than ``SAMFLOW_OUTBOX_STALE_SECONDS`` was taken by a notifier that died: it is sent
    #: again, under the same Message-ID, so the receiver can drop a duplicate.
    heartbeat_at: Mapped[datetime | None]
    #: The Message-ID of the mail this row went (or goes) out in, set when first taken.
    message_id: Mapped[str | None] = mapped_column(String(255))


class NotifyCursor(Base):
    """When the notifier last read the audit log; the next run reads from a while before."""

    __tablename__ = "notify_cursor"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime]
    updated_at: Mapped[datetime]
