"""Asking for the annual start from a door (the web app): checked up front, then handed to
whatever runs long work (a thread, a Prefect worker) as a job whose progress the page shows.

The checks here are the ones a person should hear about at once, not minutes later from a
failed job: a sensible year, a known template, a known unit, and HR or director rights over
the units to be started.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.context import Actor, App
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import Cycle, OrgUnit, Person, RoleAssignment
from engine.db.models.duties.policy import TrainingRecord
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput, NotFound
from engine.domain.workflow.states import CycleStatus
from engine.domain.workflow.template import UNIT_YEAR, CycleTemplate
from engine.org.visibility import require_admin, scope_of, top_units
from engine.settings import Settings
from engine.workflow import cycles, templates
from engine.workflow.batch import jobs


def request_start(
    app: App, actor: Actor, year: int, template: str | None, root_code: str | None, runner: str
) -> int:
    """Check the request and record it as a ``start_year`` job; returns the job id."""
    if not 2000 <= year <= 2100:
        raise InvalidInput.field(
            "year", "year must be between 2000 and 2100", "året måste vara mellan 2000 och 2100"
        )
    key = (template or "").strip() or app.settings.default_template
    if key not in templates.packaged():
        raise InvalidInput.field("template", f"unknown template {key!r}", f"okänd mall {key!r}")
    code = (root_code or "").strip() or None
    with app.read() as s:
        scope = scope_of(s, actor, app)
        if code is not None:
            try:
                units = [queries.unit_by_code(s, code).id]
            except NotFound:
                raise InvalidInput.field(
                    "root", f"no unit has the code {code!r}", f"ingen enhet har koden {code!r}"
                ) from None
        else:
            units = top_units(s)
        require_admin(s, app, scope, units)
    params = {"year": year, "template": key, "root": code}
    return jobs.create(app, actor, "start_year", params, runner)


def unit_choices(app: App, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the units a person may start the year for (top levels first)."""
    with app.read() as s:
        scope = scope_of(s, actor, app)
        rows = s.execute(
            select(OrgUnit.code, OrgUnit.name)
            .where(OrgUnit.id.in_(sorted(scope.admin_roots)), OrgUnit.active.is_(True))
            .order_by(OrgUnit.name)
        )
        return [(c, n) for c, n in rows]


# --- the preview (a dry run): what "Starta" would do, before anyone confirms ---------------
@dataclass(frozen=True)
class PreviewUnit:
    unit_id: int
    code: str
    name: str
    #: The roles the template needs that nobody holds (a unit held back), else ().
    missing: tuple[str, ...] = ()
    #: The cycle the unit already has this year (a unit that is skipped), else None.
    cycle_id: int | None = None


@dataclass
class StartPreview:
    """What starting the year would do now: which units start, which are held back for a
    missing manager or safety representative (HR fixes those first), which already run."""

    year: int
    template: str
    root: str | None
    to_start: list[PreviewUnit] = field(default_factory=list)
    held_back: list[PreviewUnit] = field(default_factory=list)
    already: list[PreviewUnit] = field(default_factory=list)

    @property
    def units(self) -> int:
        return len(self.to_start) + len(self.held_back) + len(self.already)

    def lacking(self, role: str) -> list[PreviewUnit]:
        """The held-back units that lack this role (``manager``: no manager)."""
        return [u for u in self.held_back if role in u.missing]


def check_request(
    app: App, actor: Actor, year: int, template: str | None, root_code: str | None
) -> tuple[str, str | None]:
    """The checks of ``request_start`` (year, template, unit, rights), nothing recorded;
    returns the template key and the unit code (None: the whole organisation)."""
    if not 2000 <= year <= 2100:
        raise InvalidInput.field(
            "year", "year must be between 2000 and 2100", "året måste vara mellan 2000 och 2100"
        )
    key = (template or "").strip() or app.settings.default_template
    if key not in templates.packaged():
        raise InvalidInput.field("template", f"unknown template {key!r}", f"okänd mall {key!r}")
    if key not in year_templates():
        raise InvalidInput.field(
            "template",
            f"{key!r} is a case process (opened case by case), not a unit's year",
            f"{key!r} är en ärendeprocess (öppnas ärende för ärende), inte en enhets år",
        )
    code = (root_code or "").strip() or None
    with app.read() as s:
        scope = scope_of(s, actor, app)
        if code is not None:
            try:
                units = [queries.unit_by_code(s, code).id]
            except NotFound:
                raise InvalidInput.field(
                    "root", f"no unit has the code {code!r}", f"ingen enhet har koden {code!r}"
                ) from None
        else:
            units = top_units(s)
        require_admin(s, app, scope, units)
    return key, code


def year_templates() -> dict[str, CycleTemplate]:
    """The packaged templates a year starts (one cycle per unit and year), not the case
    processes (an incident, an inspection, a change) that open one case at a time."""
    out = {}
    for key, text in templates.packaged().items():
        parsed = templates.parse(text, key)
        if parsed.subject.kind == UNIT_YEAR:
            out[key] = parsed
    return out


def preview_start(
    app: App, actor: Actor, year: int, template: str | None, root_code: str | None
) -> StartPreview:
    """A dry run of starting the year: the same checks as asking for it, then the units it
    would start, hold back (and why) and skip, by name; nothing is written."""
    key, code = check_request(app, actor, year, template, root_code)
    plan = cycles.plan_start(app, year, key, code)
    out = StartPreview(year, plan.template_key, code)
    with app.read() as s:  # (the whole organisation's names: no IN list of thousands)
        units = {i: (c, n) for i, c, n in s.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name))}
        running = queries.pairs(
            s,
            select(Cycle.unit_id, Cycle.id).where(
                Cycle.year == year,
                Cycle.template_key == plan.template_key,
                Cycle.instance == "",
                Cycle.status != CycleStatus.CANCELLED.value,
            ),
        )
    out.to_start = sorted(
        (PreviewUnit(u, *units.get(u, ("", ""))) for u in plan.to_start), key=_by_name
    )
    out.already = sorted(
        (PreviewUnit(u, *units.get(u, ("", "")), cycle_id=running.get(u)) for u in plan.already),
        key=_by_name,
    )
    out.held_back = sorted(
        (PreviewUnit(g.unit_id, g.code, g.name, g.missing) for g in plan.gaps), key=_by_name
    )
    return out


def _by_name(u: PreviewUnit) -> tuple[str, str]:
    return (u.name.casefold(), u.code)


# --- what the year start lists for HR: managers lacking the required knowledge -------------
@dataclass(frozen=True)
class LackingKnowledge:
    """A manager (at a unit) with no valid training of a course their role requires
    (``settings.knowledge_required``; AFS 2023:1 on knowledge)."""

    person_id: int
    name: str
    email: str
    unit_code: str
    unit_name: str
    #: what they have that no longer counts (a lapsed course: key, valid until)
    lapsed: tuple[tuple[str, date | None], ...]


def lacking_knowledge(
    s: Session, settings: Settings, unit_ids: Iterable[int], day: date
) -> list[LackingKnowledge]:
    """The managers at these units on ``day`` without a valid record of any course the
    manager's role requires (set-based: two reads)."""
    units = sorted(set(unit_ids))
    courses = settings.knowledge_required.get("manager", [])
    if not units or not courses:
        return []
    held: list[Any] = []
    for batch in chunks(units):
        held += [
            tuple(r)
            for r in s.execute(
                select(
                    RoleAssignment.person_id,
                    RoleAssignment.unit_id,
                    Person.name,
                    Person.email,
                    OrgUnit.code,
                    OrgUnit.name,
                )
                .join(Person, Person.id == RoleAssignment.person_id)
                .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
                .where(
                    RoleAssignment.unit_id.in_(batch),
                    RoleAssignment.role == "manager",
                    RoleAssignment.valid_from <= day,
                    or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= day),
                    Person.active.is_(True),
                )
            )
        ]
    people = sorted({p for p, *_ in held})
    valid: set[int] = set()
    lapsed: dict[int, list[tuple[str, date | None]]] = {}
    for batch in chunks(people):
        for person, key, until in s.execute(
            select(TrainingRecord.person_id, TrainingRecord.course_key, TrainingRecord.valid_until)
            .where(TrainingRecord.person_id.in_(batch), TrainingRecord.course_key.in_(courses))
            .order_by(TrainingRecord.taken_on)
        ):
            if until is None or until >= day:
                valid.add(person)
            else:
                lapsed.setdefault(person, []).append((key, until))
    return sorted(
        (
            LackingKnowledge(p, name, email, code, uname, tuple(lapsed.get(p, [])))
            for p, _u, name, email, code, uname in held
            if p not in valid
        ),
        key=lambda x: (x.unit_code, x.name),
    )


def knowledge_gaps(app: App, actor: Actor) -> list[LackingKnowledge]:
    """For the year page: the managers lacking knowledge in the units the person
    administers (HR or director there); nobody else is shown any."""
    with app.read() as s:
        scope = scope_of(s, actor, app)
        if not scope.admin_roots:
            return []
        day = local_date(app.clock.now())
        org = queries.org_snapshot(s, day)
        units = {u for r in scope.admin_roots if r in org.parents for u in org.subtree(r)}
        return lacking_knowledge(s, app.settings, units, day)
