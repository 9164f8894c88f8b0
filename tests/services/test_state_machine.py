"""Random sequences of real use cases, with the invariants checked after every step.

Hypothesis drives claim / complete / return / delegate / reassign / sweep / sign-off /
time-advance, and registering incidents, safety representatives' requests and managers'
own risks (issue 10), on a small organisation (SQLite; the same use cases run on PostgreSQL in the
other service tests). Refusals (typed engine errors) are allowed; anything else fails.
After each step: no signed-off stage has an open task, the audit chains verify, no task is
lost or duplicated, and no reminder or escalation is taken twice.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from engine.alloc import allocations, holds, returns
from engine.audit import log as audit
from engine.context import App
from engine.db.migrate import upgrade
from engine.db.models import AuditEvent, Cycle, Stage, Task
from engine.db.models.alloc import AllocationReturn, TaskAllocation
from engine.domain.clock import LOCAL_TZ, FrozenClock
from engine.domain.errors import SamflowError
from engine.views import inbox as reports
from engine.workflow import cycles, sweeps, tasks
from engine.workflow.process import cases as processes
from tests.conftest import START, make_app
from tests.factories import (
    APPROVE,
    EVALUATION,
    RISKS,
    SAFETY_ROUND,
    SURVEY,
    Org,
    build_org,
    plan,
)

PEOPLE = ["m1@x.se", "m2@x.se", "so1@x.se", "so2@x.se", "dep@x.se", "dir@x.se", "hr@x.se"]
STAGES = ["survey", "analysis", "action_plan", "cooperation", "follow_up", "evaluation"]
_TEMPLATE_DB: list[Path] = []


def template_db() -> Path:
    if not _TEMPLATE_DB:
        path = Path(tempfile.mkdtemp(prefix="samflow-sm-")) / "template.db"
        upgrade(f"sqlite:///{path}")
        _TEMPLATE_DB.append(path)
    return _TEMPLATE_DB[0]


class CycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="samflow-sm-")
        path = Path(self.dir) / "sm.db"
        shutil.copy(template_db(), path)
        self.clock = FrozenClock(START)
        self.app: App = make_app(f"sqlite:///{path}", self.clock)
        self.org: Org = build_org(self.app)
        self.org.start()
        self.completed = 0

    def teardown(self) -> None:
        self.app.db.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- helpers ------------------------------------------------------------------------
    def _inbox(self, who: int) -> list[reports.InboxItem]:
        return self.org.inbox(PEOPLE[who % len(PEOPLE)])

    def _pick(self, who: int, pick: int) -> tuple[str, reports.InboxItem] | None:
        email = PEOPLE[who % len(PEOPLE)]
        items = self.org.inbox(email)
        return (email, items[pick % len(items)]) if items else None

    def _input(self, item: reports.InboxItem, variant: int) -> dict[str, Any]:
        if item.form_key == "risk_assessment":
            return RISKS
        if item.form_key == "action_plan":
            risk = reports.cycle_view(self.app, item.cycle_id).risks
            return plan(risk_id=risk[0].id if risk else None)
        if item.form_key == "approval":
            return APPROVE if variant % 4 else {"decision": "reject", "comment": "Komplettera"}
        if item.form_key == "measure_follow_up":
            if variant % 3 == 0:
                due = (self.clock.now() + timedelta(days=30)).date().isoformat()
                return {"status": "postponed", "reason": "Försenat", "new_follow_up_date": due}
            return {"status": "done", "effect_ok": True, "effect": "Bra"}
        now = self.clock.now().astimezone(LOCAL_TZ)
        if item.form_key == "incident_report":
            return {"reported_at": now.strftime("%Y-%m-%dT%H:%M"), "av_reference": "AV-1"}
        if item.form_key == "incident_investigation":
            due = (now + timedelta(days=20)).date().isoformat()
            if variant % 2:
                return {"causes": "Halt", "no_measures_reason": "Engångshändelse"}
            m = {"what": "Halkskydd", "responsible": "manager", "due_date": due}
            return {"causes": "Halt", "measures": [m]}
        if item.form_key == "safety_request_reply":
            decision = ("accepted", "partly", "refused")[variant % 3]
            return {"decision": decision, "answer": "Svar"}
        if item.form_key == "manager_risk_response":
            return {"actions": "Stöd"}
        if item.form_key == "allocation_return_decision":  # the allocator's decision task
            outcome = ("resources", "taken_back", "elsewhere")[variant % 3]
            return {"outcome": outcome, "note": "Mer tid", "to": PEOPLE[variant % 7]}
        return {
            "survey_results": SURVEY,
            "safety_round": SAFETY_ROUND,
            "absence_review": {"short_term_pct": 3, "total_pct": 7},
            "annual_evaluation": EVALUATION,
        }[item.form_key]

    def _try(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except SamflowError:
            return None

    # --- rules --------------------------------------------------------------------------
    @rule(who=st.integers(0, 50), pick=st.integers(0, 50), variant=st.integers(0, 50))
    def complete(self, who: int, pick: int, variant: int) -> None:
        found = self._pick(who, pick)
        if found:
            email, item = found
            if (
                self._try(
                    tasks.complete_task,
                    self.app,
                    self.org.actor(email),
                    item.task_id,
                    self._input(item, variant),
                )
                is not None
            ):
                self.completed += 1
                event(f"completed {item.form_key}")

    @rule(who=st.integers(0, 50), pick=st.integers(0, 50))
    def claim(self, who: int, pick: int) -> None:
        found = self._pick(who, pick)
        if found:
            self._try(tasks.claim_task, self.app, self.org.actor(found[0]), found[1].task_id)

    @rule(who=st.integers(0, 50), pick=st.integers(0, 50))
    def release(self, who: int, pick: int) -> None:
        found = self._pick(who, pick)
        if found:
            self._try(tasks.release_task, self.app, self.org.actor(found[0]), found[1].task_id)

    @rule(who=st.integers(0, 50), pick=st.integers(0, 50))
    def return_up(self, who: int, pick: int) -> None:
        found = self._pick(who, pick)
        if found:
            self._try(
                tasks.return_task,
                self.app,
                self.org.actor(found[0]),
                found[1].task_id,
                "Saknar resurser",
            )

    @rule(who=st.integers(0, 50), pick=st.integers(0, 50), to=st.integers(0, 50))
    def reassign(self, who: int, pick: int, to: int) -> None:
        found = self._pick(who, pick)
        if found:
            self._try(
                tasks.delegate_task,
                self.app,
                self.org.actor(found[0]),
                found[1].task_id,
                PEOPLE[to % len(PEOPLE)],
                "Omfördelning",
            )

    @rule(who=st.integers(0, 50), unit=st.sampled_from(["U1", "U2", "DEP"]))
    def sign_off(self, who: int, unit: str) -> None:
        cid = self.org.cycle_of(unit)
        with self.app.read() as s:
            current = s.scalar(select(Cycle.current_stage).where(Cycle.id == cid))
        if current:
            done = self._try(
                cycles.sign_off_stage,
                self.app,
                self.org.actor(PEOPLE[who % len(PEOPLE)]),
                cid,
                current,
            )
            event(f"signed off {current}" if done else "sign-off refused")

    @rule(unit=st.sampled_from(["U1", "U2"]), variant=st.integers(0, 50), stages=st.integers(1, 3))
    def push_cycle(self, unit: str, variant: int, stages: int) -> None:
        """Everyone clears what the unit's current stage waits for, then the manager signs
        off: drives cycles deep (rejections, follow-ups, postponements) between the
        random disruptions of the other rules."""
        cid = self.org.cycle_of(unit)
        for email in PEOPLE:
            for item in self.org.inbox(email):
                if (
                    item.cycle_id == cid
                    and self._try(
                        tasks.complete_task,
                        self.app,
                        self.org.actor(email),
                        item.task_id,
                        self._input(item, variant + item.task_id),
                    )
                    is not None
                ):
                    self.completed += 1
                    event(f"completed {item.form_key}")
        self.sign_off(0 if unit == "U1" else 1, unit)

    # issue 10: cases registered at any time by the people who may (refusals allowed)
    @rule(who=st.integers(0, 50), unit=st.sampled_from(["U1", "U2"]), serious=st.booleans())
    def register_incident(self, who: int, unit: str, serious: bool) -> None:
        today = self.clock.now().astimezone(LOCAL_TZ).date().isoformat()
        data = {"unit": unit, "kind": "accident", "occurred_on": today, "what": "Föll"}
        self._open(who, "incident", {**data, "serious": serious})

    @rule(who=st.integers(0, 50), unit=st.sampled_from(["U1", "U2"]), days=st.integers(0, 20))
    def file_request(self, who: int, unit: str, days: int) -> None:
        today = self.clock.now().astimezone(LOCAL_TZ).date()
        data = {"unit": unit, "filed_on": today.isoformat(), "what": "Ventilation", "why": "Luft"}
        self._open(who, "safety_request", {**data, "reply_by": str(today + timedelta(days))})

    @rule(who=st.integers(0, 50), unit=st.sampled_from(["U1", "U2"]))
    def record_manager_risk(self, who: int, unit: str) -> None:
        today = self.clock.now().astimezone(LOCAL_TZ).date().isoformat()
        data = {"unit": unit, "noted_on": today, "description": "Hög belastning"}
        self._open(who, "manager_risk", {**data, "probability": 3, "consequence": 2})

    def _open(self, who: int, kind: str, data: dict[str, Any]) -> None:
        actor = self.org.actor(PEOPLE[who % len(PEOPLE)])
        opened = self._try(
            lambda: processes.open_case(self.app, actor, kind, processes.parse_subject(kind, data))
        )
        event(f"{kind} {'opened' if opened else 'refused'}")

    # --- task allocation (issue 10) ---------------------------------------------------
    @rule(who=st.integers(0, 50), unit=st.sampled_from(["U1", "U2", "DEP"]), n=st.integers(1, 3))
    def offer_allocation(self, who: int, unit: str, n: int) -> None:
        keys = list(allocations.catalogue())[:n]
        data = allocations.OfferIn(unit, [allocations.ItemIn(k, "Beslutar") for k in keys])
        made = self._try(allocations.offer, self.app, self.org.actor(PEOPLE[who % 7]), data)
        event(f"allocation {'offered' if made else 'refused'}")

    @rule(who=st.integers(0, 50), accept=st.booleans())
    def answer_allocation(self, who: int, accept: bool) -> None:
        actor = self.org.actor(PEOPLE[who % len(PEOPLE)])
        for a in allocations.list_mine(self.app, actor)["mine"]:
            if a.state == "offered":
                if accept:
                    self._try(allocations.accept, self.app, actor, a.id)
                else:
                    self._try(allocations.return_offer, self.app, actor, a.id, ["resources"], "x")

    @rule(who=st.integers(0, 50), pick=st.integers(0, 50), what=st.integers(1, 7))
    def return_with_lacking(self, who: int, pick: int, what: int) -> None:
        found = self._pick(who, pick)
        lacking = [
            k for i, k in enumerate(("authority", "resources", "knowledge")) if what >> i & 1
        ]
        if found:
            actor = self.org.actor(found[0])
            self._try(returns.return_case, self.app, actor, found[1].task_id, lacking, "Saknas")

    @rule(who=st.integers(0, 50), outcome=st.sampled_from(["resources", "taken_back", "elsewhere"]))
    def decide_return(self, who: int, outcome: str) -> None:
        actor = self.org.actor(PEOPLE[who % len(PEOPLE)])
        with self.app.read() as s:
            open_ids = list(s.scalars(select(AllocationReturn.id).where(
                AllocationReturn.state == "open")))  # fmt: skip
        for rid in open_ids[:1]:
            done = self._try(
                returns.decide, self.app, actor, rid, outcome, "Mer tid", PEOPLE[who % 7]
            )
            if done is not None:  # deciding here completes the allocator's decision task
                self.completed += 1

    @rule()
    def hold_new_managers(self) -> None:
        holds.sync(self.app, self.org.actor("hr@x.se"))

    @rule(days=st.integers(1, 60))
    def advance_time(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))

    @rule()
    def sweep(self) -> None:
        sweeps.sweep(self.app)

    # --- invariants ---------------------------------------------------------------------
    @invariant()
    def no_signed_off_stage_has_an_open_task(self) -> None:
        with self.app.read() as s:
            bad = s.scalar(
                select(func.count())
                .select_from(Task)
                .join(Stage, Stage.id == Task.stage_id)
                .where(Task.status == "open", Stage.status != "active")
            )
        assert bad == 0

    @invariant()
    def audit_chains_verify(self) -> None:
        assert audit.verify(self.app).ok

    @invariant()
    def no_task_lost_or_duplicated(self) -> None:
        with self.app.read() as s:
            open_tasks = s.execute(
                select(Task.stage_id, Task.round, Task.key, Task.measure_id).where(
                    Task.status == "open"
                )
            ).all()
            done = s.scalar(
                select(func.count()).select_from(Task).where(Task.status == "completed")
            )
            done_events = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "task.completed")
            )
            active = s.execute(
                select(Stage.id, Cycle.status)
                .join(Cycle, Cycle.id == Stage.cycle_id)
                .where(Stage.status == "active")
            ).all()
        assert len(open_tasks) == len(set(open_tasks)), "a step is open twice"
        assert done == done_events == self.completed, "a completion was lost or invented"
        assert all(status == "active" for _, status in active)

    @invariant()
    def one_live_allocation_per_unit_and_every_return_recorded(self) -> None:
        with self.app.read() as s:
            live = s.execute(
                select(TaskAllocation.unit_id, func.count())
                .where(TaskAllocation.state != "superseded")
                .group_by(TaskAllocation.unit_id)
            ).all()
            lacking = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "task.returned", AuditEvent.data.contains('"lacking"'))
            )
            recorded = s.scalars(select(AllocationReturn.tasks)).all()
        assert all(n == 1 for _, n in live), live
        assert lacking == sum(len(json.loads(x)) for x in recorded)

    @invariant()
    def no_reminder_or_escalation_twice(self) -> None:
        with self.app.read() as s:
            rows = s.execute(
                select(AuditEvent.subject_id, AuditEvent.action, AuditEvent.data)
                .where(AuditEvent.action.in_(("task.reminded", "task.escalated")))
                .order_by(AuditEvent.id)
            ).all()
        seen: dict[tuple[str, str], list[int]] = defaultdict(list)
        for task, action, data in rows:
            level = json.loads(data).get("level" if action == "task.escalated" else "reminder")
            seen[(task, action)].append(level)
        for levels in seen.values():
            assert levels == sorted(set(levels)), f"a step was taken twice: {levels}"


TestCycleMachine = CycleMachine.TestCase
TestCycleMachine.settings = settings(
    max_examples=int(os.environ.get("SAMFLOW_SM_EXAMPLES", "25")),
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
