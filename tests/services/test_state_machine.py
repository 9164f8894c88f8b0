"""Random sequences of real use cases, with the invariants checked after every step.

Hypothesis drives claim / complete / return / delegate / reassign / sweep / sign-off /
time-advance, and (issue 10) registering incidents, safety representatives' requests and
managers' own risks, task allocations and their returns, policy documents (created, a new
version published, acknowledged, reviewed when the sweep opens the review), changes (the
risk assessment, the representative's participation, a case stage signed off, the
cooperation meeting with its outcome and signed protocol, the MBL track, marking it
decided), on a small organisation with cooperation bodies (SQLite; the same use cases run
on PostgreSQL in the other service tests). Refusals (typed engine errors) are allowed;
anything else fails. After each step: no signed-off stage has an open task, the audit
chains verify, no task is lost or duplicated, no reminder or escalation is taken twice, no
change is decided with a step missing, every published version and acknowledgement is
kept, and nothing is deleted (no row count goes down; a completed task stays completed).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from engine.alloc import allocations, holds, returns
from engine.audit import log as audit
from engine.context import App
from engine.coop import changes, meetings
from engine.db.migrate import upgrade
from engine.db.models import AuditEvent, Cycle, Stage, Task
from engine.db.models.duties.alloc import AllocationReturn, TaskAllocation
from engine.db.models.duties.coop import ChangeDecision, CoopItem, CoopMeeting
from engine.db.models.duties.policy import PolicyAck, PolicyDocument, PolicyVersion
from engine.db.models.workflow.process import CaseDocument, ProcessCase
from engine.domain.clock import LOCAL_TZ, FrozenClock
from engine.domain.errors import SamflowError
from engine.policy import documents
from engine.views import cycle as cycle_views
from engine.views import inbox as reports
from engine.workflow import cycles, sweeps, tasks
from engine.workflow.process import cases as processes
from forms.schemas.duties.policy import PolicyDocumentInput, PolicyVersionInput
from tests.conftest import START, make_app
from tests.coop.scenario import build as build_coop
from tests.coop.test_changes import ASSESSMENT, CHANGE
from tests.factories import (
    APPROVE,
    EVALUATION,
    RISKS,
    SAFETY_ROUND,
    SURVEY,
    Org,
    plan,
)

PEOPLE = ["m1@x.se", "m2@x.se", "so1@x.se", "so2@x.se", "dep@x.se", "dir@x.se", "hr@x.se"]
UNION = ["fack@x.se", "fack2@x.se"]  # the FSG's and the LSG's union representatives
#: Rows that are never deleted (their counts never go down).
KEPT = [
    AuditEvent,
    Task,
    Cycle,
    Stage,
    ProcessCase,
    CaseDocument,
    PolicyDocument,
    PolicyVersion,
    PolicyAck,
    CoopMeeting,
    CoopItem,
    ChangeDecision,
    TaskAllocation,
    AllocationReturn,
]
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
        self.org: Org = build_coop(self.app).o  # with an FSG at ADM and an LSG at U1
        self.org.start()
        self.completed = 0
        self.documents = 0
        self.kept: dict[str, int] = {}
        self.done_tasks: set[int] = set()

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
            risk = cycle_views.cycle_view(self.app, item.cycle_id).risks
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
        if item.form_key == "change_risk_assessment":
            return ASSESSMENT
        if item.form_key == "change_participation":
            return {"participated": "no" if variant % 4 == 0 else "yes", "views": "Bra"}
        if item.form_key == "policy_review":
            return {"outcome": ("unchanged", "revise")[variant % 2], "note": "Sett över"}
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

    # --- policy and routines (issue 10 §8) ----------------------------------------------
    def _today(self) -> date:
        return self.clock.now().astimezone(LOCAL_TZ).date()

    def _ids(self, stmt: Any) -> list[int]:
        with self.app.read() as s:
            return list(s.scalars(stmt))

    @rule(
        unit=st.sampled_from(["ADM", "U1", "U2"]),
        owner=st.sampled_from(["hr", "director", "manager"]),
        days=st.integers(1, 60),
        written=st.booleans(),
    )
    def create_document(self, unit: str, owner: str, days: int, written: bool) -> None:
        """HR writes a policy or routine (owned by a role at its unit; the review date
        soon or later, so the sweep opens its review at some point)."""
        self.documents += 1
        today = self._today()
        doc = {"code": f"DOC{self.documents}", "unit": unit, "topic": "incidents"}
        doc |= {"title": "Rutin vid tillbud", "owner": owner}
        ver = {"body": "Så gör vi." if written else "", "note": "", "valid_from": str(today)}
        ver["review_by"] = str(today + timedelta(days=days))
        made = self._try(
            lambda: documents.create(
                self.app,
                self.org.actor("hr@x.se"),
                documents.parse(PolicyDocumentInput, doc),
                documents.parse(PolicyVersionInput, ver),
            )
        )
        event(f"document {'created' if made else 'refused'}")

    @rule(who=st.integers(0, 50), pick=st.integers(0, 50), days=st.integers(1, 400))
    def publish_version(self, who: int, pick: int, days: int) -> None:
        docs = self._ids(select(PolicyDocument.id).order_by(PolicyDocument.id))
        if not docs:
            return
        today = self._today()
        ver = {"body": "Ny lydelse.", "valid_from": str(today)}
        ver["review_by"] = str(today + timedelta(days=days))
        email = "hr@x.se" if who % 3 else PEOPLE[who % len(PEOPLE)]
        done = self._try(
            lambda: documents.publish(
                self.app,
                self.org.actor(email),
                docs[pick % len(docs)],
                documents.parse(PolicyVersionInput, ver),
            )
        )
        event(f"version {'published' if done else 'refused'}")

    @rule(who=st.integers(0, 50), pick=st.integers(0, 50))
    def acknowledge(self, who: int, pick: int) -> None:
        docs = self._ids(select(PolicyDocument.id).order_by(PolicyDocument.id))
        if docs:
            actor = self.org.actor(PEOPLE[who % len(PEOPLE)])
            done = self._try(documents.acknowledge, self.app, actor, docs[pick % len(docs)])
            event(f"acknowledgement {'recorded' if done else 'refused'}")

    # --- a change and its cooperation (issue 10 §2, §3) ----------------------------------
    @rule(who=st.integers(0, 50), unit=st.sampled_from(["U1", "U2"]))
    def register_change(self, who: int, unit: str) -> None:
        today = self._today()
        data = {**CHANGE, "unit": unit, "affected_units": [unit], "registered_on": str(today)}
        data["planned_on"] = str(today + timedelta(days=60))
        email = "hr@x.se" if who % 3 else PEOPLE[who % len(PEOPLE)]
        done = self._try(
            lambda: changes.register(
                self.app, self.org.actor(email), changes.parse_registration(data)
            )
        )
        event(f"change {'registered' if done else 'refused'}")

    def _changes(self) -> list[tuple[int, int]]:
        with self.app.read() as s:
            rows = s.execute(
                select(ProcessCase.id, ProcessCase.unit_id)
                .where(ProcessCase.kind == "change")
                .order_by(ProcessCase.id)
            ).all()
        return [(int(i), int(u)) for i, u in rows]

    @rule(who=st.integers(0, 50), pick=st.integers(0, 50))
    def sign_off_case(self, who: int, pick: int) -> None:
        """Sign off the current stage of a case (a change's assessment, a request's
        reply, a manager's own risk): refused while its gates are not met."""
        with self.app.read() as s:
            rows = s.execute(
                select(Cycle.id, Cycle.current_stage)
                .where(
                    Cycle.instance != "",
                    Cycle.status == "active",
                    Cycle.current_stage.is_not(None),
                )
                .order_by(Cycle.id)
            ).all()
        if rows:
            cid, stage = rows[pick % len(rows)]
            actor = self.org.actor(PEOPLE[who % len(PEOPLE)])
            done = self._try(cycles.sign_off_stage, self.app, actor, cid, stage)
            event(f"case stage {'signed off' if done else 'refused'}")

    @rule(
        who=st.integers(0, 50),
        pick=st.integers(0, 50),
        outcome=st.sampled_from(["decided", "disagreement"]),
        sign=st.booleans(),
    )
    def cooperate_on_change(self, who: int, pick: int, outcome: str, sign: bool) -> None:
        """The change on a meeting's agenda (the LSG for U1, the FSG for U2), its outcome
        recorded, the protocol signed by the body's union representative (or not)."""
        found = self._changes()
        if not found:
            return
        case_id, unit_id = found[pick % len(found)]
        u1 = unit_id == self.org.units["U1"]
        body, chair, union = ("LSG-U1", "m1@x.se", "fack2@x.se") if u1 else (
            "FSG-ADM", "dir@x.se", "fack@x.se")  # fmt: skip
        actor = self.org.actor(chair if who % 4 else PEOPLE[who % len(PEOPLE)])
        meeting = self._try(meetings.create_meeting, self.app, actor, body, self._today())
        if meeting is None:
            event("meeting refused")
            return
        item = self._try(
            meetings.add_item, self.app, actor, meeting, "Förändring", "change", case_id
        )
        if item is None:
            return
        view = "Facket vill vänta." if outcome == "disagreement" else ""
        self._try(meetings.record_outcome, self.app, actor, item, outcome, "Genomförs.", view)
        if sign:
            done = self._try(meetings.sign_protocol, self.app, self.org.actor(union), meeting)
            event(f"protocol {'signed' if done else 'refused'}")

    @rule(pick=st.integers(0, 50), end=st.booleans(), agree=st.booleans())
    def mbl(self, pick: int, end: bool, agree: bool) -> None:
        """A union representative asks for negotiation on an item; it may be ended."""
        items = self._ids(select(CoopItem.id).order_by(CoopItem.id))
        if not items:
            return
        item = items[pick % len(items)]
        for email in UNION:
            self._try(meetings.request_mbl, self.app, self.org.actor(email), item)
        if end:
            result = "agreement" if agree else "disagreement"
            for email in ("m1@x.se", "dir@x.se"):
                self._try(meetings.end_mbl, self.app, self.org.actor(email), item, result, "Prot")

    @rule(
        pick=st.integers(0, 50),
        variant=st.integers(0, 50),
        skip=st.sampled_from(["", "assessment", "sign_off", "meeting", "protocol"]),
    )
    def push_change(self, pick: int, variant: int, skip: str) -> None:
        """Everyone clears a change's tasks, its manager signs the assessment off, it goes
        to a meeting whose protocol the union signs, and it is marked decided — with one
        of the steps left out at times (then the decision must be refused for it)."""
        with self.app.read() as s:
            taken = select(ChangeDecision.id).where(ChangeDecision.case_id == ProcessCase.id)
            rows = s.execute(
                select(ProcessCase.id, ProcessCase.cycle_id, ProcessCase.unit_id)
                .where(ProcessCase.kind == "change", ~taken.exists())
                .order_by(ProcessCase.id)
            ).all()
        if not rows:
            return
        case_id, cycle_id, unit_id = rows[pick % len(rows)]
        u1 = unit_id == self.org.units["U1"]
        manager, body, union = ("m1@x.se", "LSG-U1", "fack2@x.se") if u1 else (
            "m2@x.se", "FSG-ADM", "fack@x.se")  # fmt: skip
        chair = "m1@x.se" if u1 else "dir@x.se"
        for email in PEOPLE:
            for item in self.org.inbox(email):
                if item.cycle_id != cycle_id:
                    continue
                if skip == "assessment" and item.key == "change_risk_assessment":
                    continue
                given = self._input(item, variant + 1)  # the representative takes part
                if self._try(
                    tasks.complete_task, self.app, self.org.actor(email), item.task_id, given
                ):
                    self.completed += 1
                    event(f"completed {item.form_key}")
        if skip != "sign_off":
            with self.app.read() as s:
                stage = s.scalar(select(Cycle.current_stage).where(Cycle.id == cycle_id))
            if stage:
                self._try(cycles.sign_off_stage, self.app, self.org.actor(manager), cycle_id, stage)
        if skip != "meeting":
            actor = self.org.actor(chair)
            meeting = self._try(meetings.create_meeting, self.app, actor, body, self._today())
            item_id = meeting and self._try(
                meetings.add_item, self.app, actor, meeting, "Förändring", "change", case_id
            )
            if item_id:
                self._try(meetings.record_outcome, self.app, actor, item_id, "decided", "Ja.")
                if skip != "protocol":
                    self._try(meetings.sign_protocol, self.app, self.org.actor(union), meeting)

        def decided() -> bool:
            changes.decide(self.app, self.org.actor(manager), case_id, "Beslut")
            return True

        done = self._try(decided)
        event(
            f"pushed change {'decided' if done else 'refused'}{' (' + skip + ')' if skip else ''}"
        )

    @rule(who=st.integers(0, 50), pick=st.integers(0, 50))
    def decide_change(self, who: int, pick: int) -> None:
        found = self._changes()
        if found:
            email = ("m1@x.se", "m2@x.se", "dep@x.se", PEOPLE[who % len(PEOPLE)])[who % 4]
            case_id = found[pick % len(found)][0]
            actor = self.org.actor(email)

            def decided() -> bool:
                changes.decide(self.app, actor, case_id, "Beslut")
                return True

            done = self._try(decided)
            event(f"change {'decided' if done else 'refused'}")

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
    def no_change_decided_with_a_step_missing(self) -> None:
        with self.app.read() as s:
            for case_id in s.scalars(select(ChangeDecision.case_id)):
                case = s.get(ProcessCase, case_id)
                assert case is not None
                assert changes.missing_steps(s, case) == [], case_id

    @invariant()
    def every_version_and_acknowledgement_kept(self) -> None:
        with self.app.read() as s:
            versions = s.execute(
                select(PolicyVersion.document_id, PolicyVersion.number, PolicyVersion.id)
            ).all()
            acked = set(s.scalars(select(PolicyAck.version_id)))
            current = s.execute(select(PolicyDocument.id, PolicyDocument.review_by)).all()
        numbers: dict[int, list[int]] = defaultdict(list)
        for doc, number, _ in versions:
            numbers[doc].append(number)
        assert all(sorted(n) == list(range(1, len(n) + 1)) for n in numbers.values()), numbers
        assert acked <= {v for _, _, v in versions}
        assert all(doc in numbers for doc, _ in current), "a document without its version"

    @invariant()
    def nothing_deleted(self) -> None:
        with self.app.read() as s:
            kept = {
                m.__name__: int(s.scalar(select(func.count()).select_from(m)) or 0) for m in KEPT
            }
            done = set(s.scalars(select(Task.id).where(Task.status == "completed")))
        for name, n in kept.items():
            assert n >= self.kept.get(name, 0), f"rows of {name} went missing"
        assert self.done_tasks <= done, "a completed task is no longer completed"
        self.kept, self.done_tasks = kept, done

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
