"""API: a cycle (stages, checklist, plan, risks), its audit history, signing off a stage,
and the plan's measures and risks."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import ApiUser, Engine, Id, Lang
from api.schemas import DoneOut, ReasonIn, UnmetProblem, reply
from api.schemas.cycles import (
    AuditEventOut,
    CycleOut,
    MeasureStatusIn,
    SeriousIn,
    SignOffOut,
    StageOut,
)
from engine.plans import plan as plans
from engine.views import detail as views
from engine.workflow import cycles

router = APIRouter(tags=["cycles"])


@router.get("/cycles/{cycle_id}", response_model=CycleOut)
def get_cycle(cycle_id: Id, user: ApiUser, engine: Engine, lang: Lang) -> Response:
    """Stages with the sign-off checklist (every unmet reason), risks and the action plan."""
    detail = views.cycle_detail(engine, user.actor, cycle_id)
    v = detail.view
    stages = [
        StageOut.model_validate(
            {
                **{k: getattr(st, k) for k in StageOut.model_fields if k not in ("unmet", "tasks")},
                "tasks": st.tasks,
                "unmet": [
                    UnmetProblem(gate=u.gate, message=u.message(lang), subject=u.subject)
                    for u in st.unmet
                ],
            }
        )
        for st in v.stages
    ]
    return reply(
        CycleOut.model_validate(
            {
                **{k: getattr(v, k) for k in CycleOut.model_fields if hasattr(v, k)},
                "stages": stages,
                "may_sign_off": detail.may_sign_off,
                "may_cancel": detail.may_cancel,
            }
        )
    )


@router.get("/cycles/{cycle_id}/audit", response_model=list[AuditEventOut])
def cycle_audit(cycle_id: Id, user: ApiUser, engine: Engine) -> Response:
    """The cycle's audit events in order (each with its hash in the chain)."""
    detail = views.cycle_detail(engine, user.actor, cycle_id)
    return reply(
        [
            AuditEventOut.model_validate({**e.__dict__, "data": json.loads(e.data)})
            for e in detail.history
        ]
    )


@router.post("/cycles/{cycle_id}/stages/{stage_key}/sign-off", response_model=SignOffOut)
def sign_off(cycle_id: Id, stage_key: str, user: ApiUser, engine: Engine) -> Response:
    """Sign off the active stage; 409 with every unmet reason while it is blocked."""
    views.see_cycle(engine, user.actor, cycle_id)  # 404 for a cycle you cannot see
    return reply(
        SignOffOut.model_validate(cycles.sign_off_stage(engine, user.actor, cycle_id, stage_key))
    )


@router.post("/cycles/{cycle_id}/cancel", response_model=DoneOut)
def cancel(cycle_id: Id, body: ReasonIn, user: ApiUser, engine: Engine) -> Response:
    views.see_cycle(engine, user.actor, cycle_id)
    n = cycles.cancel_cycle(engine, user.actor, cycle_id, body.reason)
    return reply(DoneOut(detail=f"{n} open tasks cancelled"))


@router.post("/measures/{measure_id}/status", response_model=DoneOut)
def measure_status(
    measure_id: Id, body: MeasureStatusIn, user: ApiUser, engine: Engine
) -> Response:
    """A dated status update on a measure of the action plan."""
    event = plans.update_measure(
        engine, user.actor, measure_id, body.status, note=body.note, reason=body.reason
    )
    return reply(DoneOut(detail=event))


@router.post("/risks/{risk_id}/seriousness", response_model=DoneOut)
def risk_seriousness(risk_id: Id, body: SeriousIn, user: ApiUser, engine: Engine) -> Response:
    plans.set_risk_seriousness(engine, user.actor, risk_id, body.serious)
    return reply(DoneOut())
