"""Gates: named rules that must hold before a stage can be signed off.

Each rule returns *every* unmet reason, so the person signing off sees all missing steps at
once instead of discovering them one refusal at a time. The services load the facts; the
rules here only judge them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from engine.domain.errors import Unmet
from engine.domain.workflow.states import MeasureStatus, TaskStatus


@dataclass(frozen=True)
class TaskFact:
    id: int
    key: str
    title_sv: str
    title_en: str
    required: bool
    status: TaskStatus
    waiting_on: str = ""  # who holds it, in words ("Anna Ek (Chef, Enhet 3)")
    completed_by: int | None = None
    decision: str | None = None  # approval forms: "approve" | "reject"


@dataclass(frozen=True)
class RequiredStep:
    key: str
    title_sv: str
    title_en: str
    per_measure: bool = False


@dataclass(frozen=True)
class RiskFact:
    id: int
    description: str
    serious: bool | None
    must_act: bool
    has_measure: bool


@dataclass(frozen=True)
class MeasureFact:
    id: int
    label: str  # "2.1 Införa rutin för ..."
    what: str
    responsible: str
    due_date: date | None
    status: MeasureStatus
    followed_up: bool  # or owed no follow-up: none was planned
    open_ended: bool = False  # "kontinuerligt": reviewed, not due


@dataclass(frozen=True)
class OpenPoint:
    """Something outside the stage's own tasks that must be dealt with before sign-off,
    named in words (an earlier safety round's open finding not yet reviewed; a sub-unit
    that has not followed up and has no waiver)."""

    subject: str  # finding:7, unit:12 (never shown)
    sv: str
    en: str


@dataclass(frozen=True)
class StageFacts:
    stage_key: str
    steps: Sequence[RequiredStep]
    tasks: Sequence[TaskFact]
    risks: Sequence[RiskFact] = field(default_factory=tuple)
    measures: Sequence[MeasureFact] = field(default_factory=tuple)
    #: gate name -> what still blocks it (loaded only for the gates that judge them)
    open_points: Mapping[str, Sequence[OpenPoint]] = field(default_factory=dict)

    def completed(self) -> int:
        return sum(1 for s in self.step_states() if s[1])

    def step_states(self) -> list[tuple[RequiredStep | TaskFact, bool]]:
        """Each required step (or generated per-measure task) and whether it is done:
        the "3 of 4 required steps done" checklist."""
        out: list[tuple[RequiredStep | TaskFact, bool]] = []
        for step in self.steps:
            mine = [t for t in self.tasks if t.key == step.key and t.required]
            if step.per_measure:
                out += [
                    (t, t.status == TaskStatus.COMPLETED)
                    for t in mine
                    if t.status in (TaskStatus.OPEN, TaskStatus.COMPLETED)
                ]
                continue
            open_ = [t for t in mine if t.status == TaskStatus.OPEN]
            done = any(t.status == TaskStatus.COMPLETED for t in mine) and not open_
            out.append((open_[0] if open_ else step, done))
        return out


Gate = Callable[[StageFacts], list[Unmet]]


def required_tasks_done(facts: StageFacts) -> list[Unmet]:
    """Every required step of the stage is completed and none is still open (AFS 2023:1
    asks for the steps in writing; a sign-off over an open step would claim otherwise)."""
    unmet = []
    for item, done in facts.step_states():
        if done:
            continue
        waiting = item.waiting_on if isinstance(item, TaskFact) else ""
        sv_tail = f" – väntar på {waiting}" if waiting else ""
        en_tail = f" – waiting on {waiting}" if waiting else ""
        unmet.append(
            Unmet(
                "required_tasks_done",
                f"required step '{item.title_en}' is not done{en_tail}",
                f"obligatoriskt steg '{item.title_sv}' är inte klart{sv_tail}",
                subject=f"task:{item.id}" if isinstance(item, TaskFact) else f"step:{item.key}",
            )
        )
    return unmet


def risks_have_seriousness(facts: StageFacts) -> list[Unmet]:
    """11 §: the written risk assessment states, for each risk, whether it is serious."""
    return [
        Unmet(
            "risks_have_seriousness",
            f"risk '{r.description}' lacks serious: yes/no",
            f"risken '{r.description}' saknar bedömning allvarlig: ja/nej",
            subject=f"risk:{r.id}",
        )
        for r in facts.risks
        if r.serious is None
    ]


def high_risks_have_measures(facts: StageFacts) -> list[Unmet]:
    """13 §: high risks are acted on; those not fixed at once go into the plan."""
    return [
        Unmet(
            "high_risks_have_measures",
            f"high risk '{r.description}' has no measure in the action plan",
            f"hög risk '{r.description}' saknar åtgärd i handlingsplanen",
            subject=f"risk:{r.id}",
        )
        for r in facts.risks
        if r.must_act and not r.has_measure
    ]


def measures_have_what_who_when(facts: StageFacts) -> list[Unmet]:
    """13 §: each measure in the written plan says what is done, who sees to it and when."""
    unmet = []
    for m in facts.measures:
        if m.status == MeasureStatus.CANCELLED:
            continue
        missing_en = [
            n
            for n, v in (("what", m.what), ("who", m.responsible), ("when", m.due_date))
            if not v and not (n == "when" and m.open_ended)
        ]
        if missing_en:
            sv = {"what": "vad", "who": "vem", "when": "när"}
            unmet.append(
                Unmet(
                    "measures_have_what_who_when",
                    f"measure {m.label} lacks {', '.join(missing_en)}",
                    f"åtgärd {m.label} saknar {', '.join(sv[x] for x in missing_en)}",
                    subject=f"measure:{m.id}",
                )
            )
    return unmet


def approvals_distinct_people(facts: StageFacts) -> list[Unmet]:
    """Cooperation: the manager and the safety representative agree, and they must be two
    different people (a manager who is also skyddsombud cannot approve twice)."""
    approvers = [
        t.completed_by
        for t in facts.tasks
        if t.status == TaskStatus.COMPLETED and t.decision == "approve"
    ]
    if len(approvers) != len(set(approvers)):
        return [
            Unmet(
                "approvals_distinct_people",
                "the approvals were given by the same person; two different people must approve",
                "godkännandena gavs av samma person; två olika personer måste godkänna",
            )
        ]
    return []


def measures_followed_up(facts: StageFacts) -> list[Unmet]:
    """13 §: completed measures are checked, for being done and for their effect."""
    return [
        Unmet(
            "measures_followed_up",
            f"measure {m.label} has not been followed up",
            f"åtgärd {m.label} har inte följts upp",
            subject=f"measure:{m.id}",
        )
        for m in facts.measures
        if m.status != MeasureStatus.CANCELLED and not m.followed_up
    ]


def findings_reviewed(facts: StageFacts) -> list[Unmet]:
    """A safety round closes only when every open finding of the unit's earlier rounds has
    been looked at again in it (resolved, or remains): otherwise a finding could be
    written down once and never followed (AFS 2023:1 9 §, 13 §)."""
    return [
        Unmet(
            "findings_reviewed",
            f"earlier finding not reviewed: {p.en}",
            f"tidigare iakttagelse inte genomgången: {p.sv}",
            subject=p.subject,
        )
        for p in facts.open_points.get("findings_reviewed", ())
    ]


def sub_units_followed_up(facts: StageFacts) -> list[Unmet]:
    """A level of the annual follow-up (department, administration) closes only when each
    sub-unit has followed up, or HR has recorded why not: the summary would otherwise
    claim the whole level while part of it is missing (AFS 2023:1 14 §)."""
    return [
        Unmet(
            "sub_units_followed_up",
            f"not followed up and no waiver: {p.en}",
            f"inte uppföljd och inget undantag: {p.sv}",
            subject=p.subject,
        )
        for p in facts.open_points.get("sub_units_followed_up", ())
    ]


#: Gates judging facts beyond the stage's tasks, risks and measures: their loaders are in
#: ``engine.workflow.open_points``.
OPEN_POINT_GATES = frozenset({"findings_reviewed", "sub_units_followed_up"})

GATES: Mapping[str, Gate] = {
    g.__name__: g
    for g in (
        required_tasks_done,
        risks_have_seriousness,
        high_risks_have_measures,
        measures_have_what_who_when,
        approvals_distinct_people,
        measures_followed_up,
        findings_reviewed,
        sub_units_followed_up,
    )
}


def evaluate(names: Sequence[str], facts: StageFacts) -> list[Unmet]:
    unmet: list[Unmet] = []
    for name in names:
        unmet += GATES[name](facts)
    return unmet
