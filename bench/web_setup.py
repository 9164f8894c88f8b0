"""Build the database the web benchmarks run against: a 3,000-unit organisation with the
year started, through the real use cases (import, start, tokens, sign-ins).

    .venv/bin/python bench/web_setup.py [--units 3000] [--db sqlite:///bench/out/web.db]

Writes bench/out/web_clients.json: per leaf-unit manager an API token, their open task ids,
and for the first clients a browser session cookie.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

from engine.accounts import signin as accounts
from engine.accounts import tokens
from engine.context import Actor, App
from engine.db import migrate
from engine.db.models import Person, RoleAssignment
from engine.org import admin as org
from engine.settings import Settings
from engine.views import inbox as reports
from engine.workflow import cycles

OUT = Path(__file__).parent / "out"
PASSWORD = "bench-lösenord-1"


def organisation(n_units: int) -> tuple[str, str]:
    """ADM → 10 departments → sections → units; a manager per unit, a safety
    representative per section (units find theirs above them)."""
    units = ["code,name,parent_code,level,headcount", "ADM,Förvaltningen,,administration,8"]
    people = [
        "email,name,role,unit_code,valid_from,valid_to",
        "dir@b.se,Direktör,director,ADM,2020-01-01,",
        "hr@b.se,HR,hr,ADM,2020-01-01,",
        "hso@b.se,Huvudskyddsombud,chief_safety_rep,ADM,2020-01-01,",
    ]
    sections = max(1, (n_units - 11) // 10)
    made = 1
    for d in range(10):
        dep = f"D{d}"
        units.append(f"{dep},Avdelning {d},ADM,department,5")
        people.append(f"m.{dep}@b.se,Chef {dep},manager,{dep},2020-01-01,")
        made += 1
        for s in range(sections // 10):
            sec = f"{dep}-S{s}"
            units.append(f"{sec},Sektion {d}.{s},{dep},section,6")
            people.append(f"m.{sec}@b.se,Chef {sec},manager,{sec},2020-01-01,")
            people.append(f"so.{sec}@b.se,Skyddsombud {sec},safety_rep,{sec},2020-01-01,")
            made += 1
    leaf = 0
    sec_codes = [line.split(",")[0] for line in units if "-S" in line.split(",")[0]]
    while made < n_units:
        sec = sec_codes[leaf % len(sec_codes)]
        code = f"{sec}-U{leaf}"
        units.append(f"{code},Enhet {leaf},{sec},unit,{10 + leaf % 50}")
        people.append(f"m.{code}@b.se,Chef {code},manager,{code},2020-01-01,")
        made += 1
        leaf += 1
    return "\n".join(units) + "\n", "\n".join(people) + "\n"


def build(
    db: str, units: int = 3000, sessions: int = 50, *, quiet: bool = False
) -> dict[str, object]:
    """The database and its clients (what web_clients.json holds): ``{"db", "clients"}``."""
    say = (lambda *_: None) if quiet else print
    if db.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(db.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    migrate.upgrade(db)
    app = App.from_settings(Settings(database_url=db))
    try:
        t0 = time.perf_counter()
        units_csv, people_csv = organisation(units)
        org.import_org(app, Actor.system("bench"), units_csv, people_csv)
        say(f"imported {units} units in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        hr = Actor(_person(app, "hr@b.se"), "hr@b.se")
        report = cycles.start_cycles(app, hr, 2027)
        say(f"started {len(report.started)} cycles in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        clients = _clients(app, sessions)
        say(f"{len(clients)} managers with tokens in {time.perf_counter() - t0:.1f} s")
    finally:
        app.db.dispose()
    return {"db": db, "clients": clients}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--db", default=f"sqlite:///{OUT / 'web.db'}")
    ap.add_argument("--sessions", type=int, default=50, help="browser sessions to open")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    setup = build(args.db, args.units, args.sessions)
    (OUT / "web_clients.json").write_text(json.dumps(setup))


def _person(app: App, email: str) -> int:
    with app.read() as s:
        found = s.scalar(select(Person.id).where(Person.email == email))
    assert found is not None
    return found


def _clients(app: App, sessions: int) -> list[dict[str, object]]:
    """Unit managers: a token (already in use) and their open tasks each; a session for the
    first few."""
    app.cache["password_hasher"] = PasswordHasher()
    with app.read() as s:
        managers = list(
            s.execute(
                select(Person.id, Person.email)
                .join(RoleAssignment, RoleAssignment.person_id == Person.id)
                # e-mails are stored lower-case (PostgreSQL's LIKE is case-sensitive)
                .where(RoleAssignment.role == "manager", Person.email.like("m.d%-s%-u%"))
                .order_by(Person.id)
            )
        )
    out: list[dict[str, object]] = []
    for i, (person_id, email) in enumerate(managers):
        actor = Actor(person_id, email)
        token, _ = tokens.create_token(app, Actor.system("bench"), email, "bench")
        # An integration's token is in use already: note its first use now, as the server
        # would on the first request (afterwards it writes only every few minutes).
        tokens.touch_token(app, token)
        tasks = [
            [t.task_id, t.form_key]
            for t in reports.inbox(app, actor).items
            if t.form_key in ("survey_results", "absence_review")
        ]
        client: dict[str, object] = {"email": email, "token": token, "tasks": tasks}
        if i < sessions:
            accounts.set_password(app, Actor.system("bench"), email, PASSWORD)
            client["session"] = accounts.sign_in(app, email, PASSWORD).token
        out.append(client)
    return out


if __name__ == "__main__":
    main()
