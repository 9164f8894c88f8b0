"""The sign-in lookup every web request makes: an API token, a browser session.

Times ``tokens.find_token`` and ``signin.find_session`` (a prepared Core read on a pooled
connection, issue 14 part 6) against the ORM select they replaced (``select(ApiToken,
Person)`` through a Session, kept here as the reference), interleaved in one run on the
same database; prints CPU per lookup, the machine's load before and after, and the ratio.
Then revokes the token and ends the session and checks the next lookup refuses both.
"""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy import select

from bench.common import build_org, fresh_app, machine, parser
from engine.accounts import signin, tokens
from engine.context import Actor, App
from engine.db.models import Person
from engine.db.models.people.accounts import ApiToken, WebSession
from engine.domain.errors import NotAuthenticated


def _orm_token(app: App, secret: str) -> Any:
    with app.read() as s:
        return s.execute(
            select(ApiToken, Person)
            .join(Person, Person.id == ApiToken.person_id)
            .where(ApiToken.token_hash == signin.digest(secret))
        ).first()


def _orm_session(app: App, secret: str) -> Any:
    with app.read() as s:
        return s.execute(
            select(WebSession, Person)
            .join(Person, Person.id == WebSession.person_id)
            .where(WebSession.token_hash == signin.digest(secret))
        ).first()


def _cpu_per_call(fn: Any, n: int) -> float:
    t = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t) / n


def measure(db: str | None = None, n: int = 3000, rounds: int = 5) -> dict[str, Any]:
    app = fresh_app(db)
    build_org(app, 30)
    email = "dir@bench.se"
    signin.set_password(app, Actor.system("bench"), email, "a long bench password 1")
    secret, view = tokens.create_token(app, Actor.system("bench"), email)
    session = signin.sign_in(app, email, "a long bench password 1")
    load_before = os.getloadavg()[0]
    cases = {
        "token": lambda: tokens.find_token(app, secret),
        "token_orm": lambda: _orm_token(app, secret),
        "session": lambda: signin.find_session(app, session.token),
        "session_orm": lambda: _orm_session(app, session.token),
    }
    best = dict.fromkeys(cases, 1000000000.0)
    for _ in range(rounds):  # interleaved: the load falls on all alike
        for k, fn in cases.items():
            best[k] = min(best[k], _cpu_per_call(fn, n // rounds))
    load_after = os.getloadavg()[0]
    tokens.revoke_token(app, Actor.system("bench"), view.id)
    signin.sign_out(app, session.token)
    refused = 0
    for fn in (cases["token"], cases["session"]):
        try:
            fn()
        except NotAuthenticated:
            refused += 1
    out = {f"{k}_us": v * 1e6 for k, v in best.items()}
    out.update(
        token_ratio=best["token_orm"] / best["token"],
        session_ratio=best["session_orm"] / best["session"],
        refused_after_revoke=refused == 2,
        load_before=round(load_before, 2),
        load_after=round(load_after, 2),
    )
    print(
        f"token lookup {out['token_us']:.0f} µs CPU (ORM select {out['token_orm_us']:.0f} µs, "
        f"{out['token_ratio']:.1f}×); session lookup {out['session_us']:.0f} µs "
        f"(ORM {out['session_orm_us']:.0f} µs, {out['session_ratio']:.1f}×); "
        f"refused after revoke/sign-out: {out['refused_after_revoke']}; "
        f"load {out['load_before']} -> {out['load_after']}  [{app.db.dialect}, {machine()}]"
    )
    return out


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--n", type=int, default=3000)
    args = p.parse_args()
    measure(args.db, args.n)


if __name__ == "__main__":
    main()
