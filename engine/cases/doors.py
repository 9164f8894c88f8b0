"""The names the doors (CLI, API, pages) use for any case process: open one from its
fields, the list, one case with where its measures went, its documents and later items.
Each is one call to the generic use cases of ``engine.workflow.process.cases``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.cases import plan_links
from engine.context import Actor, App
from engine.db import queries
from engine.db.models import OrgUnit
from engine.domain.clock import local_date
from engine.domain.errors import NotFound
from engine.org import access
from engine.workflow.process import cases as processes
from engine.workflow.process.cases import CaseDetail, Draft, Opened
from engine.workflow.process.views import CaseSummary

#: The kinds the generic doors offer (the inspection keeps its own doors too; a
#: risk-oriented review is opened by HR's confirmed selection, engine.surveys.roa, only).
KINDS = (
    "incident",
    "safety_request",
    "manager_risk",
    "inspection",
    "safety_round",
    "roa_review",
    "allocation_return",  # opened by a return (engine.alloc.returns), never registered here
)
NOT_REGISTERED_HERE = ("inspection", "roa_review", "allocation_return")


def _kind(kind: str) -> str:
    processes.subject_of(kind)  # NotFound for a kind no template has
    return kind


@dataclass(frozen=True)
class UnitOption:
    code: str
    name: str


def register_units(app: App, actor: Actor, kind: str, limit: int = 300) -> list[UnitOption]:
    """The units the person may open a case of this kind at (for the form's choice),
    in tree order; empty: the person may not register one at all."""
    sub = processes.subject_of(_kind(kind))
    if actor.person_id is None:
        return []
    day = local_date(app.clock.now())
    who = sub.registrants
    with app.read() as s:
        org = queries.org_snapshot(s, day)
        auth = queries.authority(s, actor.person_id, day)
        ok = [
            u
            for u in org.subtree(None)
            if access.may_register(auth, org, u, who.roles, line=who.scope == "line")[0]
        ][:limit]
        rows = {
            i: (c, n)
            for i, c, n in s.execute(
                select(OrgUnit.id, OrgUnit.code, OrgUnit.name).where(
                    OrgUnit.id.in_(ok), OrgUnit.active.is_(True)
                )
            )
        }
    return [UnitOption(*rows[u]) for u in ok if u in rows]


def register(app: App, actor: Actor, kind: str, data: Mapping[str, Any]) -> Opened:
    if kind in ("roa_review", "allocation_return"):  # HR's selection (surveys.roa), a return
        raise NotFound("process", kind)
    subject = processes.parse_subject(_kind(kind), data)
    return processes.open_case(app, actor, kind, subject)


def cases(
    app: App, actor: Actor, kind: str, *, unit_code: str | None = None, year: int | None = None
) -> list[CaseSummary]:
    return processes.list_cases(app, actor, _kind(kind), unit_code=unit_code, year=year)


def page(
    app: App,
    actor: Actor,
    kind: str,
    *,
    unit_code: str | None = None,
    year: int | None = None,
    after: str | None = None,
    limit: int = 50,
) -> processes.CasePage:
    """One page of the list (keyset by date and id) and how many there are in all."""
    return processes.page_cases(
        app, actor, _kind(kind), unit_code=unit_code, year=year, after=after, limit=limit
    )


@dataclass(frozen=True)
class Shown:
    detail: CaseDetail
    plan_links: list[dict[str, Any]]


def show(app: App, actor: Actor, kind: str, case_id: int) -> Shown:
    detail = processes.show_case(app, actor, _kind(kind), case_id)
    with app.read() as s:
        links = plan_links.links_of(s, case_id)
    return Shown(detail, links)


def document(app: App, actor: Actor, kind: str, case_id: int, key: str, *, record: bool) -> Draft:
    """A case's document: as it stands (``record`` False) or drawn up and recorded."""
    sub = processes.subject_of(_kind(kind))
    if key not in {d.key for d in sub.documents}:
        raise NotFound("document", key)
    if record:
        return processes.draw_up(app, actor, kind, case_id, key)
    return processes.preview_document(app, actor, kind, case_id, key)


def add(app: App, actor: Actor, kind: str, case_id: int, data: Mapping[str, Any]) -> Opened:
    """Later items on a case (an inspection's föreläggande or förbud)."""
    addition = processes.parse_addition(_kind(kind), case_id, data, app)
    return processes.add_items(app, actor, kind, case_id, addition)
