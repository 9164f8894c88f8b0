"""Evidence packages made in the background. A whole administration's package as PDF
takes a while to lay out (500 units: tens of seconds), so the web app asks for it as a
job: the runner builds and lays it out, stores the file (``job_files``) and finishes the
job; the person's page follows the job and offers the download.

    job_id = evidence_jobs.request(app, actor, Scope("subtree", "ADM", 2027), "sv", "thread")
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.context import Actor, App
from engine.db import queries
from engine.domain.clock import local_date
from engine.domain.errors import InvalidInput
from engine.evidence.package import Scope
from engine.org import access
from engine.workflow.batch import jobs

KIND = "evidence"
LANGS = ("sv", "en")


@dataclass(frozen=True)
class Order:
    """What an evidence job makes."""

    scope: Scope
    lang: str
    reference: str = ""


#: The longest *diarienummer* printed on a package's cover.
MAX_REFERENCE = 60


def reference_of(value: str | None) -> str:
    """The *diarienummer* a package is ordered under: at most ``MAX_REFERENCE`` printable
    characters ("" for none)."""
    text = (value or "").strip()
    if len(text) > MAX_REFERENCE or any(not ch.isprintable() for ch in text):
        raise InvalidInput.field(
            "reference",
            f"a reference number of at most {MAX_REFERENCE} printable characters",
            f"ett diarienummer på högst {MAX_REFERENCE} skrivbara tecken",
        )
    return text


def check(app: App, actor: Actor, scope: Scope) -> int:
    """Refuse at once what building would refuse: a scope that is neither unit nor subtree
    (422), an unknown unit (404), a unit the person may not oversee (403). Returns the
    number of units in scope (a subtree's package above some size is made by a job)."""
    if scope.kind not in ("unit", "subtree"):
        raise InvalidInput.field("scope", "unit or subtree", "enhet eller delträd")
    day = local_date(app.clock.now())
    with app.read() as s:
        root = queries.unit_by_code(s, scope.code)
        org = queries.ancestry_snapshot(s, [root.id], day)
        access.require_oversight(s, actor, [root.id], org, day)
        if scope.kind == "unit":
            return 1
        return len(queries.org_snapshot(s, day).subtree(root.id))


def request(
    app: App, actor: Actor, scope: Scope, lang: str, runner: str, reference: str = ""
) -> int:
    """Queue the package of ``scope`` as PDF in ``lang`` (``reference``: the
    *diarienummer* for its cover); returns the job's id."""
    if lang not in LANGS:
        raise InvalidInput.field("lang", "sv or en", "sv eller en")
    reference = reference_of(reference)
    check(app, actor, scope)
    params = {"scope": scope.kind, "code": scope.code, "year": scope.year, "lang": lang}
    if reference:
        params["reference"] = reference
    return jobs.create(app, actor, KIND, params, runner)


def order_of(job: jobs.JobView) -> Order:
    p = job.params
    return Order(
        Scope(str(p["scope"]), str(p["code"]), int(p["year"])),
        str(p.get("lang", "sv")),
        str(p.get("reference", "")),
    )
