"""What the survey use cases share: who is the organisation's HR, the unit tree."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db.models import OrgUnit
from engine.domain.errors import NotPermitted
from engine.org.visibility import scope_of, top_units


def require_top_admin(s: Session, app: App, actor: Actor) -> None:
    """HR or a director at the top of the organisation (a survey or absence file covers
    it all, and a re-import replaces the figures of every unit)."""
    if actor.is_system:
        return
    scope = scope_of(s, actor, app)
    tops = top_units(s)
    if not tops or not all(t in scope.admin_roots for t in tops):
        raise NotPermitted(
            "only HR or a director at the top of the organisation may do this",
            "bara HR eller en direktör överst i organisationen får göra detta",
        )


@dataclass(frozen=True)
class Tree:
    """The active units: parent, code, name, level, headcount."""

    parents: dict[int, int | None]
    code: dict[int, str]
    name: dict[int, str]
    level: dict[int, str]
    headcount: dict[int, int]

    @property
    def by_code(self) -> dict[str, int]:
        return {c: u for u, c in self.code.items()}

    def depth(self, unit_id: int) -> int:
        d, p = 0, self.parents.get(unit_id)
        while p is not None and d < 100:
            d, p = d + 1, self.parents.get(p)
        return d


def tree(s: Session) -> Tree:
    rows = s.execute(
        select(
            OrgUnit.id, OrgUnit.parent_id, OrgUnit.code, OrgUnit.name, OrgUnit.level,
            OrgUnit.headcount,
        ).where(OrgUnit.active.is_(True))
    ).all()  # fmt: skip
    ids = {r[0] for r in rows}
    return Tree(
        {r[0]: (r[1] if r[1] in ids else None) for r in rows},
        {r[0]: r[2] for r in rows},
        {r[0]: r[3] for r in rows},
        {r[0]: r[4] for r in rows},
        {r[0]: r[5] or 0 for r in rows},
    )


def may_import(app: App, actor: Actor) -> bool:
    """Whether the person is the organisation's HR or director (what the pages offer)."""
    with app.read() as s:
        try:
            require_top_admin(s, app, actor)
        except NotPermitted:
            return False
    return True
