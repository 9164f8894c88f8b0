"""Processes as data: a process defined only by a YAML template and a form schema (both
here, in the test) runs end to end on the shared machinery, and a template naming what is
not there is refused when it is loaded, with the field's path."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import Field
from sqlalchemy import select

from engine.audit import log as audit
from engine.context import Actor, App, Tx
from engine.db.models import AuditEvent, Cycle
from engine.db.queries import TaskRef
from engine.domain.clock import FrozenClock
from engine.domain.errors import GateBlocked, InvalidInput, NotPermitted, TemplateInvalid
from engine.workflow import templates
from engine.workflow.process import cases as processes
from engine.workflow.process.registry import registry
from forms.schemas.base import Form, NonEmpty, label
from forms.schemas.registry import register_form
from tests.factories import build_org


class ToyRequest(Form):
    """A safety representative's written request (AML 6:6a), as small as it gets."""

    title_sv = "Begäran från skyddsombud"
    title_en = "Request from a safety representative"
    unit: str = Field(min_length=1, json_schema_extra=label("Enhet", "Unit"))
    filed_on: date = Field(json_schema_extra=label("Inlämnad", "Filed on"))
    what: NonEmpty = Field(json_schema_extra=label("Vad", "What"))


class ToyReply(Form):
    title_sv = "Svar"
    title_en = "Reply"
    answer: NonEmpty = Field(json_schema_extra=label("Svar", "Answer"))


TOY = """
key: toy-request
version: 1
title: {sv: Begäran från skyddsombud, en: Request from a safety representative}
subject:
  kind: toy_request
  form: toy_request
  unit: unit
  date: filed_on
  reference: what
  audit: [what]
ladder:
  reminders_days_before: [2]
  escalation: [{after_days: 0, to: parent.manager}]
stages:
  - key: reply
    title: {sv: Arbetsgivarens svar, en: The employer's reply}
    tasks:
      - key: employer_reply
        title: {sv: Svara skyddsombudet, en: Reply to the safety representative}
        role: manager
        form: toy_reply
        effects: [toy.words]
        due: {days_after_start: 14}
  - key: receipt
    title: {sv: Kvittens, en: Receipt}
    tasks:
      - key: representative_receipt
        title: {sv: Kvittera svaret, en: Acknowledge the reply}
        role: safety_rep
        form: toy_reply
        due: {days_after_start: 7}
"""


def words(tx: Tx, actor: Actor, task: TaskRef, form: Form) -> dict[str, Any]:
    """A named effect: what completing the task does beyond closing it (here: count)."""
    assert isinstance(form, ToyReply)
    return {"words": len(form.answer.split())}


@pytest.fixture(scope="module", autouse=True)
def toy_process() -> None:
    register_form("toy_request", ToyRequest)
    register_form("toy_reply", ToyReply)
    if "toy.words" not in registry().hooks["effect"]:
        registry().add("effect", "toy.words", words)
    templates.install(TOY, "toy.yaml")


def test_a_process_defined_as_data_runs_end_to_end(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    request = processes.parse_subject(
        "toy_request", {"unit": "U1", "filed_on": "2027-01-05", "what": "Buller i köket"}
    )
    with pytest.raises(NotPermitted):  # opening one is HR's or a director's
        processes.open_case(app, o.actor("m1@x.se"), "toy_request", request)
    opened = processes.open_case(app, o.actor("hr@x.se"), "toy_request", request)
    assert [i.key for i in o.inbox("m1@x.se")] == ["employer_reply"]  # routed to the role
    assert o.inbox("so1@x.se") == []
    with pytest.raises(GateBlocked) as blocked:  # the gate holds sign-off back
        o.sign_off("m1@x.se", opened.cycle_id, "reply")
    assert "Reply to the safety representative" in blocked.value.en
    o.complete("m1@x.se", "employer_reply", {"answer": "Ljuddämpning beställd."})
    o.sign_off("m1@x.se", opened.cycle_id, "reply")
    assert [i.key for i in o.inbox("so1@x.se")] == ["representative_receipt"]
    o.complete("so1@x.se", "representative_receipt", {"answer": "Tack."})
    done = o.sign_off("m1@x.se", opened.cycle_id, "receipt")
    assert done.cycle_status == "completed"
    (summary,) = processes.list_cases(app, o.actor("dir@x.se"), "toy_request")
    assert (summary.reference, summary.status, summary.unit_code) == (
        "Buller i köket",
        "closed",
        "U1",
    )
    assert processes.list_cases(app, o.actor("m2@x.se"), "toy_request") == []  # not theirs
    overview = {k.kind: k for k in processes.case_overview(app, o.actor("dir@x.se"), 2027)}
    assert (overview["toy_request"].cases, overview["toy_request"].open) == (1, 0)
    assert overview["inspection"].cases == 0 and overview["inspection"].title_en == "Inspection"
    with app.read() as s:
        cycle = s.get(Cycle, opened.cycle_id)
        assert cycle is not None and cycle.instance == f"toy_request:{opened.case_id}"
        actions = list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.chain == f"cycle:{opened.cycle_id}")
                .order_by(AuditEvent.seq)
            )
        )
    assert actions[:3] == ["cycle.started", "task.created", "toy_request.registered"]
    for action in ("task.completed", "stage.signed_off", "stage.activated", "cycle.completed"):
        assert action in actions
    with app.read() as s:
        completed = s.scalars(
            select(AuditEvent.data).where(
                AuditEvent.chain == f"cycle:{opened.cycle_id}",
                AuditEvent.action == "task.completed",
            )
        ).first()
    assert completed is not None and '"words":2' in completed.replace(" ", "")  # the effect ran
    assert audit.verify(app, chain=f"cycle:{opened.cycle_id}").breaks == []


def test_case_input_is_checked_before_anything_is_written(app: App, clock: FrozenClock) -> None:
    o = build_org(app)
    with pytest.raises(InvalidInput) as bad:
        processes.parse_subject("toy_request", {"unit": "U1", "filed_on": "2027-13-01"})
    assert sorted(e.path for e in bad.value.errors) == ["filed_on", "what"]
    request = processes.parse_subject(
        "toy_request", {"unit": "NOPE", "filed_on": "2027-01-05", "what": "x"}
    )
    with pytest.raises(InvalidInput, match="no unit has code NOPE"):
        processes.open_case(app, o.actor("hr@x.se"), "toy_request", request)
    assert processes.list_cases(app, o.actor("hr@x.se"), "toy_request") == []


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (("form: toy_reply\n        due: {days_after_start: 7}",
          "form: toy_reply\n        effects: [toy.nothing]\n        due: {days_after_start: 7}"),
         "stages[1].tasks[0].effects[0]", "unknown effect 'toy.nothing'"),
        (("audit: [what]", "audit: [what, colour]"), "subject.audit[1]", "no 'colour'"),
        (("reference: what", "reference: what\n  checks: [toy.check]"),
         "subject.checks[0]", "unknown check 'toy.check'"),
        (("form: toy_request", "form: toy_nothing"), "subject.form", "unknown form"),
    ],
)  # fmt: skip
def test_a_template_naming_what_is_not_there_is_refused(
    change: tuple[str, str], path: str, message: str
) -> None:
    text = TOY.replace(*change).replace("key: toy-request", "key: toy-broken")
    with pytest.raises(TemplateInvalid) as refused:
        templates.parse(text, "broken.yaml")
    assert [e.path for e in refused.value.errors] == [path]
    assert message in refused.value.en and "broken.yaml" in refused.value.en


def test_a_shipped_template_cannot_be_shadowed() -> None:
    with pytest.raises(TemplateInvalid, match="already there"):
        templates.install(templates.text_for("av-inspection").replace("version: 2", "version: 3"))
