"""Settings, read from the environment once, by each door's composition root.

Every setting is documented in ``deploy/env.example``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from engine.db.session import DEFAULT_URL


@dataclass(frozen=True)
class Settings:
    #: SQLAlchemy URL; a SQLite file by default, ``postgresql://...`` in production.
    database_url: str = DEFAULT_URL
    #: Fewer survey answers than this: no figures stored or shown (anonymity).
    min_survey_answers: int = 5
    #: Span of control above this many employees per manager is flagged.
    span_threshold: int = 40
    #: The template the annual start uses unless told otherwise.
    default_template: str = "sam-annual"
    #: Default language of texts: "sv" or "en".
    lang: str = "sv"
    #: Public address of the web app (links in e-mails).
    base_url: str = "http://127.0.0.1:8000"
    #: Who runs long work started from the web app: "thread" (in the server) or "prefect".
    runner: str = "thread"
    #: Hours a web sign-in lasts without use before it must be renewed.
    session_hours: int = 12
    #: Secure flag on the session cookie: "auto" (when the request is https), "always", "never".
    cookie_secure: str = "auto"
    #: Failed sign-ins (per account and address) before further tries are refused for a while.
    login_max_failures: int = 5
    #: Minutes the refusal lasts, and the window failures are counted in.
    login_lock_minutes: int = 15
    #: Largest attachment, in bytes, stored with a task (in the database).
    max_upload_bytes: int = 2_000_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"SAMFLOW_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = int(raw) if f.type in ("int", int) else raw
        return replace(cls(**values), **overrides)
