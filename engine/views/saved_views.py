"""Saved views of the inbox: a name and the inbox's query (sort, group, filters), kept on
the server; the owner's own, or shared with everyone who holds a role at one unit (the
owner must hold a role there). Saving and removing are audited in the ``views`` chain;
a removed view is marked, never deleted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import Connection, bindparam, or_, select

from engine.context import Actor, App, Tx
from engine.db import queries, reads
from engine.db.models import OrgUnit
from engine.db.models.workflow.inbox import SavedView
from engine.db.reads import Authority
from engine.db.reads.statements import ReadCompiled
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput, NotFound

VIEWS_CHAIN = "views"
MAX_NAME = 80
MAX_VIEWS = 50  # per person, own ones
#: The inbox's query parameters and what each may hold.
SORTS = ("due", "cycle", "unit", "kind")
GROUPS = ("", "deadline", "cycle", "unit", "kind")


@dataclass(frozen=True)
class ViewRow:
    id: int
    name: str
    query: str
    owner_id: int
    owner_name: str
    shared_unit_id: int | None
    shared_unit_name: str


def normalise(params: Mapping[str, str]) -> str:
    """The inbox's query from request parameters: known keys only, checked values, in a
    fixed order (so a saved view is the same string however it was typed)."""
    out: list[tuple[str, str]] = []
    sort = params.get("sort", "") or "due"
    if sort not in SORTS:
        raise InvalidInput.field("sort", f"sort is one of {', '.join(SORTS)}", "okänd sortering")
    group = params.get("group", "")
    if group not in GROUPS:
        raise InvalidInput.field("group", "unknown grouping", "okänd gruppering")
    if sort != "due":
        out.append(("sort", sort))
    if group:
        out.append(("group", group))
    for flag in ("overdue", "week"):
        if params.get(flag):
            out.append((flag, "1"))
    for key in ("stage", "kind"):
        value = params.get(key, "")
        if value:
            if len(value) > 64 or not all(c.isalnum() or c in "_-" for c in value):
                raise InvalidInput.field(key, f"{key} is not a known key", "okänd nyckel")
            out.append((key, value))
    unit = params.get("unit", "")
    if unit:
        if not unit.isdigit() or len(unit) > 12:
            raise InvalidInput.field("unit", "unit is a number", "enheten anges med ett nummer")
        out.append(("unit", unit))
    return urlencode(out)


def as_params(query: str) -> dict[str, str]:
    return dict(parse_qsl(query))


def visible(app: App, actor: Actor) -> list[ViewRow]:
    """The person's own views and those shared with a unit where they hold a role."""
    return visible_and_units(app, actor)[0]


def visible_and_units(app: App, actor: Actor) -> tuple[list[ViewRow], list[tuple[int, str]]]:
    assert actor.person_id is not None
    with app.read_core() as conn:
        return read(conn, reads.authority(conn, actor.person_id, local_date(app.clock.now())))


# Built once (the inbox page reads them on every request); only the parameters change.
_VIEWS = (
    select(
        SavedView.id,
        SavedView.name,
        SavedView.query,
        SavedView.owner_id,
        SavedView.shared_unit_id,
    )
    .where(
        SavedView.removed_at.is_(None),
        or_(
            SavedView.owner_id == bindparam("me"),
            SavedView.shared_unit_id.in_(bindparam("units", expanding=True)),
        ),
    )
    .order_by(SavedView.name, SavedView.id)
)
_UNIT_NAMES = select(OrgUnit.id, OrgUnit.name).where(
    OrgUnit.id.in_(bindparam("ids", expanding=True))
)


#: The two statements compiled once per dialect (and length of their IN lists) and sent
#: straight to the driver, as ``engine.db.reads`` sends the inbox's own reads.
_COMPILED: dict[tuple[str, str], ReadCompiled] = {}


def _rows(conn: Connection, name: str, stmt: Any, values: dict[str, Any]) -> list[Any]:
    key = (name, conn.dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = ReadCompiled(stmt, conn.dialect)
    return compiled.rows(conn, values)


def read(conn: Connection, auth: Authority) -> tuple[list[ViewRow], list[tuple[int, str]]]:
    """The views the person sees, and the units they may share a view with (id, name)."""
    units = sorted({a.unit_id for a in auth.addresses})
    rows = _rows(conn, "views", _VIEWS, {"me": auth.person_id, "units": units})
    shared = {r.shared_unit_id for r in rows if r.shared_unit_id}
    wanted = sorted({*units, *shared})
    names = dict(_rows(conn, "unit_names", _UNIT_NAMES, {"ids": wanted})) if wanted else {}
    owners = reads.person_names(conn, {r.owner_id for r in rows}) if rows else {}
    shareable = sorted(((u, str(names.get(u, ""))) for u in units), key=lambda u: u[1])
    return [
        ViewRow(
            r.id,
            r.name,
            r.query,
            r.owner_id,
            owners.get(r.owner_id, ("", ""))[0],
            r.shared_unit_id,
            str(names.get(r.shared_unit_id, "")) if r.shared_unit_id else "",
        )
        for r in rows
    ], shareable


def save(
    app: App, actor: Actor, name: str, params: Mapping[str, str], shared_unit_id: int | None
) -> int:
    title = (name or "").strip()
    if not title:
        raise InvalidInput.field("name", "give the view a name", "ge vyn ett namn")
    if len(title) > MAX_NAME:
        raise InvalidInput.field(
            "name",
            f"a name is at most {MAX_NAME} characters",
            f"ett namn är högst {MAX_NAME} tecken",
        )
    query = normalise(params)

    def work(tx: Tx) -> int:
        assert actor.person_id is not None
        if shared_unit_id is not None:
            auth = queries.authority(tx.session, actor.person_id, local_date(tx.now))
            if shared_unit_id not in {a.unit_id for a in auth.addresses}:
                raise InvalidInput.field(
                    "unit",
                    "a view is shared only with a unit where you hold a role",
                    "en vy delas bara med en enhet där du har en roll",
                )
        own = tx.session.scalars(
            select(SavedView.id).where(
                SavedView.owner_id == actor.person_id, SavedView.removed_at.is_(None)
            )
        ).all()
        if len(own) >= MAX_VIEWS:
            raise InvalidInput.field(
                "name",
                f"at most {MAX_VIEWS} saved views; remove one first",
                f"högst {MAX_VIEWS} sparade vyer; ta bort en först",
            )
        row = SavedView(
            owner_id=actor.person_id,
            name=title,
            query=query,
            shared_unit_id=shared_unit_id,
            created_at=tx.now,
        )
        tx.session.add(row)
        tx.session.flush()
        tx.record(
            VIEWS_CHAIN,
            "view.saved",
            "saved_view",
            row.id,
            actor,
            unit_id=shared_unit_id,
            data={"name": title, "query": query, "shared_unit": shared_unit_id},
        )
        return row.id

    return app.run(work)


def remove(app: App, actor: Actor, view_id: int) -> None:
    """The owner removes a view (NotFound for anyone else, as for an id that does not
    exist)."""

    def work(tx: Tx) -> None:
        row = tx.session.get(SavedView, view_id)
        if row is None or row.owner_id != actor.person_id or row.removed_at is not None:
            raise NotFound("saved_view", view_id)
        row.removed_at = tx.now
        tx.record(
            VIEWS_CHAIN,
            "view.removed",
            "saved_view",
            row.id,
            actor,
            unit_id=row.shared_unit_id,
            data={"name": row.name},
        )

    app.run(work)
