"""The named hooks of a safety round (``safety-round.yaml``; registered in
``engine.catalog``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Actor, Tx
from engine.db.audit_store import chunks
from engine.db.models.duties.rounds import RoundFinding
from engine.db.models.workflow.process import ProcessCase
from engine.db.queries import TaskRef
from engine.domain import risk
from engine.domain.clock import local_date
from engine.domain.errors import FieldError, InvalidInput
from engine.reports.sections import ReportSection
from engine.settings import Settings
from engine.workflow import open_points
from engine.workflow.process.views import CaseView, case_data
from forms import checklists
from forms.schemas.base import Form
from forms.schemas.duties.rounds import SafetyRoundPlan, SafetyRoundProtocol


def checklist_known(subject: Form, today: date) -> list[FieldError]:
    """``safety_round.checklist_known``: the round follows a checklist that exists (one of
    the files in forms/checklists), or its points could not be answered."""
    assert isinstance(subject, SafetyRoundPlan)
    if checklists.get(subject.checklist) is None:
        known = ", ".join(checklists.all_checklists())
        return [
            FieldError(
                "checklist",
                f"unknown checklist (known: {known})",
                f"okänd checklista (finns: {known})",
            )
        ]
    return []


def protocol(tx: Tx, actor: Actor, task: TaskRef, form: Form) -> dict[str, Any]:
    """``safety_round.protocol``: the protocol answers the round's own checklist (each
    point once), is not dated ahead, and every point answered "finding" has a finding
    recorded for it (a brist written only as a tick would reach no plan)."""
    assert isinstance(form, SafetyRoundProtocol)
    s = tx.session
    case = s.scalar(select(ProcessCase).where(ProcessCase.cycle_id == task.cycle_id))
    assert case is not None
    listed = checklists.get(str(case_data(case)["checklist"]))
    assert listed is not None
    noted = set(s.scalars(select(RoundFinding.point).where(RoundFinding.case_id == case.id)))
    errors: list[FieldError] = []
    if form.done_on > local_date(tx.now):
        errors.append(FieldError("done_on", "the date is in the future", "datumet ligger framåt"))
    seen: set[str] = set()
    for i, a in enumerate(form.answers):
        if listed.point(a.point) is None:
            errors.append(
                FieldError(
                    f"answers[{i}].point",
                    "not a point of the round's checklist",
                    "inte en punkt i rondens checklista",
                )
            )
        elif a.point in seen:
            errors.append(
                FieldError(f"answers[{i}].point", "answered twice", "besvarad två gånger")
            )
        elif a.answer == "finding" and a.point not in noted:
            errors.append(
                FieldError(
                    f"answers[{i}].answer",
                    f"no finding is recorded for '{listed.point(a.point).en}'",  # type: ignore[union-attr]
                    f"ingen iakttagelse är registrerad för '{listed.point(a.point).sv}'",  # type: ignore[union-attr]
                )
            )
        seen.add(a.point)
    if errors:
        raise InvalidInput(errors)
    findings = s.scalar(select(func.count()).where(RoundFinding.case_id == case.id)) or 0
    return {"answers": len(form.answers), "findings": int(findings)}


def status(s: Session, view: CaseView, now: datetime) -> dict[str, Any]:
    """``safety_round.status``: the findings and where they stand, and how many open
    findings of earlier rounds are still to be reviewed in this one."""
    rows = list(s.scalars(select(RoundFinding.status).where(RoundFinding.case_id == view.case.id)))
    return {
        "findings": len(rows),
        "open": rows.count("open"),
        "in_plan": rows.count("in_plan"),
        "resolved": rows.count("resolved"),
        "earlier_unreviewed": len(open_points.unreviewed(s, view.case)),
    }


def board_section(
    s: Session, units: Sequence[int], year: int, settings: Settings
) -> ReportSection | None:
    """The board report's section ``safety_rounds``: the year's findings of safety rounds
    at the units, by risk level, and how many went into the plans or were resolved."""
    counts: dict[str, list[int]] = {}
    for batch in chunks(list(units), 500):
        rows = s.execute(
            select(RoundFinding.probability, RoundFinding.consequence, RoundFinding.status)
            .join(ProcessCase, ProcessCase.id == RoundFinding.case_id)
            .where(
                RoundFinding.unit_id.in_(batch),
                ProcessCase.opened_on >= date(year, 1, 1),
                ProcessCase.opened_on <= date(year, 12, 31),
            )
        )
        for p, c, st in rows:
            row = counts.setdefault(risk.level(p, c).key, [0, 0, 0, 0])
            row[0] += 1
            row[1 + ("in_plan", "resolved", "open").index(st)] += 1
    if not counts:
        return None
    levels = [lv for lv in (risk.VERY_HIGH, risk.HIGH, risk.MEDIUM, risk.LOW) if lv.key in counts]
    return ReportSection(
        "safety_rounds",
        "Skyddsronder: iakttagelser",
        "Safety rounds: findings",
        ["Risknivå", "Iakttagelser", "I handlingsplan", "Åtgärdade", "Öppna"],
        ["Risk level", "Findings", "In an action plan", "Resolved", "Open"],
        [[lv.sv, *map(str, counts[lv.key])] for lv in levels],
        rows_en=[[lv.en, *map(str, counts[lv.key])] for lv in levels],
    )
