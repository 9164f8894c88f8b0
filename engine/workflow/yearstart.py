"""Asking for the annual start from a door (the web app): checked up front, then handed to
whatever runs long work (a thread, a Prefect worker) as a job whose progress the page shows.

The checks here are the ones a person should hear about at once, not minutes later from a
failed job: a sensible year, a known template, a known unit, and HR or director rights over
the units to be started.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import OrgUnit
from engine.domain.errors import InvalidInput, NotFound
from engine.org.visibility import require_admin, scope_of, top_units
from engine.workflow import jobs, templates


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
