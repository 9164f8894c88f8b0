"""Settings, read from the environment once, by each door's composition root.

Every setting is documented in ``deploy/env.example``. ``SAMFLOW_<NAME>`` sets a field;
``SAMFLOW_<NAME>_FILE`` names a file holding the value instead (secrets mounted by systemd's
credentials or a container's secrets). Values are checked when read: a bad one raises one
:class:`InvalidInput` naming the variable and what it takes. ``Settings(...)`` built in code
reads no environment at all; only :meth:`Settings.from_env` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from engine.db.engine import DEFAULT_URL
from engine.domain.errors import FieldError, InvalidInput
from engine.env import MAX_SECRET_FILE_BYTES, PREFIX, raw_value, variable

__all__ = ["MAX_SECRET_FILE_BYTES", "PREFIX", "Settings", "variable"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_default=True)

    #: SQLAlchemy URL; a SQLite file by default, ``postgresql://...`` in production. It may
    #: hold a password: read it from a file with ``SAMFLOW_DATABASE_URL_FILE``.
    database_url: str = DEFAULT_URL
    #: The database password, kept apart from the URL (``SAMFLOW_DATABASE_PASSWORD_FILE``,
    #: e.g. a container secret): put into the URL as it is, so ``@``, ``/`` or ``:`` in it
    #: need no escaping. A placeholder such as ``change-me`` is refused.
    database_password: SecretStr | None = None
    #: Fewer survey answers than this: no figures stored or shown (anonymity).
    min_survey_answers: int = 5
    #: Survey imports (docs/surveys.md): the most bytes, rows and cells one file may have
    #: (checked before it is read further; a survey file has a row per respondent).
    survey_max_bytes: int = 30_000_000
    survey_max_rows: int = 200_000
    survey_max_cells: int = 3_000_000
    #: A sub-index below this, or this many points below last year's, is a low area:
    #: proposed as a risk in the unit's analysis.
    survey_low_index: float = 70.0
    survey_low_drop: float = 5.0
    #: How many levels of the report's scope the board report's survey table shows (the
    #: top and the units right under it: 2); the units below are in the survey report.
    board_survey_levels: int = 2
    #: Absence figures of a unit with fewer employees than this are not shown (health data).
    absence_min_headcount: int = 5
    #: The ROA rule (docs/surveys.md): a unit is proposed for a risk-oriented review when
    #: its short-term sick leave (spells < 14 days) is at least ``roa_short_term_pct`` per
    #: cent and ``roa_above_comparable_pct`` per cent above the median of comparable units
    #: (same level in the organisation, or same parent: ``roa_compare_by``) in at least
    #: ``roa_periods`` consecutive periods of the year.
    roa_short_term_pct: float = 2.5
    roa_above_comparable_pct: float = 20.0
    roa_periods: int = 2
    roa_compare_by: Literal["level", "parent"] = "level"
    #: The health factors (friskfaktorer) a unit's health plan may choose two of, by key
    #: (engine/domain/followup/health.py), and how many months may pass between a department head's
    #: follow-ups of a plan before it is shown as due.
    health_factors: tuple[str, ...] = (
        "leadership", "participation", "communication", "sam", "rehabilitation", "fairness",
        "competence", "priorities",
    )  # fmt: skip
    health_follow_up_months: int = 4
    #: A plan in its own right whose header names no review rhythm (neither months nor
    #: dates) is followed up as a whole this often, counted from its plan date.
    plan_review_months: int = Field(default=3, ge=1, le=12)
    #: Span of control above this many employees per manager is flagged.
    span_threshold: int = 40
    #: The template the annual start uses unless told otherwise.
    default_template: str = "sam-annual"
    #: Default language of texts: "sv" or "en".
    lang: Literal["sv", "en"] = "sv"
    #: Public address of the web app (links in e-mails).
    base_url: str = "http://127.0.0.1:8000"
    #: Who runs long work started from the web app: "thread" (in the server) or "prefect".
    runner: Literal["thread", "prefect"] = "thread"
    #: Worker threads of one web process for handlers that use the database.
    web_threads: int = 8
    #: Pages re-read a template whose file changed (development); off, each template is
    #: read once per process (no look at the file on every page).
    templates_reload: bool = False
    #: Hours a web sign-in lasts without use before it must be renewed.
    session_hours: int = 12
    #: Secure flag on the session cookie: "auto" (when the request is https), "always", "never".
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    #: Failed sign-ins (per account and address) before further tries are refused for a while.
    login_max_failures: int = 5
    #: Minutes the first refusal lasts, and the window failures are counted in.
    login_lock_minutes: int = 15
    #: Failed sign-ins from one address (any accounts; IPv6 per /64) per window; 0: no limit.
    login_address_max_failures: int = 20
    #: Failed sign-ins from everywhere together per window; 0: no limit.
    login_global_max_failures: int = 1000
    #: Each refusal in a row lasts twice the one before, up to this many minutes.
    login_max_lock_minutes: int = 1440
    #: Reverse proxies whose X-Forwarded-For/-Proto are believed (addresses or networks,
    #: comma-separated); empty: none, the client is the connection's peer.
    trusted_proxies: str = ""
    #: Strict-Transport-Security max-age, in seconds, on replies served over https; 0: none.
    hsts_seconds: int = 31_536_000
    #: OpenID Connect sign-in (Entra ID, ADFS, Keycloak, ...): the issuer URL (discovery at
    #: ``<issuer>/.well-known/openid-configuration``); empty: local passwords only.
    oidc_issuer: str = ""
    #: The client registered at the provider for samflow, and its secret.
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr | None = None
    #: The ID token claim whose value is a person's e-mail in samflow's organisation
    #: ("email"; Entra ID often "preferred_username" or "upn").
    oidc_person_claim: str = "email"
    #: Which field of a person that claim's value is matched against: "email", or
    #: "employee_number" (the organisation import's employee number column, e.g. a claim
    #: "employeeid" from Entra ID or an attribute ADFS sends).
    oidc_person_field: Literal["email", "employee_number"] = "email"
    #: Scopes asked for.
    oidc_scopes: str = "openid email profile"
    #: The button's text on the sign-in page.
    oidc_label: str = "Logga in med organisationens konto"
    #: The ID token claim with the person's groups or app roles ("groups", "roles"); empty:
    #: the provider says nothing about roles. See docs/signin.md for the rule.
    oidc_role_claim: str = ""
    #: Claim values -> samflow roles, e.g. "SAM-HR=hr;SAM-Chefer=manager,deputy". The roles
    #: named here are governed by the provider: each needs its claim value at sign-in.
    oidc_role_map: str = ""
    #: Bearer token that lets a monitoring system read ``/metrics`` from elsewhere than
    #: loopback; unset: only loopback clients (not through a proxy) may read it.
    metrics_token: SecretStr | None = None
    #: The backlog gauges of ``/metrics`` are counted at most once per this many seconds.
    metrics_cache_seconds: int = 15
    #: Log lines of ``samflow serve``: "text", or "json" (one object per line, with the
    #: request id).
    log_format: Literal["text", "json"] = "text"
    #: Largest attachment, in bytes, stored with a task (in the database).
    max_upload_bytes: int = 2_000_000
    #: Largest photo of a safety round's finding, in bytes (JPEG, PNG, WebP or HEIC).
    round_photo_max_bytes: int = 5_000_000
    #: Photos one finding may carry.
    round_photos_max: int = 4
    #: SMTP server for notifications; empty: no e-mail is sent (nothing is recorded either).
    smtp_host: str = ""
    smtp_port: int = 25
    #: Log in with these when set (use STARTTLS, or a server on a trusted network).
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
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
    #: The Prefect deployment that runs the other background jobs (evidence packages, large
    #: organisation and plan imports), one flow run per job.
    jobs_deployment: str = "run-job/jobs"
    #: Requirements from an inspection are due this many days before the reply date
    #: (unless the registration gives a date), leaving time to draft the reply.
    inspection_lead_days: int = 7
    #: Kinds of cooperation body and the short name each is shown by ("fastställd vid
    #: FSG 2027-05-20"): an organisation calls its bodies what it calls them.
    coop_body_kinds: dict[str, str] = {
        "apt": "APT",
        "lsg": "LSG",
        "samverkansgrupp": "Samverkansgrupp",
        "fsg": "FSG",
        "csg": "CSG",
        "skyddskommitte": "Skyddskommitté",
    }
    #: Policy, routines and knowledge (engine.policy, docs/policy.md). Days before a
    #: document's review date its yearly review task is made (by the sweep).
    policy_review_lead_days: int = 30
    #: From this many employees (the headcount of the organisation data, summed over the
    #: employer's units) the policy and routines must be in writing (AFS 2023:1).
    policy_written_from: int = 10
    #: What the employer must have: the policy and these routines (topic keys).
    policy_required_topics: list[str] = [
        "policy",
        "risk_assessment",
        "incidents",
        "rehabilitation",
        "victimisation",
    ]
    #: Days before a training lapses its renewal task is made (by the sweep).
    knowledge_reminder_days: int = 60
    #: Courses a training record names (key -> name).
    knowledge_courses: dict[str, str] = {
        "bam": "BAM – Bättre arbetsmiljö",
        "sam": "SAM för chefer",
        "safety_rep": "Skyddsombudsutbildning",
        "other": "Annan arbetsmiljöutbildning",
    }
    #: The knowledge a role requires: a valid record of any of these courses.
    knowledge_required: dict[str, list[str]] = {
        "manager": ["bam", "sam"],
        "safety_rep": ["bam", "safety_rep"],
    }
    #: Task allocation (docs/allocation.md): what the board that allocates to the top
    #: manager is called; whether the year start only lists managers without an accepted
    #: allocation ("list") or also holds their units back ("hold"); whether a new
    #: manager's open tasks stay with the manager above until their allocation is accepted.
    allocation_board: str = "Styrelsen"
    allocation_year_start: Literal["list", "hold"] = "list"
    allocation_hold_new_managers: bool = True
    #: A manager role that begins on a later day is held for by the daily sweep on its
    #: first day; a role that began up to this many days ago is still held for (a sweep
    #: that did not run for a few days catches up).
    allocation_hold_start_days: int = Field(default=7, ge=1, le=366)
    #: Units per part when an evidence package is laid out as PDF (memory vs. overhead).
    evidence_units_per_part: int = 25
    #: Processes laying out the parts of a large PDF at once (1: in the calling process).
    pdf_workers: int = 2
    #: Largest evidence package (PDF/HTML), in bytes, the web app takes for verification.
    max_verify_bytes: int = 100_000_000
    #: What the data attached to such a package may unpack to, in bytes (about 40 kB a
    #: unit: the default takes a package of some 6,000 units; a bomb stops here).
    max_verify_data_bytes: int = Field(default=250_000_000, ge=1_000_000)
    #: A subtree's evidence package as PDF is made as a background job above this many
    #: units (smaller ones, and every single unit's, download at once).
    evidence_direct_units: int = 25
    #: An organisation import by a person that would end more than this share (per cent)
    #: of the roles within their reach is held until a second HR person confirms it.
    org_import_confirm_percent: int = 20
    #: The audit log's signing key (Ed25519, PEM; ``samflow audit keygen`` makes it, mode
    #: 0600). Keep it where the database's users cannot read it; empty: no checkpoints.
    audit_key_file: str = ""
    #: The public key that checks checkpoints; empty: derived from ``audit_key_file``. An
    #: inspector, or a verifying host without the signing key, sets only this.
    audit_public_key_file: str = ""
    #: Directory of signed checkpoints of the audit chains (append-only: one file each),
    #: outside the database, where its users cannot rewrite them; empty: no checkpoints.
    audit_checkpoint_dir: str = ""
    #: The sweep writes a checkpoint when the log has grown and the latest is this old.
    audit_checkpoint_minutes: int = 60
    #: Processes ``engine.audit.log.verify`` splits a large log (200,000 events or more) over;
    #: 0: one per core this process may use, at most four; 1: one process.
    audit_verify_workers: int = Field(default=0, ge=0, le=64)
    #: Seconds between the heartbeats a running job writes (one small UPDATE each).
    job_heartbeat_seconds: int = 30
    #: A running job without a heartbeat for this long died with its process: the sweep
    #: (and the job runner when it starts) fails it, saying so to the person.
    job_stale_seconds: int = 300
    #: A notification left "sending" this long was taken by a notifier that died: it is
    #: sent again (same Message-ID, so the receiver can drop a duplicate).
    outbox_stale_seconds: int = 600
    #: Background jobs (evidence packages, starting the year, large imports) running at
    #: once, overall and per person; the others wait in the queue, in order.
    jobs_max_running: int = 2
    jobs_max_running_per_person: int = 1
    #: Jobs one person may have waiting; one more is refused (429) until one has run.
    jobs_max_queued_per_person: int = 3
    #: An organisation import with more rows than this (units + people lines) runs as a
    #: background job in batches, so other writers get the database between batches.
    org_import_job_rows: int = 2000
    #: Rows per batch (one short transaction with its audit events) of such an import.
    org_import_batch_rows: int = 500
    #: Milliseconds between such batches: another process waiting for SQLite's write lock
    #: looks again every 100 ms at most, and would otherwise miss the gaps.
    org_import_pause_ms: int = 100
    #: A plan file with more rows than this is imported as a background job.
    plan_import_job_rows: int = 2000
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

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise _invalid(e) from None
        url = _with_password(self.database_url, self.database_password)
        if url != self.database_url:
            object.__setattr__(self, "database_url", url)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Built in code, settings are what the code says; the environment is read by
        # from_env alone, so that a test or a tool never picks up a stray variable.
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """The settings of ``env`` (default: the process environment), then ``overrides``."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            found = raw_value(name, env)
            if found is not None:
                values[name] = found
        values.update(overrides)
        return cls(**values)

    def secret(self, name: str) -> str:
        """The plain value of a secret setting (``SecretStr`` hides it from logs and reprs)."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


#: Passwords from examples and templates that must never guard a real database.
PLACEHOLDER_PASSWORDS = frozenset({"change-me", "changeme", "change_me", "password", "secret"})


def _with_password(database_url: str, password: SecretStr | None) -> str:
    """The URL with the separately given password in it (escaped by SQLAlchemy), after
    refusing a placeholder password in either."""
    if password is None and "@" not in database_url:
        return database_url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        raise InvalidInput.field(
            variable("database_url"),
            "is not a database URL (e.g. postgresql://user@host/samflow)",
            "är ingen databas-URL (t.ex. postgresql://user@host/samflow)",
        ) from None
    secret = password.get_secret_value() if password is not None else url.password
    if secret is not None and str(secret).lower() in PLACEHOLDER_PASSWORDS:
        var = variable("database_password" if password is not None else "database_url")
        raise InvalidInput.field(
            var,
            "holds a placeholder password (such as change-me); set a real one",
            "innehåller ett platshållarlösenord (som change-me); ange ett riktigt",
        )
    if password is None:
        return database_url
    return url.set(password=secret).render_as_string(hide_password=False)


def _invalid(error: ValidationError) -> InvalidInput:
    found: list[FieldError] = []
    for e in error.errors(include_url=False):
        field = str(e["loc"][0]) if e["loc"] else ""
        var = variable(field) if field else PREFIX + "*"
        given = e.get("input")
        shown = "" if field == "smtp_password" or "password" in field else f", not {given!r}"
        kind = e["type"]
        if kind == "literal_error":
            choices = str(e.get("ctx", {}).get("expected", ""))
            en, sv = f"must be one of {choices}{shown}", f"måste vara en av {choices}{shown}"
        elif kind.startswith("int_"):
            en, sv = f"must be a whole number{shown}", f"måste vara ett heltal{shown}"
        elif kind.startswith("bool_"):
            en = f"must be true or false (1/0, yes/no, on/off){shown}"
            sv = f"måste vara sant eller falskt (1/0, yes/no, on/off){shown}"
        elif kind == "extra_forbidden":
            en, sv = "is not a setting", "är ingen inställning"
        else:
            en, sv = f"{e['msg']}{shown}", f"ogiltigt värde ({e['msg']}){shown}"
        found.append(FieldError(var, en, sv))
    return InvalidInput(found, context="settings")
