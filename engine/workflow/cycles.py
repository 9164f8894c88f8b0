"""Use cases for cycles: start a year (bulk, idempotent), sign off a stage, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Actor, App, Progress, Tx, no_progress
from engine.db import queries
from engine.db.audit_store import chunks
from engine.db.bulk import insert_returning_ids, paused_gc
from engine.db.models import Cycle, Measure, OrgUnit, Stage, Task
from engine.domain.clock import local_date
from engine.domain.errors import GateBlocked, InvalidInput, NotFound, NotPermitted, Unmet
from engine.domain.org import OrgSnapshot
from engine.domain.workflow import gates
from engine.domain.workflow.machine import CYCLE, STAGE, next_state
from engine.domain.workflow.states import CycleStatus, MeasureStatus, StageStatus, TaskStatus
from engine.domain.workflow.template import CycleTemplate
from engine.org import access
from engine.workflow import facts, taskgen, templates
from engine.workflow.allocation_gate import Unallocated, unallocated

BATCH = 500


def chain(cycle_id: int) -> str:
    return f"cycle:{cycle_id}"


# --- starting a year ----------------------------------------------------------------------
@dataclass(frozen=True)
class Gap:
    """A unit that cannot start: who is missing (for HR to fix)."""

    unit_id: int
    code: str
    name: str
    missing: tuple[str, ...]


@dataclass
class StartPlan:
    year: int
    template_key: str
    template_text: str
    to_start: list[int]
    already: list[int]
    gaps: list[Gap]
    #: managers without an accepted task allocation (``engine.workflow.allocation_gate``)
    unallocated: list[Unallocated] = field(default_factory=list)


@dataclass
class StartReport:
    year: int
    template_key: str
    started: list[int] = field(default_factory=list)  # cycle ids
    already_running: int = 0
    gaps: list[Gap] = field(default_factory=list)
    unallocated: list[Unallocated] = field(default_factory=list)


def plan_start(
    app: App,
    year: int,
    template_key: str | None = None,
    root_code: str | None = None,
    template_path: Path | None = None,
) -> StartPlan:
    """Which units of the subtree would start, which run already, which lack people."""
    _check_year(year)
    with paused_gc():  # the org's snapshot and lists: tens of thousands of acyclic objects
        return _plan_start(app, year, template_key, root_code, template_path)


def _plan_start(
    app: App, year: int, template_key: str | None, root_code: str | None, template_path: Path | None
) -> StartPlan:
    key = template_key or app.settings.default_template
    text = templates.text_for(key, template_path)
    template = templates.parse(text, str(template_path or key))
    with app.read() as s:
        org = queries.org_snapshot(s, local_date(app.clock.now()))
        root = queries.unit_by_code(s, root_code).id if root_code else None
        units = org.subtree(root)
        running = _running(s, year, template.key, units)
        codes = queries.pairs(s, select(OrgUnit.id, OrgUnit.code))
        names = queries.pairs(s, select(OrgUnit.id, OrgUnit.name))
    to_start, gaps = [], []
    needed = sorted(template.roles_needed())
    for unit in units:
        if unit in running:
            continue
        missing = _missing_roles(template, unit, org, needed)
        if missing:
            gaps.append(Gap(unit, codes[unit], names[unit], missing))
        else:
            to_start.append(unit)
    hold = app.settings.allocation_year_start == "hold"
    with app.read() as s:
        lacking = unallocated(s, org, to_start, local_date(app.clock.now()), hold=hold)
    if hold:
        to_start = [u for u in to_start if u not in {x.unit_id for x in lacking}]
    return StartPlan(year, template.key, text, to_start, sorted(running), gaps, lacking)


def start_cycles(
    app: App,
    actor: Actor,
    year: int,
    template_key: str | None = None,
    root_code: str | None = None,
    *,
    template_path: Path | None = None,
    progress: Progress = no_progress,
    batch_size: int = BATCH,
) -> StartReport:
    """Start the year for every unit in the subtree. Idempotent: running it again starts
    only what is not running yet. Units lacking a manager or safety representative are not
    started and come back in ``gaps``."""
    plan = plan_start(app, year, template_key, root_code, template_path)
    report = StartReport(year, plan.template_key, already_running=len(plan.already), gaps=plan.gaps,
                         unallocated=plan.unallocated)  # fmt: skip
    total = len(plan.to_start)
    progress(0, total, "starting")
    for batch in chunks(plan.to_start, batch_size):
        result = start_batch(app, actor, year, plan.template_text, batch)
        report.started += result.started
        report.already_running += result.already
        report.gaps += result.gaps
        progress(min(total, len(report.started) + result.already), total, "starting")
    return report


@dataclass
class BatchResult:
    started: list[int] = field(default_factory=list)
    already: int = 0
    gaps: list[Gap] = field(default_factory=list)


def start_batch(
    app: App, actor: Actor, year: int, template_text: str, unit_ids: Sequence[int]
) -> BatchResult:
    """Start cycles for these units in one transaction; skips units already running."""
    _check_year(year)

    def work(tx: Tx) -> BatchResult:
        s = tx.session
        row, template = templates.ensure_stored(tx, template_text)
        org = queries.ancestry_snapshot(s, unit_ids, local_date(tx.now))
        access.require_admin(s, tx, actor, unit_ids, org)
        running = _running(s, year, template.key, unit_ids)
        result = BatchResult(already=len(running))
        todo = []
        needed = sorted(template.roles_needed())
        for unit in unit_ids:
            if unit in running:
                continue
            if unit not in org.parents:
                raise NotFound("unit", unit)
            missing = _missing_roles(template, unit, org, needed)
            if missing:
                code, name = s.execute(
                    select(OrgUnit.code, OrgUnit.name).where(OrgUnit.id == unit)
                ).one()
                result.gaps.append(Gap(unit, code, name, missing))
            else:
                todo.append(unit)
        result.started = _insert_cycles(tx, actor, template, row.id, year, todo, org)
        return result

    # thousands of rows and records, none of them cyclic garbage: the collector held off
    # for the whole transaction, its commit included
    with paused_gc():
        return app.run(work)


def _insert_cycles(
    tx: Tx,
    actor: Actor,
    template: CycleTemplate,
    template_id: int,
    year: int,
    units: list[int],
    org: OrgSnapshot,
    *,
    instance: str = "",
    subject: dict[str, Any] | None = None,
) -> list[int]:
    if not units:
        return []
    s = tx.session
    first = template.stages[0]
    cycle_ids = insert_returning_ids(
        s,
        Cycle,
        [
            {
                "unit_id": u,
                "year": year,
                "template_key": template.key,
                "template_id": template_id,
                "instance": instance,
                "status": CycleStatus.ACTIVE.value,
                "current_stage": first.key,
                "started_at": tx.now,
                "started_by": actor.person_id,
                "closed_at": None,
                "cancel_reason": None,
            }
            for u in units
        ],
    )
    stage_rows = [
        {
            "cycle_id": c,
            "key": st.key,
            "position": i,
            "status": (StageStatus.ACTIVE if i == 0 else StageStatus.PENDING).value,
            "round": 1 if i == 0 else 0,
            "activated_at": tx.now if i == 0 else None,
            "signed_off_at": None,
            "signed_off_by": None,
        }
        for c in cycle_ids
        for i, st in enumerate(template.stages)
    ]
    stage_ids = insert_returning_ids(s, Stage, stage_rows)
    n = len(template.stages)
    task_rows: list[dict[str, Any]] = []
    memo: dict[Any, Any] = {}  # the same template's tasks for every unit: timings once
    for i, (cycle_id, unit) in enumerate(zip(cycle_ids, units, strict=True)):
        task_rows += taskgen.stage_task_rows(
            tx=tx,
            template=template,
            stage=first,
            cycle_id=cycle_id,
            stage_id=stage_ids[i * n],
            unit_id=unit,
            year=year,
            org=org,
            round_=1,
            subject=subject,
            memo=memo,
        )
    task_ids = taskgen.insert_tasks(s, task_rows)
    started = {"year": year, "template": template.key, "version": template.version}
    events = [
        (chain(c), "cycle.started", "cycle", c, unit, {**started, "stage": first.key})
        for c, unit in zip(cycle_ids, units, strict=True)
    ]
    if len(events) + len(task_rows) < taskgen.BULK_EVENTS:
        taskgen.record_many(tx, actor, events)
        taskgen.record_created(tx, actor, task_rows, task_ids)
    else:  # a year start: each cycle's events together, in one bulk append
        taskgen.record_started(tx, actor, events, task_rows, task_ids)
    return cycle_ids


def start_instance(
    tx: Tx,
    actor: Actor,
    template_text: str,
    unit_id: int,
    year: int,
    instance: str,
    subject: dict[str, Any] | None = None,
) -> tuple[int, CycleTemplate]:
    """Start one cycle of a template a unit may run several times a year (each inspection
    is one), in the caller's transaction. ``instance`` tells the cycles apart; ``subject``
    (a case's fields) decides which of its first stage's tasks are made, and when due."""
    _check_year(year)
    row, template = templates.ensure_stored(tx, template_text)
    org = queries.ancestry_snapshot(tx.session, [unit_id], local_date(tx.now))
    missing = _missing_roles(template, unit_id, org)
    if missing:
        raise InvalidInput.field(
            "unit",
            f"nobody holds {', '.join(missing)} for the unit",
            f"ingen har rollen {', '.join(missing)} för enheten",
        )
    ids = _insert_cycles(
        tx, actor, template, row.id, year, [unit_id], org, instance=instance, subject=subject
    )
    return ids[0], template


def _running(s: Session, year: int, template_key: str, units: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for batch in chunks(list(units)):
        out.update(
            s.scalars(
                select(Cycle.unit_id).where(
                    Cycle.year == year,
                    Cycle.template_key == template_key,
                    Cycle.instance == "",
                    Cycle.status != CycleStatus.CANCELLED.value,
                    Cycle.unit_id.in_(batch),
                )
            )
        )
    return out


def _missing_roles(
    template: CycleTemplate, unit: int, org: OrgSnapshot, needed: list[str] | None = None
) -> tuple[str, ...]:
    """``needed``: ``sorted(template.roles_needed())``, when the caller asks for many units."""
    roles = sorted(template.roles_needed()) if needed is None else needed
    return tuple(r for r in roles if taskgen.route(r, unit, org) is None)


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise InvalidInput.field(
            "year", "year must be between 2000 and 2100", "året måste vara mellan 2000 och 2100"
        )


# --- signing off --------------------------------------------------------------------------
@dataclass(frozen=True)
class SignOffResult:
    cycle_id: int
    signed_off: str
    next_stage: str | None
    tasks_created: int
    cycle_status: str


def sign_off_stage(app: App, actor: Actor, cycle_id: int, stage_key: str) -> SignOffResult:
    """Sign off the active stage and open the next. Refused with every unmet reason at once
    while required steps are open or a gate of the stage does not hold."""
    return app.run(lambda tx: sign_off_in(app, tx, actor, cycle_id, stage_key))


def sign_off_in(
    app: App, tx: Tx, actor: Actor, cycle_id: int, stage_key: str, *, authorized: bool = False
) -> SignOffResult:
    """``sign_off_stage`` in the caller's transaction. ``authorized``: the caller has
    already checked that the actor decides this (a decision that closes its own case, such
    as the allocator's on a returned task), so the stage's ``sign_off`` role is not asked."""
    s = tx.session
    cycle = load_cycle(s, cycle_id, lock=True)
    template = templates.by_id(app, s, cycle.template_id)
    stage = _stage(s, cycle.id, stage_key)
    next_state(STAGE, "stage", "sign_off", StageStatus(stage.status))
    next_state(CYCLE, "cycle", "advance", CycleStatus(cycle.status))
    sdef = template.stage(stage.key)
    org = queries.ancestry_snapshot(s, [cycle.unit_id], local_date(tx.now))
    on_behalf = None if authorized else _require_sign_off(tx, actor, cycle, sdef.sign_off, org)
    unmet = gates.evaluate(
        sdef.gates, facts.stage_facts(s, cycle, stage, template, local_date(tx.now))
    )
    following = template.next_stage(stage.key)
    if following is not None:
        unmet += taskgen.routing_gaps(following, cycle.unit_id, org)
    if unmet:
        raise GateBlocked(stage.key, unmet)
    stage.status = StageStatus.SIGNED_OFF.value
    stage.signed_off_at, stage.signed_off_by = tx.now, actor.person_id
    cancel_open_tasks(tx, actor, cycle, "optional step left open at sign-off", stage_id=stage.id)
    tx.record(
        chain(cycle.id),
        "stage.signed_off",
        "stage",
        stage.id,
        actor,
        on_behalf_of=on_behalf,
        unit_id=cycle.unit_id,
        data={"stage": stage.key},
    )
    created = 0
    if following is None:
        cycle.status = next_state(CYCLE, "cycle", "complete", CycleStatus(cycle.status))
        cycle.closed_at, cycle.current_stage = tx.now, None
        tx.record(
            chain(cycle.id),
            "cycle.completed",
            "cycle",
            cycle.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=cycle.unit_id,
        )
    else:
        created = activate(tx, actor, cycle, template, following.key, org)
    s.flush()
    return SignOffResult(
        cycle.id, stage.key, following.key if following else None, created, cycle.status
    )


def activate(
    tx: Tx,
    actor: Actor,
    cycle: Cycle,
    template: CycleTemplate,
    stage_key: str,
    org: OrgSnapshot,
    *,
    reason: str | None = None,
) -> int:
    """Open a stage: make it active, the cycle's current stage, and create its tasks."""
    s = tx.session
    stage = _stage(s, cycle.id, stage_key)
    event = "reopen" if stage.status == StageStatus.SIGNED_OFF else "activate"
    stage.status = next_state(STAGE, "stage", event, StageStatus(stage.status)).value
    stage.activated_at, stage.signed_off_at, stage.signed_off_by = tx.now, None, None
    stage.round += 1
    cycle.current_stage = stage.key
    sdef = template.stage(stage.key)
    measures = open_measures(s, cycle.id) if any(t.per_measure for t in sdef.tasks) else []
    rows = taskgen.stage_task_rows(
        tx=tx,
        template=template,
        stage=sdef,
        cycle_id=cycle.id,
        stage_id=stage.id,
        unit_id=cycle.unit_id,
        year=cycle.year,
        org=org,
        round_=stage.round,
        measures=measures,
    )
    ids = taskgen.insert_tasks(s, rows)
    data: dict[str, Any] = {"stage": stage.key, "tasks": len(ids)}
    if reason:
        data["reason"] = reason
    tx.record(
        chain(cycle.id),
        "stage.reopened" if event == "reopen" else "stage.activated",
        "stage",
        stage.id,
        actor,
        unit_id=cycle.unit_id,
        data=data,
    )
    taskgen.record_created(tx, actor, rows, ids)
    return len(ids)


def reopen_cycle(tx: Tx, actor: Actor, cycle: Cycle) -> None:
    """A completed cycle is active again (a case that takes new items after it closed)."""
    cycle.status = next_state(CYCLE, "cycle", "reopen", CycleStatus(cycle.status)).value
    cycle.closed_at = None
    tx.record(
        chain(cycle.id),
        "cycle.reopened",
        "cycle",
        cycle.id,
        actor,
        unit_id=cycle.unit_id,
        data={"stage": cycle.current_stage},
    )


def send_back(
    tx: Tx,
    actor: Actor,
    cycle: Cycle,
    template: CycleTemplate,
    from_key: str,
    to_key: str,
    reason: str,
    on_behalf: int | None,
) -> None:
    """A rejected approval: the stage waits again, its open tasks are cancelled, and the
    earlier stage reopens with new tasks carrying the reason."""
    s = tx.session
    stage = _stage(s, cycle.id, from_key)
    stage.status = next_state(STAGE, "stage", "reset", StageStatus(stage.status)).value
    stage.activated_at = None
    cancel_open_tasks(tx, actor, cycle, f"returned to {to_key}: {reason}", stage_id=stage.id)
    tx.record(
        chain(cycle.id),
        "cycle.sent_back",
        "cycle",
        cycle.id,
        actor,
        on_behalf_of=on_behalf,
        unit_id=cycle.unit_id,
        data={"from": from_key, "to": to_key, "reason": reason},
    )
    org = queries.ancestry_snapshot(s, [cycle.unit_id], local_date(tx.now))
    activate(tx, actor, cycle, template, to_key, org, reason=reason)


def cancel_open_tasks(
    tx: Tx, actor: Actor, cycle: Cycle, reason: str, stage_id: int | None = None
) -> int:
    cond = [Task.cycle_id == cycle.id, Task.status == TaskStatus.OPEN.value]
    if stage_id is not None:
        cond.append(Task.stage_id == stage_id)
    ids = list(tx.session.scalars(select(Task.id).where(*cond)))
    return taskgen.cancel_tasks(tx, actor, cycle.id, cycle.unit_id, ids, reason)


def cancel_cycle(app: App, actor: Actor, cycle_id: int, reason: str) -> int:
    """Cancel a cycle with a reason; its open tasks are cancelled, nothing is deleted."""
    if not reason.strip():
        raise InvalidInput.field("reason", "a reason is required", "ett skäl krävs")

    def work(tx: Tx) -> int:
        s = tx.session
        cycle = load_cycle(s, cycle_id, lock=True)
        org = queries.ancestry_snapshot(s, [cycle.unit_id], local_date(tx.now))
        on_behalf = access.require_admin(s, tx, actor, [cycle.unit_id], org)
        cycle.status = next_state(CYCLE, "cycle", "cancel", CycleStatus(cycle.status)).value
        cycle.closed_at, cycle.cancel_reason = tx.now, reason
        n = cancel_open_tasks(tx, actor, cycle, reason)
        tx.record(
            chain(cycle.id),
            "cycle.cancelled",
            "cycle",
            cycle.id,
            actor,
            on_behalf_of=on_behalf,
            unit_id=cycle.unit_id,
            data={"reason": reason, "tasks_cancelled": n},
        )
        return n

    return app.run(work)


# --- helpers ------------------------------------------------------------------------------
def load_cycle(s: Session, cycle_id: int, *, lock: bool = False) -> Cycle:
    stmt = select(Cycle).where(Cycle.id == cycle_id)
    if lock and s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    cycle = s.scalar(stmt)
    if cycle is None:
        raise NotFound("cycle", cycle_id)
    return cycle


def _stage(s: Session, cycle_id: int, key: str) -> Stage:
    stage = s.scalar(select(Stage).where(Stage.cycle_id == cycle_id, Stage.key == key))
    if stage is None:
        raise NotFound("stage", key)
    return stage


def open_measures(s: Session, cycle_id: int) -> list[Measure]:
    return list(
        s.scalars(
            select(Measure)
            .where(Measure.cycle_id == cycle_id, Measure.status != MeasureStatus.CANCELLED.value)
            .order_by(Measure.id)
        )
    )


def _require_sign_off(
    tx: Tx, actor: Actor, cycle: Cycle, sign_off: str, org: OrgSnapshot
) -> int | None:
    allowed, on_behalf = access.holder_or_line(
        access.authority(tx, actor),
        org,
        cycle.unit_id,
        [taskgen.route(sign_off, cycle.unit_id, org)],
    )
    if allowed:
        return on_behalf
    raise NotPermitted(
        "only the unit's manager (or the line above) may sign off",
        "bara enhetens chef (eller chefen ovanför) får signera",
    )


def unmet_for(app: App, cycle_id: int, stage_key: str) -> list[Unmet]:
    """What still blocks signing off a stage (empty: it may be signed off)."""
    with app.read() as s:
        cycle = load_cycle(s, cycle_id)
        template = templates.by_id(app, s, cycle.template_id)
        stage = _stage(s, cycle.id, stage_key)
        return gates.evaluate(
            template.stage(stage_key).gates,
            facts.stage_facts(s, cycle, stage, template, local_date(app.clock.now())),
        )
