"""Settings, read from the environment once, by each door's composition root.

Every setting is documented in ``deploy/env.example``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from engine.db.session import DEFAULT_URL
from engine.domain.errors import InvalidInput


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
    #: Worker threads of one web process for handlers that use the database.
    web_threads: int = 8
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
    #: SMTP server for notifications; empty: no e-mail is sent (nothing is recorded either).
    smtp_host: str = ""
    smtp_port: int = 25
    #: Log in with these when set (use STARTTLS, or a server on a trusted network).
    smtp_user: str = ""
    smtp_password: str = ""
    #: Upgrade the connection with STARTTLS before sending (1/true/yes).
    smtp_starttls: bool = False
    #: The From: of every notification.
    smtp_from: str = "samflow <samflow@localhost>"
    #: Minutes between sweeps (reminders, escalations, then the e-mails they cause).
    sweep_minutes: int = 15
    #: When the year starts by itself (cron, Europe/Stockholm); empty: only when HR starts it.
    annual_cron: str = "0 6 15 1 *"
    #: When the weekly digest goes out (cron, Europe/Stockholm).
    digest_cron: str = "0 6 * * 1"
    #: The Prefect deployment the web app runs to start the year ("flow/deployment").
    annual_deployment: str = "start-annual-cycles/annual"
    #: Requirements from an inspection are due this many days before the reply date
    #: (unless the registration gives a date), leaving time to draft the reply.
    inspection_lead_days: int = 7
    #: Units per part when an evidence package is laid out as PDF (memory vs. overhead).
    evidence_units_per_part: int = 25
    #: Processes laying out the parts of a large PDF at once (1: in the calling process).
    pdf_workers: int = 2
    #: Largest evidence package (PDF/HTML), in bytes, the web app takes for verification.
    max_verify_bytes: int = 100_000_000
    #: A subtree's evidence package as PDF is made as a background job above this many
    #: units (smaller ones, and every single unit's, download at once).
    evidence_direct_units: int = 25
    # --- limits on what a request or an import may make the server do (docs/limits.md) ---
    #: Largest request body, in bytes, of any route not named below (JSON API, page forms).
    max_body_bytes: int = 1_000_000
    #: Largest body of the sign-in form (read before anyone is known).
    max_login_bytes: int = 16_000
    #: Largest body of an organisation import (units and people as CSV or JSON).
    max_import_bytes: int = 20_000_000
    #: Most files and most fields one posted page form may carry.
    max_form_files: int = 5
    max_form_fields: int = 3000
    #: Most rows, columns and cells read from an imported spreadsheet (CSV or XLSX).
    import_max_rows: int = 10_000
    import_max_columns: int = 60
    import_max_cells: int = 200_000
    #: An XLSX file (a zip) is refused before it is read when it has more members, more
    #: bytes unpacked, a member packed tighter than this ratio (above 100 kB unpacked), a
    #: sheet larger than this, or a shared-strings table (or other XML part) larger.
    xlsx_max_members: int = 100
    xlsx_max_unpacked_bytes: int = 50_000_000
    xlsx_max_ratio: int = 100
    xlsx_max_sheet_bytes: int = 30_000_000
    xlsx_max_part_bytes: int = 5_000_000
    #: Seconds a request waits for a database lock (SQLite busy timeout, PostgreSQL
    #: lock_timeout) before it is answered 503 with Retry-After.
    db_busy_seconds: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"SAMFLOW_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _parse(str(f.type), raw, f"SAMFLOW_{f.name.upper()}")
        return replace(cls(**values), **overrides)


def _parse(kind: str, raw: str, name: str) -> Any:
    if kind in ("int", str(int)):
        try:
            return int(raw)
        except ValueError:
            raise InvalidInput.field(
                name, f"must be a whole number, not {raw!r}", f"måste vara ett heltal, inte {raw!r}"
            ) from None
    if kind in ("bool", str(bool)):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw
