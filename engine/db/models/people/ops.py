"""Running samflow for a region: what the identity provider says at sign-in.

``RoleWithheld``: a role the organisation import gives a person that their last sign-in
through the identity provider did not claim (``SAMFLOW_OIDC_ROLE_CLAIM`` /
``SAMFLOW_OIDC_ROLE_MAP``, docs/signin.md). While a row is here, every role assignment of
that person with that role is left out of who may act (``engine.db.reads``): the provider
can take a role away, never give one. The next sign-in that claims it removes the row.

``OidcSession``: a web session opened through the provider, with the ID token it was
opened with, so signing out can end the provider's session too (``id_token_hint``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models import Base


class RoleWithheld(Base):
    __tablename__ = "role_withheld"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    since: Mapped[datetime]


class OidcSession(Base):
    __tablename__ = "oidc_session"
    token_hash: Mapped[str] = mapped_column(ForeignKey("web_session.token_hash"), primary_key=True)
    id_token: Mapped[str] = mapped_column(Text)
