"""Sign-in and files: local accounts, web sessions, API tokens, sign-in throttling, and
attachments stored with a task.

Secrets are never stored in the clear: passwords as argon2 hashes, session and API tokens as
SHA-256 digests of long random values (a stolen database backup cannot sign anyone in).
Failed sign-ins are counted in the database, not in one process's memory, so throttling
holds across threads, workers and restarts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class Account(Base):
    """A person's local sign-in. One per person; no row means the person cannot sign in."""

    __tablename__ = "account"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebSession(Base):
    """A signed-in browser. ``token_hash`` is the digest of the cookie's value."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_person", "person_id"),)
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(String(64), default="")


class ApiToken(Base):
    """A bearer token for an integration, acting as the person it belongs to."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_person", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists: which token is which
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """One sign-in budget (an account from an address, an address, or everyone): attempts
    counted in the current window, the lock, and how many locks came in a row."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    strikes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Attachment(Base):
    """A small file kept with a task (survey report, safety-round protocol)."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_task", "task_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class OidcLogin(Base):
    """A sign-in through the identity provider under way: the state sent with the browser
    (its digest is the key), the nonce the ID token must carry and the PKCE verifier. Used
    once: the callback deletes it, so a replayed answer finds nothing."""

    __tablename__ = "oidc_login"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128))
    verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(500), default="/")
    created_at: Mapped[datetime]
