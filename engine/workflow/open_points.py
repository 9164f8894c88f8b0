"""What the open-point gates judge (``gates.OPEN_POINT_GATES``), loaded from the tables
of the processes that name them: a safety round's earlier open findings, and the
sub-units of a level of the annual follow-up's roll-up.

    points = open_points.load(session, cycle, {"findings_reviewed"}, day)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.models import Cycle, OrgUnit, Stage
from engine.db.models.duties.rounds import RoundFinding, RoundFindingReview
from engine.db.models.followup.rollup import FollowupWaiver
from engine.db.models.workflow.process import ProcessCase
from engine.domain.org import OrgSnapshot
from engine.domain.workflow.gates import OpenPoint
from engine.domain.workflow.states import CycleStatus, StageStatus

ROUND = "safety_round"
LEVEL = "followup_level"
#: The annual cycle's stage whose sign-off is a unit's follow-up (sam-annual.yaml).
EVALUATION = "evaluation"


def load(
    s: Session, cycle: Cycle, names: Iterable[str], day: date
) -> Mapping[str, Sequence[OpenPoint]]:
    wanted = set(names)
    if not wanted:
        return {}
    case = s.scalar(select(ProcessCase).where(ProcessCase.cycle_id == cycle.id))
    out: dict[str, Sequence[OpenPoint]] = {}
    if case is None:
        return out
    if "findings_reviewed" in wanted and case.kind == ROUND:
        out["findings_reviewed"] = [
            OpenPoint(f"finding:{f.id}", label_sv, label_en)
            for f, label_sv, label_en in unreviewed(s, case)
        ]
    if "sub_units_followed_up" in wanted and case.kind == LEVEL:
        org = queries.org_snapshot(s, day)
        out["sub_units_followed_up"] = [
            OpenPoint(f"unit:{c.unit_id}", c.name, c.name)
            for c in level_children(s, case, org)
            if c.state == "missing"
        ]
    return out


# --- safety rounds ---------------------------------------------------------------------
def earlier_open(s: Session, case: ProcessCase) -> list[tuple[RoundFinding, ProcessCase]]:
    """The unit's findings from rounds before this one that are not resolved, oldest first."""
    rows = s.execute(
        select(RoundFinding, ProcessCase)
        .join(ProcessCase, ProcessCase.id == RoundFinding.case_id)
        .where(
            RoundFinding.unit_id == case.unit_id,
            RoundFinding.case_id < case.id,
            RoundFinding.status != "resolved",
        )
        .order_by(RoundFinding.case_id, RoundFinding.number)
    )
    return [(f, c) for f, c in rows]


def reviewed_in(s: Session, case_id: int) -> dict[int, RoundFindingReview]:
    return {
        r.finding_id: r
        for r in s.scalars(select(RoundFindingReview).where(RoundFindingReview.case_id == case_id))
    }


def finding_label(f: RoundFinding, on: date, lang: str) -> str:
    place = f" ({f.place})" if f.place else ""
    word = "skyddsronden" if lang == "sv" else "the safety round of"
    return f"{f.number}. {f.description}{place}, {word} {on.isoformat()}"


def unreviewed(s: Session, case: ProcessCase) -> list[tuple[RoundFinding, str, str]]:
    done = reviewed_in(s, case.id)
    return [
        (f, finding_label(f, c.opened_on, "sv"), finding_label(f, c.opened_on, "en"))
        for f, c in earlier_open(s, case)
        if f.id not in done
    ]


# --- the roll-up of the annual follow-up -------------------------------------------------
@dataclass(frozen=True)
class Child:
    """A sub-unit of a level: a unit with its annual follow-up, or a level below."""

    unit_id: int
    code: str
    name: str
    leaf: bool
    state: str  # done | missing | waived
    case_id: int | None = None  # the level below (not a leaf)
    cycle_id: int | None = None  # the unit's annual cycle (a leaf)
    waiver: str = ""


def case_year(case: ProcessCase) -> int:
    return int(json.loads(case.data)["year"])


def level_cases(s: Session, unit_ids: Sequence[int], year: int) -> dict[int, ProcessCase]:
    """Unit -> its level case of the roll-up for ``year`` (the latest one)."""
    out: dict[int, ProcessCase] = {}
    for batch in chunks(list(unit_ids), 500):
        for c in s.scalars(
            select(ProcessCase)
            .where(ProcessCase.kind == LEVEL, ProcessCase.unit_id.in_(batch))
            .order_by(ProcessCase.id)
        ):
            if case_year(c) == year:
                out[c.unit_id] = c
    return out


def followed_up(s: Session, unit_ids: Sequence[int], year: int) -> dict[int, int]:
    """Unit -> its annual cycle of the year, for units whose follow-up stage is signed off."""
    out: dict[int, int] = {}
    for batch in chunks(list(unit_ids), 500):
        for unit, cid in s.execute(
            select(Cycle.unit_id, Cycle.id)
            .join(Stage, Stage.cycle_id == Cycle.id)
            .where(
                Cycle.unit_id.in_(batch),
                Cycle.year == year,
                Cycle.instance == "",
                Cycle.status != CycleStatus.CANCELLED.value,
                Stage.key == EVALUATION,
                Stage.status == StageStatus.SIGNED_OFF.value,
            )
        ):
            out[unit] = cid
    return out


def closed_cycles(s: Session, cycle_ids: Iterable[int]) -> set[int]:
    ids = [c for c in cycle_ids if c is not None]
    out: set[int] = set()
    for batch in chunks(ids, 500):
        out |= set(
            s.scalars(
                select(Cycle.id).where(
                    Cycle.id.in_(batch), Cycle.status == CycleStatus.COMPLETED.value
                )
            )
        )
    return out


def level_children(s: Session, case: ProcessCase, org: OrgSnapshot) -> list[Child]:
    """Each direct sub-unit of the level's unit: a leaf is done when its annual follow-up
    is signed off, a unit with units below when its own level is closed; missing unless
    HR waived it."""
    year = case_year(case)
    kids = org.children(case.unit_id)
    return children_states(s, kids, year, org, waivers(s, case.id))


def waivers(s: Session, case_id: int) -> dict[int, str]:
    return {
        w.unit_id: w.reason
        for w in s.scalars(select(FollowupWaiver).where(FollowupWaiver.case_id == case_id))
    }


def children_states(
    s: Session, kids: Sequence[int], year: int, org: OrgSnapshot, waived: Mapping[int, str]
) -> list[Child]:
    leaves = [k for k in kids if not org.children(k)]
    inner = [k for k in kids if org.children(k)]
    done_leaves = followed_up(s, leaves, year)
    below = level_cases(s, inner, year)
    closed = closed_cycles(s, [c.cycle_id for c in below.values() if c.cycle_id is not None])
    names = _names(s, kids)
    out = []
    for k in sorted(kids, key=lambda u: names.get(u, ("", ""))[0]):
        code, name = names.get(k, ("", ""))
        leaf = k in done_leaves or not org.children(k)
        lower = below.get(k)
        done = k in done_leaves if leaf else lower is not None and lower.cycle_id in closed
        state = "done" if done else "waived" if k in waived else "missing"
        out.append(
            Child(
                k,
                code,
                name,
                leaf,
                state,
                case_id=lower.id if lower is not None else None,
                cycle_id=done_leaves.get(k),
                waiver=waived.get(k, ""),
            )
        )
    return out


def _names(s: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for batch in chunks(list(ids), 500):
        for i, code, name in s.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name).where(OrgUnit.id.in_(batch))
        ):
            out[i] = (code, name)
    return out
