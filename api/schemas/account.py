"""Request and reply shapes of changing one's password and signing out everywhere."""

from __future__ import annotations

from pydantic import Field

from api.schemas import In, Out


class PasswordIn(In):
    current: str = Field(max_length=1000, description="The password now")
    password: str = Field(max_length=1000, description="The new one (at least 10 characters)")
    revoke_tokens: bool = Field(
        True, description="Also revoke your API tokens (but the one making this call)"
    )


class SignOutEverywhereIn(In):
    revoke_tokens: bool = Field(True, description="Also revoke every API token, this one too")


class EndedOut(Out):
    """What ended: other sign-ins (sessions) and API tokens."""

    sessions_ended: int
    tokens_revoked: int
