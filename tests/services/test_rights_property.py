"""A property of administrative rights (issue 8): no sequence of administrative actions by
one person lets them see a unit they could not see before, unless someone above them
granted it. Random imports (renames, moves, new units, grants, people left out), held
imports confirmed, substitutes set and ended, by one of several people, on SQLite."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.context import App
from engine.db import queries
from engine.domain.clock import FrozenClock, local_date
from engine.domain.errors import SamflowError
from engine.org import admin as org
from engine.org import pending as org_pending
from engine.org import visibility
from tests.conftest import START, make_app
from tests.factories import Org
from tests.rights_org import PEOPLE, SYSTEM, UNITS, build, renamed, without

CODES = ["ADM", "DEP", "U1", "U2", "DEP2", "U3"]
EMAILS = [
    "dir@x.se", "hr@x.se", "hr2@x.se", "hso@x.se", "dep@x.se", "dir1@x.se", "m1@x.se",
    "so1@x.se", "emp@x.se", "m2@x.se", "so2@x.se", "dep2@x.se", "m3@x.se", "so3@x.se",
]  # fmt: skip
NAMES = {line.split(",")[0]: line.split(",")[1] for line in PEOPLE.splitlines()[1:] if line.strip()}
ATTACKERS = ["dir1@x.se", "dep@x.se", "m1@x.se", "emp@x.se", "so1@x.se", "dep2@x.se"]
ROLES = ["director", "hr", "manager", "deputy", "safety_rep", "chief_safety_rep", "employee"]

code = st.sampled_from(CODES)
email = st.one_of(st.just("ME"), st.sampled_from(EMAILS))  # "ME": the person acting
action = st.one_of(
    st.tuples(st.just("rename"), code),
    st.tuples(st.just("move"), code, code),
    st.tuples(st.just("new_unit"), code),
    st.tuples(st.just("grant"), email, st.sampled_from(ROLES), code),
    st.tuples(st.just("drop"), st.lists(email, min_size=1, max_size=5)),
    st.tuples(st.just("substitute"), email, email),
    st.tuples(st.just("end"), st.integers(1, 4)),
    st.tuples(st.just("confirm")),
    st.tuples(st.just("granted_from_above"), code),
)


def sees(app: App, o: Org, who: str) -> set[int]:
    with app.read() as s:
        scope = visibility.scope_of(s, o.actor(who), app)
        tree = queries.org_snapshot(s, local_date(app.clock.now()))
        return {u for r in scope.roots if r in tree.parents for u in tree.subtree(r)}


def act(app: App, o: Org, who: str, step: tuple[Any, ...]) -> None:
    me = o.actor(who)
    step = tuple(who if x == "ME" else x for x in step)
    if any(isinstance(x, list) for x in step):
        step = (step[0], [who if x == "ME" else x for x in step[1]])
    kind = step[0]
    if kind == "rename":
        org.import_org(app, me, renamed(UNITS, step[1], "Nytt namn"), PEOPLE)
    elif kind == "move":
        moved = "".join(
            ",".join([c[0], c[1], step[2], *c[3:]]) if (c := ln.split(","))[0] == step[1] else ln
            for ln in UNITS.splitlines(True)
        )
        org.import_org(app, me, moved, PEOPLE)
    elif kind == "new_unit":
        org.import_org(app, me, UNITS + f"N{uuid.uuid4().hex[:6]},Ny,{step[1]},unit,1\n", PEOPLE)
    elif kind == "grant":
        row = f"{step[1]},{NAMES[step[1]]},{step[2]},{step[3]},2027-01-01,\n"
        org.import_org(app, me, UNITS, PEOPLE + row)
    elif kind == "drop":
        org.import_org(app, me, UNITS, without(PEOPLE, *step[1]))
    elif kind == "substitute":
        org.set_substitute(app, me, step[1], step[2], date(2027, 1, 1), date(2027, 2, 1))
    elif kind == "end":
        org.end_substitute(app, me, step[1])
    elif kind == "confirm":
        for p in org_pending.pending(app, me):
            org.confirm_import(app, me, p.id, p.content_hash)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """One organisation built once; each example starts from a copy of it."""
    base = tmp_path_factory.mktemp("rights") / "base.db"
    shutil.copy(sqlite_template, base)
    app = make_app(f"sqlite:///{base}", FrozenClock(START))
    build(app)
    app.db.dispose()
    return base


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(who=st.sampled_from(ATTACKERS), steps=st.lists(action, min_size=1, max_size=6))
# the probe's own attacks, always tried
@example(who="dir1@x.se", steps=[("grant", "ME", "director", "ADM"), ("confirm",)])
@example(who="dir1@x.se", steps=[("substitute", "ME", "dir@x.se")])
@example(who="dir1@x.se", steps=[("move", "U3", "DEP"), ("drop", ["dir@x.se", "hr@x.se"])])
@example(who="dep@x.se", steps=[("substitute", "ME", "dep2@x.se"), ("end", 1)])
def test_no_admin_action_widens_what_one_sees(
    worlds: Path, tmp_path_factory: pytest.TempPathFactory, who: str, steps: list[Any]
) -> None:
    path = tmp_path_factory.mktemp("example") / "samflow.db"
    shutil.copy(worlds, path)
    app = make_app(f"sqlite:///{path}", FrozenClock(START))
    try:
        o = build(app)  # the same files again: changes nothing, gives the unit ids
        allowed = sees(app, o, who)
        known = set(o.units.values())
        for step in steps:
            if step[0] == "granted_from_above":  # someone above grants: that may widen it
                row = f"{who},{NAMES[who]},manager,{step[1]},2027-01-01,\n"
                with contextlib.suppress(SamflowError):  # (already holds it)
                    org.import_org(app, SYSTEM, UNITS, PEOPLE + row)
                allowed |= sees(app, o, who)
                continue
            with contextlib.suppress(SamflowError):  # refused: fine, nothing may change
                act(app, o, who, step)
            now = sees(app, o, who)
            assert now & known <= allowed, f"{who} after {step} sees {sorted(now - allowed)}"
    finally:
        app.db.dispose()
