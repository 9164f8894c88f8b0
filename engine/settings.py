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
    #: Requirements from an inspection are due this many days before the reply date
    #: (unless the registration gives a date), leaving time to draft the reply.
    inspection_lead_days: int = 7
    #: Units per part when an evidence package is laid out as PDF (memory vs. overhead).
    evidence_units_per_part: int = 25
    #: Processes laying out the parts of a large PDF at once (1: in the calling process).
    pdf_workers: int = 2

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
