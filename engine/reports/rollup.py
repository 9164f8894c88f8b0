"""The annual follow-up rolls up (issue 12 §5): the units' follow-ups (January) into each
department (February) and the administration (March), each level its own case
(``followup-rollup.yaml``) with a task for the level's head and a summary drawn from the
level below. A level closes only when every sub-unit has followed up, or HR has recorded
a waiver with its reason (gate ``sub_units_followed_up``, audited). The administration's
result goes to the committee as a *tjänsteskrivelse* (document ``committee_report``).

    rollup.start(app, hr, 2027, root_code="ADM")       # one level per unit with units below
    rollup.waive(app, hr, level_case_id, "U7", "Enheten lades ned i oktober")
    rollup.levels(app, hr, 2027, root_code="ADM")      # every level's summary, one pass
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Tx
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import Task
from engine.db.models.followup.rollup import FollowupWaiver
from engine.db.models.workflow.process import CaseItem, ProcessCase
from engine.domain.clock import local_date
from engine.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted, Unmet
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address
from engine.domain.workflow.states import Role, TaskStatus
from engine.domain.workflow.template import SubjectDef
from engine.reports import followup
from engine.reports import scope as report_scope
from engine.reports.followup import GroupRow
from engine.reports.scope import CycleFacts
from engine.workflow import cycles, open_points
from engine.workflow.process import cases as processes
from engine.workflow.process.views import CaseView, case_data, load_case

KIND = "followup_level"
SUMMARY_TASK = "level_summary"
EVALUATION_FORM = "annual_evaluation"
MAX_REASON = 2000


def due_dates(year: int) -> dict[str, date]:
    """The årshjul: departments by the end of February, the administration by the end of
    March, of the year after the one followed up."""
    nxt = year + 1
    feb_end = date(nxt, 3, 1).toordinal() - 1
    return {"department": date.fromordinal(feb_end), "administration": date(nxt, 3, 31)}


@dataclass(frozen=True)
class Started:
    opened: int
    skipped: int  # already had their level for the year
    cases: list[int]
    #: units whose level could not open (nobody to hold its task: a gap HR must fix), with
    #: the reason in Swedish and English; the other levels are opened all the same
    refused: list[dict[str, str]] = field(default_factory=list)


def start(app: App, actor: Actor, year: int, root_code: str | None = None) -> Started:
    """Open a level for the year at every unit with units below it (the root: the
    administration; the others: departments). HR or a director over the root; a unit that
    already has its level for the year is left as it is."""
    day = local_date(app.clock.now())
    with app.read() as s:
        org = queries.org_snapshot(s, day)
        tops = org.children(None)
        root = queries.unit_by_code(s, root_code).id if root_code else (tops[0] if tops else None)
        if root is None:
            raise NotFound("unit", root_code or "")
        access_check(s, actor, root, org, day)
        inner = [u for u in org.subtree(root) if org.children(u)]
        have = open_points.level_cases(s, inner, year)
        codes = queries.pairs(s, select_codes(inner))
    due = due_dates(year)
    opened, refused = [], []
    for u in inner:
        if u in have:
            continue
        level = "administration" if u == root else "department"
        data = {"unit": codes[u], "year": year, "level": level, "due_on": due[level].isoformat()}
        try:
            out = processes.open_case(app, actor, KIND, processes.parse_subject(KIND, data))
        except InvalidInput as exc:  # one level's gap does not hold up the others
            refused.append(
                {"unit": codes[u], "message_sv": exc.message("sv"), "message_en": exc.message("en")}
            )
            continue
        opened.append(out.case_id)
    return Started(len(opened), len(have), opened, refused)


def select_codes(ids: Sequence[int]) -> Any:
    from engine.db.models import OrgUnit

    return select(OrgUnit.id, OrgUnit.code).where(OrgUnit.id.in_(list(ids)))


def access_check(s: Session, actor: Actor, unit_id: int, org: OrgSnapshot, day: date) -> None:
    from engine.org import access

    access.require_oversight(s, actor, [unit_id], org, day)


def _require_hr(s: Session, actor: Actor, unit_id: int, org: OrgSnapshot, day: date) -> None:
    """A waiver is HR's: HR at the level's unit or above it."""
    if actor.person_id is None:
        return
    auth = queries.authority(s, actor.person_id, day)
    for u in (unit_id, *org.ancestors(unit_id)):
        if auth.on_behalf_for_address(Address(Role.HR, u))[0]:
            return
    raise NotPermitted(
        "only HR over the level may record a waiver", "bara HR över nivån får ange ett undantag"
    )


def waive(app: App, actor: Actor, case_id: int, unit_code: str, reason: str) -> None:
    """HR lets the level close without a sub-unit's follow-up, saying why (in the level's
    audit chain, never deleted). Only a sub-unit that is missing can be waived."""
    text = reason.strip()
    if not text:
        raise InvalidInput.field("reason", "give the reason", "ange skälet")
    if len(text) > MAX_REASON:
        raise InvalidInput.field(
            "reason", f"at most {MAX_REASON} characters", f"högst {MAX_REASON} tecken"
        )

    def work(tx: Tx) -> None:
        s = tx.session
        day = local_date(tx.now)
        case = load_case(s, case_id, KIND)
        processes.require_visible(s, actor, case, day)  # 404 for what one may not see
        org = queries.org_snapshot(s, day)
        _require_hr(s, actor, case.unit_id, org, day)
        children = {c.code: c for c in open_points.level_children(s, case, org)}
        child = children.get(unit_code.strip())
        if child is None:
            raise InvalidInput.field(
                "unit", "not a sub-unit of the level", "inte en underenhet till nivån"
            )
        if child.state != "missing":
            raise Conflict(
                "the sub-unit is not missing (followed up, or waived already)",
                "underenheten saknas inte (uppföljd, eller redan undantagen)",
            )
        s.add(
            FollowupWaiver(
                case_id=case.id,
                unit_id=child.unit_id,
                reason=text,
                created_by=actor.person_id,
                created_at=tx.now,
            )
        )
        tx.record(
            cycles.chain(case.cycle_id or 0),
            "followup_level.waiver",
            "followup_level",
            case.id,
            actor,
            unit_id=case.unit_id,
            data={"unit": child.code, "reason": text},
        )

    app.run(work)


# --- the summary of a level, drawn from the level below ----------------------------------
@dataclass(frozen=True)
class ChildSummary:
    code: str
    name: str
    leaf: bool
    state: str  # done | missing | waived
    waiver: str
    figures: GroupRow
    assessment: str  # the unit's own follow-up findings, or the level's summary below


@dataclass(frozen=True)
class LevelSummary:
    case_id: int
    code: str
    name: str
    level: str
    year: int
    due_on: date
    closed: bool
    children: list[ChildSummary]
    total: GroupRow
    assessment: str = ""
    proposals: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # done / missing / waived


@dataclass
class _Pool:
    """What every level's summary reads, loaded once for a whole tree (the bench's 3,000
    units: one pass, not one per level)."""

    org: OrgSnapshot
    day: date
    year: int
    facts: dict[int, CycleFacts]
    evaluations: dict[int, str]  # cycle -> the unit's own follow-up findings
    summaries: dict[int, dict[str, Any]]  # level case -> its head's summary form
    names: dict[int, tuple[str, str]]


def _pool(s: Session, org: OrgSnapshot, root: int, year: int, day: date, key: str) -> _Pool:
    units = org.subtree(root)
    facts = {f.unit_id: f for f in report_scope.cycle_facts(s, units, year, key)}
    evaluations: dict[int, str] = {}
    ids = [f.cycle_id for f in facts.values()]
    for batch in chunks(ids, 500):
        for cid, data in s.execute(
            select(Task.cycle_id, Task.data).where(
                Task.cycle_id.in_(batch),
                Task.form_key == EVALUATION_FORM,
                Task.status == TaskStatus.COMPLETED.value,
            )
        ):
            value = json.loads(data) if data else {}
            evaluations[cid] = str(value.get("findings", "")) if isinstance(value, dict) else ""
    return _Pool(org, day, year, facts, evaluations, {}, open_points._names(s, units))


def _summaries(s: Session, cases: Sequence[ProcessCase]) -> dict[int, dict[str, Any]]:
    by_cycle = {c.cycle_id: c.id for c in cases if c.cycle_id is not None}
    out: dict[int, dict[str, Any]] = {}
    for batch in chunks(list(by_cycle), 500):
        for cid, data in s.execute(
            select(Task.cycle_id, Task.data)
            .where(
                Task.cycle_id.in_(batch),
                Task.key == SUMMARY_TASK,
                Task.status == TaskStatus.COMPLETED.value,
            )
            .order_by(Task.id)
        ):
            out[by_cycle[cid]] = json.loads(data) if data else {}
    return out


def _figures(pool: _Pool, unit: int, code: str, name: str) -> GroupRow:
    units = pool.org.subtree(unit)
    mine = [pool.facts[u] for u in units if u in pool.facts]
    return followup._row(code, name, len(units), mine, pool.day)


def _level(
    s: Session,
    case: ProcessCase,
    pool: _Pool,
    below: Mapping[int, ProcessCase],
    closed: set[int],
    waived: Mapping[int, str],
) -> LevelSummary:
    data = case_data(case)
    kids = pool.org.children(case.unit_id)
    states = open_points.children_states(s, kids, pool.year, pool.org, waived)
    rows = []
    for c in states:
        lower = below.get(c.unit_id)
        if c.leaf:
            f = pool.facts.get(c.unit_id)
            said = pool.evaluations.get(f.cycle_id, "") if f is not None else ""
        else:
            said = str(pool.summaries.get(lower.id, {}).get("assessment", "")) if lower else ""
        rows.append(
            ChildSummary(
                c.code,
                c.name,
                c.leaf,
                c.state,
                c.waiver,
                _figures(pool, c.unit_id, c.code, c.name),
                said,
            )
        )
    code, name = pool.names.get(case.unit_id, ("", ""))
    own = pool.summaries.get(case.id, {})
    counts = {k: sum(1 for c in rows if c.state == k) for k in ("done", "missing", "waived")}
    return LevelSummary(
        case.id,
        code,
        name,
        str(data["level"]),
        int(data["year"]),
        date.fromisoformat(str(data["due_on"])),
        case.cycle_id in closed,
        rows,
        _figures(pool, case.unit_id, code, name),
        str(own.get("assessment", "")),
        str(own.get("proposals", "")),
        counts,
    )


def _all_waivers(s: Session, case_ids: Sequence[int]) -> dict[int, dict[int, str]]:
    out: dict[int, dict[int, str]] = {}
    for batch in chunks(list(case_ids), 500):
        for w in s.scalars(select(FollowupWaiver).where(FollowupWaiver.case_id.in_(batch))):
            out.setdefault(w.case_id, {})[w.unit_id] = w.reason
    return out


def summary_of(s: Session, case: ProcessCase, day: date, template_key: str) -> LevelSummary:
    """One level's summary (its task's page, its document)."""
    org = queries.org_snapshot(s, day)
    year = open_points.case_year(case)
    pool = _pool(s, org, case.unit_id, year, day, template_key)
    kids = [k for k in org.children(case.unit_id) if org.children(k)]
    below = open_points.level_cases(s, kids, year)
    pool.summaries = _summaries(s, [case, *below.values()])
    closed = open_points.closed_cycles(
        s, [c.cycle_id for c in [case, *below.values()] if c.cycle_id]
    )
    return _level(s, case, pool, below, closed, open_points.waivers(s, case.id))


def levels(app: App, actor: Actor, year: int, root_code: str | None = None) -> list[LevelSummary]:
    """Every level of the roll-up under the root for the year, each with its summary drawn
    from the level below, read in one pass (tree order: the root first)."""
    day = local_date(app.clock.now())
    with app.read() as s:
        org = queries.org_snapshot(s, day)
        tops = org.children(None)
        root = queries.unit_by_code(s, root_code).id if root_code else (tops[0] if tops else None)
        if root is None:
            return []
        access_check(s, actor, root, org, day)
        inner = [u for u in org.subtree(root) if org.children(u)]
        cases = open_points.level_cases(s, inner, year)
        pool = _pool(s, org, root, year, day, app.settings.default_template)
        pool.summaries = _summaries(s, list(cases.values()))
        closed = open_points.closed_cycles(s, [c.cycle_id for c in cases.values() if c.cycle_id])
        waived = _all_waivers(s, [c.id for c in cases.values()])
        return [
            _level(s, cases[u], pool, cases, closed, waived.get(cases[u].id, {}))
            for u in inner
            if u in cases
        ]


def level(app: App, actor: Actor, case_id: int) -> LevelSummary:
    """One level for its page (404 for whoever may not see its unit)."""
    now = app.clock.now()
    with app.read() as s:
        case = load_case(s, case_id, KIND)
        processes.require_visible(s, actor, case, local_date(now))
        return summary_of(s, case, local_date(now), app.settings.default_template)


# --- named hooks (engine.catalog) ----------------------------------------------------------
def context(s: Session, task: Task, case: ProcessCase, item: CaseItem | None) -> dict[str, Any]:
    """``followup_level.summary``: the level head's task shows the summary of the level
    below (each sub-unit's state and figures, and what it said) beside the form."""
    lv = summary_of(s, case, task.created_at.date(), "sam-annual")
    return {"rollup": lv}


def status(s: Session, view: CaseView, now: datetime) -> dict[str, Any]:
    """``followup_level.status``: how many sub-units have followed up, are missing, are
    waived."""
    org = queries.org_snapshot(s, local_date(now))
    kids = open_points.level_children(s, view.case, org)
    out: dict[str, Any] = {
        k: sum(1 for c in kids if c.state == k) for k in ("done", "missing", "waived")
    }
    out["level"] = view.data.get("level")
    out["year"] = view.data.get("year")
    return out


def closed_gate(s: Session, view: CaseView, subject: SubjectDef) -> list[Unmet]:
    """``followup_level.closed``: the report goes to the committee once the level is closed
    (every sub-unit followed up or waived, the head's summary done and signed off)."""
    if view.cycle is not None and view.cycle.status == "completed":
        return []
    return [
        Unmet(
            "followup_level.closed",
            "the level is not closed yet",
            "nivån är inte avslutad ännu",
        )
    ]


def committee_report(s: Session, view: CaseView, base: dict[str, Any]) -> dict[str, Any]:
    """``followup_level.committee_report``: the tjänsteskrivelse to the committee:
    sammanfattning (the figures and the head's assessment), beslutsunderlag (each sub-unit
    with its state, figures and what it said; the charts), förslag till beslut."""
    now = base["as_of"]
    lv = summary_of(s, view.case, local_date(now), "sam-annual")
    t = lv.total
    share = f"{t.on_time_share * 100:.0f} %" if t.on_time_share is not None else "–"
    summary_sv = (
        f"{lv.name} har följt upp det systematiska arbetsmiljöarbetet för {lv.year}. "
        f"Av {len(lv.children)} underenheter har {lv.counts['done']} följt upp"
        + (f", {lv.counts['waived']} med undantag" if lv.counts["waived"] else "")
        + (f" och {lv.counts['missing']} saknas" if lv.counts["missing"] else "")
        + f". I verksamheten finns {t.measures} åtgärder, {t.done} är klara och {t.overdue} "
        f"är försenade; {share} av dem som skulle vara klara blev klara i tid."
    )
    summary_en = (
        f"{lv.name} has followed up its systematic work environment management for "
        f"{lv.year}. Of {len(lv.children)} sub-units, {lv.counts['done']} followed up"
        + (f", {lv.counts['waived']} waived" if lv.counts["waived"] else "")
        + (f" and {lv.counts['missing']} are missing" if lv.counts["missing"] else "")
        + f". There are {t.measures} measures, {t.done} done and {t.overdue} overdue; "
        f"{share} of those due were done on time."
    )
    decision_sv = (
        f"Nämnden godkänner uppföljningen av det systematiska arbetsmiljöarbetet {lv.year} "
        "och lägger den till handlingarna."
    )
    decision_en = (
        f"The committee approves the follow-up of the systematic work environment "
        f"management {lv.year} and places it on file."
    )
    base["level"] = {
        "name": lv.name,
        "code": lv.code,
        "year": lv.year,
        "level": lv.level,
        "closed": lv.closed,
        "assessment": lv.assessment,
        "proposals": lv.proposals,
        "counts": lv.counts,
    }
    base["summary"] = {"sv": summary_sv, "en": summary_en}
    base["decision"] = {"sv": decision_sv, "en": decision_en}
    base["children"] = [
        {
            "code": c.code,
            "name": c.name,
            "state": c.state,
            "waiver": c.waiver,
            "assessment": c.assessment,
            "units": c.figures.units,
            "evaluated": c.figures.evaluated,
            "risk_share": c.figures.risk_share,
            "plan_share": c.figures.plan_share,
            "on_time_share": c.figures.on_time_share,
            "measures": c.figures.measures,
            "done": c.figures.done,
            "overdue": c.figures.overdue,
        }
        for c in lv.children
    ]
    base["charts"] = {
        "risk": [[c.name, c.figures.risk_share] for c in lv.children],
        "on_time": [[c.name, c.figures.on_time_share] for c in lv.children],
    }
    base["total"] = {
        "units": t.units,
        "evaluated": t.evaluated,
        "risk_share": t.risk_share,
        "plan_share": t.plan_share,
        "on_time_share": t.on_time_share,
        "measures": t.measures,
        "done": t.done,
        "overdue": t.overdue,
    }
    return base
