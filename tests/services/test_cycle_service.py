import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.context import App
from engine.db.models import Cycle, Measure, MeasureEvent, Stage, Task
from engine.domain.errors import (
    GateBlocked,
    InvalidInput,
    NotPermitted,
    TaskNotOpen,
    TemplateInvalid,
    TransitionNotAllowed,
)
from engine.plans import plan as plans
from engine.views import cycle as cycle_views
from engine.workflow import cycles, tasks, templates
from tests.factories import (
    APPROVE,
    EVALUATION,
    RISKS,
    SAFETY_ROUND,
    SURVEY,
    build_org,
    drive_to,
    plan,
)


def test_start_is_bulk_idempotent_and_lists_gaps(app: App) -> None:
    o = build_org(app, u2_manager=None)
    first = o.start()
    assert {g.code for g in first.gaps} == {"U2"} and first.gaps[0].missing == ("manager",)
    assert len(first.started) == 3  # ADM (director heads it), DEP, U1
    again = o.start()
    assert again.started == [] and again.already_running == 3
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(Cycle)) == 3
        assert (
            s.scalar(
                select(func.count())
                .select_from(Task)
                .join(Cycle)
                .where(Cycle.unit_id == o.units["U2"])
            )
            == 0
        )


def test_only_hr_or_director_starts(app: App) -> None:
    o = build_org(app)
    with pytest.raises(NotPermitted):
        cycles.start_cycles(app, o.actor("m1@x.se"), 2027)
    assert cycles.start_cycles(app, o.actor("dir@x.se"), 2027, root_code="U1").started


def test_sign_off_lists_every_missing_step_then_succeeds(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    with pytest.raises(GateBlocked) as err:
        o.sign_off("m1@x.se", cid, "survey")
    assert len(err.value.unmet) == 2
    assert "Maja Chef" in err.value.unmet[0].message_sv
    o.complete("m1@x.se", "employee_survey", SURVEY, cid)
    with pytest.raises(GateBlocked) as err:
        o.sign_off("m1@x.se", cid, "survey")
    assert [u.subject.split(":")[0] for u in err.value.unmet] == ["task"]
    o.complete("m1@x.se", "safety_round", SAFETY_ROUND, cid)
    result = o.sign_off("m1@x.se", cid, "survey")
    assert result.next_stage == "analysis" and result.tasks_created == 1
    # the optional sick-leave review left open is closed with the stage, not left to escalate
    assert "absence_review" not in [i.key for i in o.inbox("m1@x.se") if i.cycle_id == cid]
    with pytest.raises(TransitionNotAllowed):
        o.sign_off("m1@x.se", cid, "survey")


def test_only_the_manager_or_line_above_signs_off(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    o.complete("m1@x.se", "employee_survey", SURVEY, cid)
    o.complete("m1@x.se", "safety_round", SAFETY_ROUND, cid)
    with pytest.raises(NotPermitted):
        o.sign_off("so1@x.se", cid, "survey")
    with pytest.raises(NotPermitted):
        o.sign_off("m2@x.se", cid, "survey")
    assert o.sign_off("dep@x.se", cid, "survey").next_stage == "analysis"


def test_risk_without_seriousness_blocks_the_analysis(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "analysis")
    unsure = json.loads(json.dumps(RISKS))
    unsure["risks"][0]["serious"] = None
    o.complete("m1@x.se", "risk_assessment", unsure, cid)
    with pytest.raises(GateBlocked) as err:
        o.sign_off("m1@x.se", cid, "analysis")
    assert err.value.unmet[0].gate == "risks_have_seriousness"
    risk_id = cycle_views.cycle_view(app, cid).risks[0].id
    plans.set_risk_seriousness(app, o.actor("so1@x.se"), risk_id, True)
    o.sign_off("m1@x.se", cid, "analysis")


def test_high_risk_needs_a_measure_in_the_plan(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "action_plan")
    o.complete("m1@x.se", "action_plan", plan(), cid)  # measure not linked to the risk
    with pytest.raises(GateBlocked) as err:
        o.sign_off("m1@x.se", cid, "action_plan")
    assert [u.gate for u in err.value.unmet] == ["high_risks_have_measures"]


def test_measure_without_what_who_when_is_refused_with_its_path(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "action_plan")
    item = o.task("m1@x.se", "action_plan", cid)
    bad = plan(
        {"what": "Taklyft", "responsible": "", "due_date": "2027-09-30"},
        {"what": "", "responsible": "nobody@x.se", "due_date": "2027-09-30"},
    )
    with pytest.raises(InvalidInput) as err:
        tasks.complete_task(app, o.actor("m1@x.se"), item.task_id, bad)
    assert [e.path for e in err.value.errors] == [
        "items[0].measures[0].responsible",
        "items[0].measures[1].what",
    ]
    bad = plan({"what": "Taklyft", "responsible": "nobody@x.se", "due_date": "2027-09-30"})
    with pytest.raises(InvalidInput) as err:
        tasks.complete_task(app, o.actor("m1@x.se"), item.task_id, bad)
    assert err.value.errors[0].path == "items[0].measures[0].responsible"
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(Measure)) == 0
        assert s.get(Task, item.task_id).status == "open"  # type: ignore[union-attr]


def test_rejection_sends_the_plan_back_with_the_reason(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "cooperation")
    o.complete("m1@x.se", "approve_manager", APPROVE, cid)
    with pytest.raises(InvalidInput) as err:  # a rejection must say why
        o.complete("so1@x.se", "approve_safety_rep", {"decision": "reject"}, cid)
    assert err.value.errors[0].path == "comment"
    o.complete(
        "so1@x.se", "approve_safety_rep", {"decision": "reject", "comment": "Stressen saknas"}, cid
    )
    view = cycle_views.cycle_view(app, cid)
    assert view.current_stage == "action_plan"
    assert {s.key: s.status for s in view.stages}["cooperation"] == "pending"
    o.complete(
        "m1@x.se",
        "action_plan",
        plan({"what": "Prioriteringsstöd", "responsible": "Enhetschef", "due_date": "2027-08-30",
              "follow_up_date": "2027-09-15"}),
        cid,
    )  # fmt: skip
    o.sign_off("m1@x.se", cid, "action_plan")
    # the earlier approval by the manager no longer counts: two new approvals needed
    with pytest.raises(GateBlocked) as blocked:
        o.sign_off("m1@x.se", cid, "cooperation")
    assert len(blocked.value.unmet) == 2
    o.complete("m1@x.se", "approve_manager", APPROVE, cid)
    o.complete("so1@x.se", "approve_safety_rep", APPROVE, cid)
    assert o.sign_off("m1@x.se", cid, "cooperation").next_stage == "follow_up"
    # one follow-up task per measure (two measures now), due at the follow-up date
    follow = [i for i in o.inbox("m1@x.se") if i.key == "measure_follow_up"]
    assert len(follow) == 2


def test_four_eyes_manager_cannot_approve_as_safety_rep(app: App) -> None:
    o = build_org(app, extra=("m1@x.se,Maja Chef,safety_rep,U1,2020-01-01,",))
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "cooperation")
    o.complete("m1@x.se", "approve_manager", APPROVE, cid)
    with pytest.raises(NotPermitted, match="four eyes"):
        o.complete("m1@x.se", "approve_safety_rep", APPROVE, cid)
    o.complete("so1@x.se", "approve_safety_rep", APPROVE, cid)
    o.sign_off("m1@x.se", cid, "cooperation")


def test_follow_up_postpone_needs_reason_and_keeps_history(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "follow_up")
    item = o.task("m1@x.se", "measure_follow_up", cid)
    with pytest.raises(InvalidInput) as err:
        tasks.complete_task(app, o.actor("m1@x.se"), item.task_id, {"status": "postponed"})
    assert {e.path for e in err.value.errors} == {"reason"}
    tasks.complete_task(
        app,
        o.actor("m1@x.se"),
        item.task_id,
        {
            "status": "postponed",
            "reason": "Leverantören försenad",
            "new_follow_up_date": "2027-12-01",
        },
    )
    again = o.task("m1@x.se", "measure_follow_up", cid)
    assert again.task_id != item.task_id and again.due_at.date().isoformat() == "2027-12-01"
    with pytest.raises(GateBlocked):
        o.sign_off("m1@x.se", cid, "follow_up")
    tasks.complete_task(
        app,
        o.actor("m1@x.se"),
        again.task_id,
        {"status": "done", "effect_ok": True, "effect": "Inga lyft"},
    )
    o.sign_off("m1@x.se", cid, "follow_up")
    with app.read() as s:
        history = [
            (e.event, e.status) for e in s.scalars(select(MeasureEvent).order_by(MeasureEvent.id))
        ]
    assert history == [("create", "planned"), ("postpone", "postponed"), ("finish", "done")]
    with pytest.raises(TaskNotOpen):
        tasks.complete_task(app, o.actor("m1@x.se"), again.task_id, {"status": "done"})


def test_cancel_cycle_needs_reason_and_closes_tasks(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    with pytest.raises(InvalidInput):
        cycles.cancel_cycle(app, o.actor("hr@x.se"), cid, " ")
    with pytest.raises(NotPermitted):
        cycles.cancel_cycle(app, o.actor("m1@x.se"), cid, "no")
    assert cycles.cancel_cycle(app, o.actor("hr@x.se"), cid, "Enheten läggs ned") == 3
    assert [i for i in o.inbox("m1@x.se") if i.cycle_id == cid] == []
    assert o.start(root_code="U1").started  # a cancelled year may be started again


def test_whole_cycle_to_completion(app: App) -> None:
    o = build_org(app)
    o.start()
    cid = o.cycle_of("U1")
    drive_to(o, cid, "evaluation")
    o.complete("m1@x.se", "annual_evaluation", EVALUATION, cid)
    result = o.sign_off("m1@x.se", cid, "evaluation")
    assert result.next_stage is None and result.cycle_status == "completed"
    with app.read() as s:
        stages = s.scalars(select(Stage.status).where(Stage.cycle_id == cid)).all()
    assert set(stages) == {"signed_off"}


def test_running_cycle_keeps_its_template_version(app: App, tmp_path: Path) -> None:
    o = build_org(app)
    o.start(root_code="U1")
    text = (
        templates.text_for("sam-annual")
        .replace("version: 2", "version: 3")
        .replace(
            "title: {sv: Skyddsrond, en: Safety round}", "title: {sv: Skyddsrond v2, en: Round v2}"
        )
    )
    path = tmp_path / "v2.yaml"
    path.write_text(text)
    o.start(root_code="U2", template_path=path)
    titles = {
        i.unit_name: i.title_sv
        for i in o.inbox("m1@x.se") + o.inbox("m2@x.se")
        if i.key == "safety_round"
    }
    assert titles == {"Enhet 1": "Skyddsrond", "Enhet 2": "Skyddsrond v2"}
    same_version = text.replace("version: 3", "version: 2")
    path.write_text(same_version)
    with pytest.raises(TemplateInvalid, match="raise its version"):
        o.start(root_code="DEP", template_path=path)
