"""Backups that can be restored: ``samflow db backup FILE`` and ``samflow db restore FILE``.

- SQLite: SQLite's online backup API, page by page, while the app keeps running (a writer
  waits at most a moment per step); the copy is checked (``PRAGMA integrity_check``) before
  it takes its name, so a file called a backup is a whole one.
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot while the app runs) and
  ``pg_restore --single-transaction --exit-on-error``. The connection comes from the URL in
  ``PG*`` environment variables, so a password never shows in a process list.

A restore goes into an **empty** database only (a new SQLite file, or a PostgreSQL database
with no tables): a restore never overwrites what is there, and a half-done one leaves
nothing behind. Afterwards the restored database is read back: its schema revision and the
number of audit events, so the operator can run ``samflow audit verify`` against it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from engine.domain.errors import InvalidInput, NotReady, SamflowError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
#: Pages copied per step of the online backup (4 KiB pages: 16 MiB a step).
PAGES_PER_STEP = 4096


@dataclass(frozen=True)
class Summary:
    """What a backup or a restored database holds."""

    path: str
    kind: str  # sqlite | postgresql
    bytes: int
    sha256: str
    revision: str | None
    audit_events: int


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise InvalidInput.field(
            "database_url",
            "an in-memory SQLite database cannot be backed up or restored",
            "en SQLite-databas i minnet kan inte säkerhetskopieras eller återställas",
        )
    return Path(url.database)


def _refuse_existing(dest: Path) -> None:
    if dest.exists():
        raise InvalidInput.field(
            "file",
            f"{dest} exists already; a backup never overwrites a file (choose another name)",
            f"{dest} finns redan; en säkerhetskopia skriver aldrig över en fil (välj ett annat "
            "namn)",
        )
    if not dest.parent.is_dir():
        raise InvalidInput.field(
            "file", f"the folder {dest.parent} does not exist", f"mappen {dest.parent} finns inte"
        )


def _contents(url: str) -> tuple[str | None, int, int]:
    """(schema revision, audit events, tables) of a database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            revision = (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if "alembic_version" in tables
                else None
            )
            events = (
                int(conn.execute(text("SELECT count(*) FROM audit_event")).scalar() or 0)
                if "audit_event" in tables
                else 0
            )
        return revision, events, len(tables)
    finally:
        engine.dispose()


# --- backup -------------------------------------------------------------------------------
def backup(database_url: str, dest: Path) -> Summary:
    url = make_url(database_url)
    _refuse_existing(dest)
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), part)
            kind = "sqlite"
        elif url.get_backend_name() == "postgresql":
            _run(_pg_tool("pg_dump"), ["--format=custom", "--no-owner", f"--file={part}"], url)
            kind = "postgresql"
        else:
            raise InvalidInput.field(
                "database_url",
                f"backups are made of SQLite and PostgreSQL databases, not {url.drivername}",
                f"säkerhetskopior görs av SQLite- och PostgreSQL-databaser, inte {url.drivername}",
            )
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    revision, events, _ = _contents(database_url)
    return Summary(str(dest), kind, dest.stat().st_size, _sha256(dest), revision, events)


def _sqlite_backup(source: Path, part: Path) -> None:
    if not source.is_file():
        raise NotReady(f"there is no database at {source}", f"det finns ingen databas på {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(part)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            ok = dst.execute("PRAGMA integrity_check").fetchone()
        finally:
            dst.close()
    finally:
        src.close()
    if ok is None or ok[0] != "ok":
        raise SamflowError(
            f"the copy failed SQLite's integrity check ({ok}); nothing was written",
            f"kopian klarade inte SQLites integritetskontroll ({ok}); inget skrevs",
        )


# --- restore ------------------------------------------------------------------------------
def restore(source: Path, database_url: str) -> Summary:
    """Restore a backup into an empty database (refused otherwise, before anything is
    written)."""
    if not source.is_file():
        raise InvalidInput.field("file", f"{source} does not exist", f"{source} finns inte")
    with source.open("rb") as f:
        head = f.read(16)
    url = make_url(database_url)
    backend = url.get_backend_name()
    kind = "sqlite" if head == SQLITE_MAGIC else "postgresql" if head[:5] == PG_MAGIC else ""
    if not kind:
        raise InvalidInput.field(
            "file",
            f"{source} is not a samflow backup (neither a SQLite file nor a pg_dump archive)",
            f"{source} är ingen säkerhetskopia från samflow (varken en SQLite-fil eller ett "
            "pg_dump-arkiv)",
        )
    if kind != backend:
        raise InvalidInput.field(
            "file",
            f"{source} is a {kind} backup; it cannot be restored into a {backend} database",
            f"{source} är en säkerhetskopia av {kind}; den kan inte återställas i en "
            f"{backend}-databas",
        )
    if kind == "sqlite":
        _sqlite_restore(source, _sqlite_path(url))
    else:
        _refuse_nonempty(database_url)
        _run(
            _pg_tool("pg_restore"),
            ["--no-owner", "--single-transaction", "--exit-on-error", f"--dbname={_db(url)}"],
            url,
            str(source),
        )
    revision, events, _ = _contents(database_url)
    return Summary(
        database_url_safe(url), kind, source.stat().st_size, _sha256(source), revision, events
    )


def _refuse_nonempty(database_url: str) -> None:
    _, _, tables = _contents(database_url)
    if tables:
        raise InvalidInput.field(
            "database_url",
            f"the database to restore into already has {tables} tables; a restore goes into "
            "an empty database only (create a new one)",
            f"databasen att återställa i har redan {tables} tabeller; en återställning görs "
            "bara i en tom databas (skapa en ny)",
        )


def _sqlite_restore(source: Path, target: Path) -> None:
    if target.exists() and target.stat().st_size > 0:
        raise InvalidInput.field(
            "database_url",
            f"{target} exists already; a restore goes into a new file only (move the old one "
            "away first, with the app stopped)",
            f"{target} finns redan; en återställning görs bara till en ny fil (flytta undan "
            "den gamla först, med appen stoppad)",
        )
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()
            if ok is None or ok[0] != "ok":
                raise InvalidInput.field(
                    "file",
                    f"{source} fails SQLite's integrity check ({ok})",
                    f"{source} klarar inte SQLites integritetskontroll ({ok})",
                )
            dst = sqlite3.connect(part)
            try:
                src.backup(dst, pages=PAGES_PER_STEP)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


# --- PostgreSQL tools ---------------------------------------------------------------------
def _pg_tool(name: str) -> str:
    """The newest installed PostgreSQL client tool (pg_dump must not be older than the
    server; Debian keeps each major version under /usr/lib/postgresql/N/bin)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versions:
        return str(versions[-1])
    found = shutil.which(name)
    if found is None:
        raise NotReady(
            f"{name} is not installed (apt-get install postgresql-client)",
            f"{name} är inte installerat (apt-get install postgresql-client)",
        )
    return found


def _db(url: URL) -> str:
    return url.database or "postgres"


def _env(url: URL) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env |= {"PGDATABASE": _db(url)}
    if url.host:
        env["PGHOST"] = url.host
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.username:
        env["PGUSER"] = url.username
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return env


def _run(tool: str, options: list[str], url: URL, *more: str) -> None:
    done = subprocess.run(
        [tool, *options, *more], env=_env(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        detail = said[-1] if said else f"exit status {done.returncode}"
        raise SamflowError(
            f"{Path(tool).name} failed: {detail}", f"{Path(tool).name} misslyckades: {detail}"
        )


def database_url_safe(url: URL) -> str:
    """The URL without its password, for messages."""
    return url.render_as_string(hide_password=True)
