"""Shared by the PostgreSQL and Prefect benchmarks: a big organisation, throwaway
PostgreSQL databases, timing."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from engine.context import Actor, App
from engine.db.migrate import upgrade
from engine.db.session import Database, normalise_url
from engine.domain.clock import FrozenClock
from engine.org import admin as org
from engine.settings import Settings

START = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)


def pg_admin_url() -> str:
    url = os.environ.get("SAMFLOW_TEST_PG_URL")
    if not url:
        raise SystemExit('PostgreSQL needed: eval "$(tests/pg_start.sh)" first')
    return normalise_url(url)


def org_csv(units: int, per_department: int = 50) -> tuple[str, str]:
    """An administration, departments of ``per_department`` units, each unit with a manager
    and a safety representative; HR, a director and a chief safety rep at the top."""
    departments = (units + per_department - 1) // per_department
    u = ["code,name,parent_code,level,headcount", "ADM,Förvaltningen,,administration,5"]
    p = [
        "email,name,role,unit_code,valid_from,valid_to",
        "dir@x.se,Direktör,director,ADM,2020-01-01,",
        "hr@x.se,HR,hr,ADM,2020-01-01,",
        "hso@x.se,Huvudskyddsombud,chief_safety_rep,ADM,2020-01-01,",
    ]
    for d in range(departments):
        u.append(f"D{d},Avdelning {d},ADM,department,5")
        p.append(f"d{d}@x.se,Avdelningschef {d},manager,D{d},2020-01-01,")
    for i in range(units):
        u.append(f"U{i},Enhet {i},D{i // per_department},unit,20")
        p.append(f"m{i}@x.se,Chef {i},manager,U{i},2020-01-01,")
        p.append(f"s{i}@x.se,Skyddsombud {i},safety_rep,U{i},2020-01-01,")
    return "\n".join(u) + "\n", "\n".join(p) + "\n"


def app_for(url: str, clock: FrozenClock | None = None) -> App:
    return App(Database.connect(url), clock or FrozenClock(START), Settings(database_url=url))


@contextmanager
def pg_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database (migrated, or a copy of ``template``); dropped after."""
    admin_url = pg_admin_url()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        source = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{source}'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    if template is None:
        upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def import_org(app: App, units: int) -> None:
    units_csv, people_csv = org_csv(units)
    org.import_org(app, Actor.system("bench"), units_csv, people_csv)


@contextmanager
def timed(label: str, into: dict[str, float]) -> Iterator[None]:
    began = time.perf_counter()
    yield
    into[label] = time.perf_counter() - began
    print(f"  {label}: {into[label]:.2f} s", flush=True)


def load_average() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"
