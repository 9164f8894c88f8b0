"""What the evidence, inspection, audit and report pages offer a person: the units they
oversee (for the unit choosers) and whether those pages belong in their navigation.

Offering only: the use cases decide (``access.require_oversight``, ``require_admin``), and
a unit typed in by hand is judged the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import OrgUnit
from engine.domain.clock import local_date
from engine.domain.org import OrgSnapshot
from engine.org import access
from engine.org.visibility import scope_of

#: At most this many units are offered in a chooser (the rest can be typed in).
MAX_CHOICES = 500


@dataclass(frozen=True)
class Links:
    admin: bool  # HR or director somewhere: starting the year, imports, inspections
    oversees: bool  # sees some unit's evidence, audit log and reports


@dataclass(frozen=True)
class UnitChoice:
    code: str
    name: str
    level: str
    depth: int  # below the person's highest unit, for indenting the list


def links(app: App, actor: Actor) -> Links:
    with app.read() as s:
        scope = scope_of(s, actor, app)
    return Links(scope.is_admin, bool(scope.roots))


def unit_choices(
    app: App, actor: Actor, *, admin_only: bool = False, limit: int = MAX_CHOICES
) -> list[UnitChoice]:
    """The units the person oversees (or administers), in tree order, top first."""
    day = local_date(app.clock.now())
    with app.read() as s:
        scope = scope_of(s, actor, app)
        org = queries.org_snapshot(s, day)
        roots = scope.admin_roots if admin_only else scope.roots
        wanted: list[tuple[int, int]] = []
        for top in org.subtree(None):
            if top in roots and not any(a in roots for a in org.ancestors(top)):
                wanted += [(u, _depth(org, u, top)) for u in org.subtree(top)]
        if not admin_only:
            wanted = [(u, d) for u, d in wanted if access.may_oversee(scope.auth, org, u)]
        wanted = wanted[:limit]
        rows = {
            i: (c, n, lv)
            for i, c, n, lv in s.execute(
                select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.level).where(
                    OrgUnit.id.in_([u for u, _ in wanted])
                )
            )
        }
    return [UnitChoice(*rows[u], d) for u, d in wanted if u in rows]


def _depth(org: OrgSnapshot, unit: int, top: int) -> int:
    for depth, a in enumerate(org.ancestors(unit), start=1):
        if a == top:
            return depth
    return 0
